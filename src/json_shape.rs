//! One pass over a JSON request body before any face decodes it: is it an
//! object, and does any object in it repeat a key? A JSON parser silently
//! keeps the last of two equal keys (`{"password": "a", "pass\u0077ord":
//! "b"}`), so both faces refuse repeats alike, and neither repeats a value.

use std::cell::RefCell;
use std::collections::HashSet;

/// What a JSON body is, as far as the request guards care.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsonShape {
    Object,
    /// An object (at any depth) repeats this key.
    Repeated(String),
    NotAnObject,
    Invalid,
}

/// One pass over a JSON body: its top-level type and the first repeated
/// key of any object in it (serde_json's recursion limit bounds the depth).
pub(crate) fn inspect_json(body: &[u8]) -> JsonShape {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let top = serde::de::DeserializeSeed::deserialize(KeyCheck { found: &found }, &mut de)
        .and_then(|top| de.end().map(|()| top));
    match (found.into_inner(), top) {
        (Some(name), _) => JsonShape::Repeated(name),
        (None, Ok(true)) => JsonShape::Object,
        (None, Ok(false)) => JsonShape::NotAnObject,
        (None, Err(_)) => JsonShape::Invalid,
    }
}

/// Walks a JSON value, recording the first key an object repeats; yields
/// whether the value was an object.
#[derive(Clone, Copy)]
struct KeyCheck<'a> {
    found: &'a RefCell<Option<String>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeyCheck<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyCheck<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(false)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if keys.contains(&key) {
                *self.found.borrow_mut() = Some(key);
                return Err(serde::de::Error::custom("a repeated key"));
            }
            keys.insert(key);
            map.next_value_seed(self)?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_json_keys_are_found_at_any_depth() {
        assert_eq!(inspect_json(br#"{"a": 1, "b": 2}"#), JsonShape::Object);
        assert_eq!(
            inspect_json(br#"{"a": 1, "a": 2}"#),
            JsonShape::Repeated("a".into())
        );
        // The same key after unescaping.
        assert_eq!(
            inspect_json(br#"{"password": "x", "pass\u0077ord": "y"}"#),
            JsonShape::Repeated("password".into())
        );
        assert_eq!(
            inspect_json(br#"{"a": [{"b": 1, "b": 2}]}"#),
            JsonShape::Repeated("b".into())
        );
        assert_eq!(
            inspect_json(br#"{"a": {"b": 1}, "b": 2}"#),
            JsonShape::Object
        );
        assert_eq!(inspect_json(br#""secret""#), JsonShape::NotAnObject);
        assert_eq!(inspect_json(b"[1, 2]"), JsonShape::NotAnObject);
        assert_eq!(inspect_json(b"{"), JsonShape::Invalid);
        assert_eq!(inspect_json(br#"{} {}"#), JsonShape::Invalid);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(inspect_json(deep.as_bytes()), JsonShape::Invalid);
    }
}
