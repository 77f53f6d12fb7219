//! The arithmetic and state rules of human resources, pure and unit-tested (CONTRACT.md §7).

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;

use crate::error::{AppError, AppResult};
use crate::kernel::money::Currency;

/// A payroll period, `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    pub fn parse(field: &str, text: &str) -> AppResult<Self> {
        let invalid = || AppError::bad_input(field, "period must be a month written YYYY-MM, e.g. 2026-11");
        let bytes = text.as_bytes();
        if bytes.len() != 7 || bytes[4] != b'-' || !text[..4].bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let (year, month) =
            (text[..4].parse::<i32>().map_err(|_| invalid())?, text[5..].parse::<u32>().map_err(|_| invalid())?);
        if !text[5..].bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        if !crate::kernel::time::YEARS.contains(&year) {
            return Err(invalid());
        }
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(invalid)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        };
        let last = next.ok_or_else(invalid)?.pred_opt().ok_or_else(invalid)?;
        Ok(Self { first, last })
    }

    pub fn days(&self) -> i32 {
        self.last.day() as i32
    }

    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.first.year(), self.first.month())
    }
}

/// Days from max(hire, first) to min(termination, last), inclusive; 0 when not employed then.
pub fn days_worked(period: &Period, hire: NaiveDate, termination: Option<NaiveDate>) -> i32 {
    let start = hire.max(period.first);
    let end = termination.map_or(period.last, |t| t.min(period.last));
    if end < start { 0 } else { (end - start).num_days() as i32 + 1 }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayslipAmounts {
    pub days_in_period: i32,
    pub days_worked: i32,
    pub gross: Decimal,
    pub income_tax: Decimal,
    pub social_security: Decimal,
    pub net: Decimal,
}

/// `gross = round(annualSalary / 12 × daysWorked / daysInPeriod)`, divided once and rounded
/// once; tax and social security rounded from the gross; `net` what remains.
pub fn payslip(
    currency: Currency,
    annual_salary: Decimal,
    period: &Period,
    hire: NaiveDate,
    termination: Option<NaiveDate>,
    income_tax_rate: Decimal,
    social_security_rate: Decimal,
) -> PayslipAmounts {
    let days_in_period = period.days();
    let days_worked = days_worked(period, hire, termination);
    let gross = currency.round(annual_salary * Decimal::from(days_worked) / Decimal::from(12 * days_in_period));
    let income_tax = currency.round(gross * income_tax_rate);
    let social_security = currency.round(gross * social_security_rate);
    PayslipAmounts {
        days_in_period,
        days_worked,
        gross,
        income_tax,
        social_security,
        net: gross - income_tax - social_security,
    }
}

/// Monday to Friday between the dates, inclusive.
pub fn working_days(start: NaiveDate, end: NaiveDate) -> i32 {
    start.iter_days().take_while(|d| *d <= end).filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)).count()
        as i32
}

/// Checks a leave request's dates: in order, within one calendar year, at least one working day.
pub fn leave_days(start: NaiveDate, end: NaiveDate) -> AppResult<i32> {
    if end < start {
        return Err(AppError::bad_input("input.endDate", "endDate must not be before startDate"));
    }
    if start.year() != end.year() {
        return Err(AppError::bad_input(
            "input.endDate",
            "a leave request must start and end in the same calendar year",
        ));
    }
    match working_days(start, end) {
        0 => Err(AppError::bad_input("input.startDate", "the request covers no working day (Monday to Friday)")),
        days => Ok(days),
    }
}

/// The stages of a candidate, in the order they move forward.
pub const STAGES: [&str; 6] = ["APPLIED", "SCREENING", "INTERVIEW", "OFFER", "HIRED", "REJECTED"];

