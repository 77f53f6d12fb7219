//! The clock. Instants are kept at microsecond precision everywhere (PostgreSQL's precision),
//! so that what is hashed into the audit chain is exactly what both engines store and return.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

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
