//! The contract's scalars: `Decimal` (a JSON string, never a float), `Date`, `DateTime`.
//! `JSON` is async-graphql's `Json<serde_json::Value>`.

use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, Utc};

use super::time::{date_in_range, format_instant};

/// Longest decimal literal accepted; rust_decimal holds 28 significant digits.
const MAX_DECIMAL_LEN: usize = 40;

/// Exact decimal number, serialized as a JSON string such as "1234.50". Never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_decimal(s)
                .map(Decimal)
                .ok_or_else(|| InputValueError::custom(format!("{s:?} is not a decimal number such as \"1234.50\""))),
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                Ok(Decimal(rust_decimal::Decimal::from_str(&n.to_string()).map_err(InputValueError::custom)?))
            }
            Value::Number(_) => {
                Err(InputValueError::custom("decimals must be sent as strings such as \"0.10\": floats lose digits"))
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Plain decimal notation only: an optional minus, digits, an optional fraction.
pub fn parse_decimal(s: &str) -> Option<rust_decimal::Decimal> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = s.len() <= MAX_DECIMAL_LEN
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (!digits.contains('.') || !frac.is_empty());
    if !well_formed {
        return None;
    }
    rust_decimal::Decimal::from_str_exact(s).ok()
}

/// Calendar date, ISO 8601: "2026-11-26".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) if s.len() == 10 && s.as_bytes()[0].is_ascii_digit() => {
                match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(day) if date_in_range(day) => Ok(Date(day)),
                    Ok(_) => Err(InputValueError::custom(format!("{s:?} is outside 1900-01-01..9999-12-31"))),
                    Err(_) => Err(InputValueError::custom(format!("{s:?} is not a date such as \"2026-11-26\""))),
                }
            }
            Value::String(s) => Err(InputValueError::custom(format!("{s:?} is not a date such as \"2026-11-26\""))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// Instant in UTC, RFC 3339 with a Z suffix and microsecond precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
                Ok(at) if date_in_range(at.with_timezone(&Utc).date_naive()) => {
                    Ok(DateTime(chrono::SubsecRound::trunc_subsecs(at.with_timezone(&Utc), 6)))
                }
                Ok(_) => Err(InputValueError::custom(format!("{s:?} is outside 1900-01-01..9999-12-31"))),
                Err(_) => Err(InputValueError::custom(format!("{s:?} is not an RFC 3339 instant"))),
            },
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(format_instant(&self.0))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        DateTime(at)
    }
}

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Date(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain_notation_only() {
        for ok in ["0", "-1", "1234.50", "0.000001", "79228162514264337593543950335"] {
            assert!(parse_decimal(ok).is_some(), "{ok}");
        }
        for bad in ["", "1e3", "1.", ".5", " 1", "1,5", "NaN", "--1", "+1", "0x10", "1.2.3"] {
            assert!(parse_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn decimal_scalar_refuses_floats_and_keeps_the_scale() {
        let v = <Decimal as ScalarType>::parse(Value::String("121.00".into())).unwrap();
        assert_eq!(v.to_value(), Value::String("121.00".into()));
        let float = serde_json::from_str::<Value>("0.1").unwrap();
        assert!(<Decimal as ScalarType>::parse(float).is_err());
        let int = serde_json::from_str::<Value>("42").unwrap();
        assert_eq!(<Decimal as ScalarType>::parse(int).unwrap().0.to_string(), "42");
    }

    #[test]
    fn dates_are_strict_iso_8601() {
        assert!(<Date as ScalarType>::parse(Value::String("2026-02-29".into())).is_err());
        assert!(<Date as ScalarType>::parse(Value::String("2026-1-05".into())).is_err());
        for outside in ["0000-01-01", "-001-01-01", "1899-12-31", "+10000-01-01", "0001-01-01"] {
            assert!(<Date as ScalarType>::parse(Value::String(outside.into())).is_err(), "{outside}");
        }
        for edge in ["1900-01-01", "9999-12-31"] {
            let d = <Date as ScalarType>::parse(Value::String(edge.into())).unwrap();
            assert_eq!(d.to_value(), Value::String(edge.into()), "round trip");
        }
        assert!(<DateTime as ScalarType>::parse(Value::String("0000-01-01T00:00:00Z".into())).is_err());
        let d = <Date as ScalarType>::parse(Value::String("2024-02-29".into())).unwrap();
        assert_eq!(d.to_value(), Value::String("2024-02-29".into()));
    }
}
