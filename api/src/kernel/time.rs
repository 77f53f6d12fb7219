//! The clock. Instants are kept at microsecond precision everywhere (PostgreSQL's precision),
//! so that what is hashed into the audit chain is exactly what both engines store and return.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

use crate::error::{AppError, AppResult};

/// Years the API accepts and returns (CONTRACT.md §10): 1900-01-01 to 9999-12-31. Outside them
/// numbers, periods and sorting stop making sense, and four-digit years stop being four digits.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

pub fn date_in_range(day: NaiveDate) -> bool {
    YEARS.contains(&chrono::Datelike::year(&day))
}

/// `BAD_USER_INPUT` on `field` unless `year` is within [`YEARS`].
pub fn check_year(field: &str, year: i32) -> AppResult<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(AppError::bad_input(field, format!("{field} must be a year from {} to {}", YEARS.start(), YEARS.end())))
    }
}

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// RFC 3339, UTC, exactly six fractional digits: `2026-11-26T10:00:00.123456Z`.
pub fn format_instant(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_render_with_six_digits_and_z() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(format_instant(&at), "2026-11-26T10:00:00.000000Z");
        let at = DateTime::parse_from_rfc3339("2026-11-26T12:00:00.1234567+02:00").unwrap().with_timezone(&Utc);
        assert_eq!(format_instant(&at.trunc_subsecs(6)), "2026-11-26T10:00:00.123456Z");
    }
}
