//! The schema's custom scalars.

use async_graphql::{InputValueError, InputValueResult, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::generated::{DateTimeScalar, GenericScalarScalar};

/// A point in time, held as Unix seconds, written as RFC 3339 in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime(pub i64);

impl DateTimeScalar for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => OffsetDateTime::parse(s, &Rfc3339)
                .map(|t| DateTime(t.unix_timestamp()))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 date-time")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        match OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
        {
            Some(s) => Value::String(s),
            None => Value::Null,
        }
    }
}

/// Any JSON value (token payloads).
#[derive(Clone, Debug, PartialEq)]
pub struct GenericScalar(pub serde_json::Value);

impl GenericScalarScalar for GenericScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        value
            .into_json()
            .map(GenericScalar)
            .map_err(|e| InputValueError::custom(e.to_string()))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_are_rfc3339_utc_both_ways() {
        let v = DateTime(1_800_000_000).to_value();
        assert_eq!(v, Value::String("2027-01-15T08:00:00Z".into()));
        assert_eq!(
            <DateTime as DateTimeScalar>::parse(v).unwrap(),
            DateTime(1_800_000_000)
        );
        assert!(<DateTime as DateTimeScalar>::parse(Value::String("yesterday".into())).is_err());
    }

    #[test]
    fn generic_scalars_keep_json_as_is() {
        let j = serde_json::json!({"username": "alice", "exp": 1, "nested": [1, "x", null]});
        let v = GenericScalar(j.clone()).to_value();
        assert_eq!(
            <GenericScalar as GenericScalarScalar>::parse(v).unwrap().0,
            j
        );
    }
}
