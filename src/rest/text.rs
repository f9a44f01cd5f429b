//! A strict string for request bodies.
//!
//! poem-openapi's `String` also accepts a JSON number or boolean and turns it
//! into text (`{"first_name": 5}` would set the name "5"). A wrong type must
//! be a 400, so every string field of a request body is a `Text`.

use std::borrow::Cow;

use poem_openapi::registry::MetaSchemaRef;
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde::Deserialize;
use serde_json::Value;

/// A string that parses only from a JSON string (or a form value).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Text(pub String);

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        String::schema_ref()
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Ok(Self(s)),
            other => Err(not_a_string(&other)),
        }
    }
}

/// The error for a JSON value that should have been a string. It names the
/// value's type, never the value (poem-openapi's `expected_type` quotes it,
/// and it may be a password sent as a number or in an array).
pub fn not_a_string<T: Type>(value: &Value) -> ParseError<T> {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ParseError::custom(format!("expected a string, not {kind}"))
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_strings_parse() {
        assert!(Text::parse_from_json(Some(Value::from("a"))).is_ok());
        assert!(Text::parse_from_json(Some(Value::from(5))).is_err());
        assert!(Text::parse_from_json(Some(Value::from(true))).is_err());
        assert!(Text::parse_from_json(None).is_err());
    }

    #[test]
    fn a_wrong_type_is_named_but_never_quoted() {
        let value = serde_json::json!(["hunter2"]);
        let Err(e) = Text::parse_from_json(Some(value)) else {
            panic!("an array is not a string")
        };
        assert!(!e.message().contains("hunter2"), "{}", e.message());
        assert!(e.message().contains("an array"), "{}", e.message());
    }
}