/// Forward (steps may be skipped) or to REJECTED; HIRED and REJECTED are final.
pub fn can_move(from: &str, to: &str) -> bool {
    let rank = |s: &str| STAGES.iter().position(|x| *x == s);
    match (rank(from), rank(to)) {
        _ if from == "HIRED" || from == "REJECTED" => false,
        (Some(_), Some(_)) if to == "REJECTED" => true,
        (Some(a), Some(b)) => b > a,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn slip(salary: &str, period: &str, hire: &str, termination: Option<&str>) -> PayslipAmounts {
        let period = Period::parse("period", period).unwrap();
        payslip(
            Currency::parse("EUR").unwrap(),
            d(salary),
            &period,
            day(hire),
            termination.map(day),
            d("0.15"),
            d("0.0635"),
        )
    }

    #[test]
    fn a_full_month() {
        let s = slip("60000", "2026-03", "2020-01-01", None);
        assert_eq!((s.days_in_period, s.days_worked), (31, 31));
        assert_eq!(s.gross.to_string(), "5000.00");
        assert_eq!(s.income_tax.to_string(), "750.00");
        assert_eq!(s.social_security.to_string(), "317.50");
        assert_eq!(s.net.to_string(), "3932.50");
    }

    #[test]
    fn a_hire_on_the_tenth_of_a_thirty_day_month() {
        let s = slip("60000", "2026-04", "2026-04-10", None);
        assert_eq!((s.days_in_period, s.days_worked), (30, 21));
        // 5000 × 21 / 30 = 3500
        assert_eq!(s.gross.to_string(), "3500.00");
        assert_eq!(s.income_tax.to_string(), "525.00");
        assert_eq!(s.social_security.to_string(), "222.25");
        assert_eq!(s.net.to_string(), "2752.75");
    }

    #[test]
    fn a_termination_mid_february_in_a_leap_year() {
        let s = slip("60000", "2024-02", "2019-06-01", Some("2024-02-15"));
        assert_eq!((s.days_in_period, s.days_worked), (29, 15));
        // 5000 × 15 / 29 = 2586.2068… -> 2586.21; tax 387.9315 -> 387.93; ss 164.2243… -> 164.22
        assert_eq!(s.gross.to_string(), "2586.21");
        assert_eq!(s.income_tax.to_string(), "387.93");
        assert_eq!(s.social_security.to_string(), "164.22");
        assert_eq!(s.net.to_string(), "2034.06");
    }

    #[test]
    fn rounding_at_half_a_cent_goes_away_from_zero() {
        // 12.06 / 12 = 1.005 exactly -> 1.01
        assert_eq!(slip("12.06", "2026-03", "2020-01-01", None).gross.to_string(), "1.01");
        // gross 100.10: tax 15.015 -> 15.02; ss 6.35635 -> 6.36
        let s = slip("1201.20", "2026-03", "2020-01-01", None);
        assert_eq!(s.gross.to_string(), "100.10");
        assert_eq!(s.income_tax.to_string(), "15.02");
        assert_eq!(s.social_security.to_string(), "6.36");
    }

    #[test]
    fn the_division_happens_once() {
        // 50000 / 12 = 4166.666…; rounding that first and then prorating would drift.
        let s = slip("50000", "2026-02", "2026-02-11", None);
        assert_eq!((s.days_in_period, s.days_worked), (28, 18));
        // 50000 × 18 / 336 = 2678.5714… -> 2678.57
        assert_eq!(s.gross.to_string(), "2678.57");
    }

    #[test]
    fn no_days_no_pay() {
        assert_eq!(slip("60000", "2026-03", "2026-04-01", None).gross.to_string(), "0.00");
        assert_eq!(slip("60000", "2026-03", "2020-01-01", Some("2026-02-28")).days_worked, 0);
    }

    #[test]
    fn yen_payslips_have_no_decimals() {
        let period = Period::parse("period", "2026-03").unwrap();
        let s = payslip(
            Currency::parse("JPY").unwrap(),
            d("5000000"),
            &period,
            day("2020-01-01"),
            None,
            d("0.15"),
            d("0.0635"),
        );
        assert_eq!(
            (s.gross.to_string(), s.income_tax.to_string(), s.social_security.to_string()),
            ("416667".into(), "62500".into(), "26458".into())
        );
    }

    #[test]
    fn periods_are_strict_months() {
        assert_eq!(Period::parse("p", "2024-02").unwrap().days(), 29);
        assert_eq!(Period::parse("p", "2026-12").unwrap().last, day("2026-12-31"));
        for bad in ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "2026-01-01", "", "abcd-ef", "2026-+1"] {
            assert!(Period::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn working_days_skip_weekends() {
        assert_eq!(working_days(day("2026-11-23"), day("2026-11-29")), 5); // Monday to Sunday
        assert_eq!(working_days(day("2026-11-28"), day("2026-11-29")), 0);
        assert_eq!(working_days(day("2026-11-27"), day("2026-11-30")), 2); // Friday to Monday
        assert!(leave_days(day("2026-11-28"), day("2026-11-29")).is_err());
        assert!(leave_days(day("2026-12-30"), day("2027-01-04")).is_err());
        assert!(leave_days(day("2026-12-30"), day("2026-12-29")).is_err());
        assert_eq!(leave_days(day("2026-12-28"), day("2026-12-31")).unwrap(), 4);
    }

    #[test]
    fn candidates_move_forward_or_out_and_stop_when_final() {
        assert!(can_move("APPLIED", "INTERVIEW"));
        assert!(can_move("OFFER", "HIRED"));
        assert!(can_move("SCREENING", "REJECTED"));
        assert!(!can_move("INTERVIEW", "SCREENING"));
        assert!(!can_move("INTERVIEW", "INTERVIEW"));
        assert!(!can_move("HIRED", "REJECTED"));
        assert!(!can_move("REJECTED", "OFFER"));
    }
}
