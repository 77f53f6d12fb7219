//! Money, quantities and rates: exact decimal arithmetic and its storage.
//!
//! - Storage: scaled integers. Amounts, quantities and prices are kept in 1/10 000 of a unit
//!   (`UNITS`), rates in 1/1 000 000 (`RATE_UNITS`). Both engines store and sum `BIGINT`s
//!   exactly; SeaORM would read a SQLite `DECIMAL` through `f64`.
//! - Arithmetic: `rust_decimal`, rounded once, half away from zero, to the currency's minor
//!   unit (ISO 4217).
//! - Rendering: amounts with exactly the currency's decimals (`"121.00"`, `"121"` in JPY);
//!   quantities and rates without trailing zeros (`"3"`, `"0.21"`).
//!
//! There is no `f64` in this module or anywhere money flows; `tests/no_floats.rs` checks the tree.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places kept for amounts, quantities and unit prices.
pub const AMOUNT_SCALE: u32 = 4;
/// Decimal places kept for rates (tax, payroll).
pub const RATE_SCALE: u32 = 6;
/// Amounts without a single currency (journal, trial balance, budgets, payroll totals).
pub const LEDGER_DECIMALS: u32 = 2;
/// Largest absolute value accepted for any stored figure: far beyond any invoice, far below
/// what the scaled `i64` can hold, so sums of many rows cannot overflow.
pub const MAX_ABS: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 1e12

/// Why a decimal could not be stored.
#[derive(Debug, PartialEq, Eq)]
pub enum ScaleError {
    TooManyDecimals(u32),
    TooLarge,
}

impl std::fmt::Display for ScaleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScaleError::TooManyDecimals(max) => write!(f, "at most {max} decimal places"),
            ScaleError::TooLarge => write!(f, "must be between -1000000000000 and 1000000000000"),
        }
    }
}

/// A decimal as an integer count of `10^-scale`. Refuses more decimals than `scale` (trailing
/// zeros aside) instead of rounding silently.
pub fn to_scaled(value: Decimal, scale: u32) -> Result<i64, ScaleError> {
    if value.abs() > MAX_ABS {
        return Err(ScaleError::TooLarge);
    }
    let normalized = value.normalize();
    if normalized.scale() > scale {
        return Err(ScaleError::TooManyDecimals(scale));
    }
    let mut rescaled = normalized;
    rescaled.rescale(scale);
    // |value| <= 1e12 and scale <= 6 keep the mantissa below 1e18 < i64::MAX.
    i64::try_from(rescaled.mantissa()).map_err(|_| ScaleError::TooLarge)
}

/// A decimal input that must fit its storage scale; `field` names it in the error.
pub fn scaled_input(field: &str, value: Decimal, scale: u32) -> crate::error::AppResult<i64> {
    to_scaled(value, scale).map_err(|e| crate::error::AppError::bad_input(field, format!("{field}: {e}")))
}

pub fn from_scaled(units: i64, scale: u32) -> Decimal {
    Decimal::new(units, scale)
}

/// Largest stored figure in `AMOUNT_SCALE` units: `MAX_ABS` (input values are refused above it).
pub const MAX_UNITS: i64 = 10_000_000_000_000_000;

/// Does a stored figure stay within the bound every input is held to?
pub fn fits(units: i64) -> bool {
    units.unsigned_abs() <= MAX_UNITS as u64
}

/// A derived amount (a line's total, a payroll run's sum) in `AMOUNT_SCALE` units. Derived
/// amounts may exceed `MAX_ABS` (a run sums many payslips); what they may not do is lose
/// digits, and an `i64` of units holds ±922 337 203 685 477 — checked when they are computed.
pub fn amount_units(value: Decimal) -> i64 {
    let mut rescaled = value;
    rescaled.rescale(AMOUNT_SCALE);
    debug_assert_eq!(rescaled, value, "derived amounts have at most {AMOUNT_SCALE} decimals");
    i64::try_from(rescaled.mantissa()).expect("derived amounts are checked to fit the storage unit")
}

/// An exact sum of stored units (SQL aggregates come back as `i128`, see
/// `kernel::aggregate`) as a decimal amount. A `Decimal` mantissa holds 7.9 × 10²⁸ units: more
/// than 8 × 10⁹ rows of the largest `i64` each, so the saturation below is out of reach.
pub fn amount_i128(units: i128) -> Decimal {
    Decimal::try_from_i128_with_scale(units, AMOUNT_SCALE).unwrap_or(if units < 0 {
        Decimal::MIN
    } else {
        Decimal::MAX
    })
}

pub fn amount(units: i64) -> Decimal {
    from_scaled(units, AMOUNT_SCALE)
}

pub fn rate(units: i64) -> Decimal {
    from_scaled(units, RATE_SCALE)
}

/// Half away from zero, to `decimals` places, rendered with exactly that many.
pub fn round(value: Decimal, decimals: u32) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(decimals);
    rounded
}

/// Quantities and rates render without trailing zeros: "3", "0.21".
pub fn plain(value: Decimal) -> Decimal {
    value.normalize()
}

/// Ledger amounts render with two decimals, or more when a 3-decimal currency needs them.
pub fn ledger(value: Decimal) -> Decimal {
    let mut v = value.normalize();
    if v.scale() < LEDGER_DECIMALS {
        v.rescale(LEDGER_DECIMALS);
    }
    v
}

/// An ISO 4217 currency with its minor unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Currency {
    pub code: &'static str,
    pub decimals: u32,
}

impl Currency {
    /// Upper-case codes of ISO 4217's active list; funds, metals and test codes, which have
    /// no minor unit, are not currencies one invoices in.
    pub fn parse(code: &str) -> Option<Currency> {
        // Every amount a response renders looks its currency up: binary search, the list is sorted.
        let found = CURRENCIES.binary_search_by(|(c, _)| (*c).cmp(code)).ok()?;
        let (code, decimals) = CURRENCIES[found];
        Some(Currency { code, decimals })
    }

    pub fn round(&self, value: Decimal) -> Decimal {
        round(value, self.decimals)
    }
}

/// ISO 4217 active codes (list one, 2025 edition) and their minor units.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn a_tenth_three_times_is_exactly_three_tenths() {
        let sum = d("0.1") + d("0.1") + d("0.1");
        assert_eq!(round(sum, 2).to_string(), "0.30");
        assert_eq!(round(d("0.1") * d("3"), 2).to_string(), "0.30");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round(d("2.345"), 2).to_string(), "2.35");
        assert_eq!(round(d("2.335"), 2).to_string(), "2.34");
        assert_eq!(round(d("-2.345"), 2).to_string(), "-2.35");
        assert_eq!(round(d("0.005"), 2).to_string(), "0.01");
        assert_eq!(round(d("0.0049999"), 2).to_string(), "0.00");
    }

    #[test]
    fn currencies_round_to_their_minor_unit() {
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.round(d("120.5")).to_string(), "121");
        assert_eq!(jpy.round(d("121")).to_string(), "121");
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(kwd.round(d("1.2345")).to_string(), "1.235");
        assert_eq!(kwd.round(d("10")).to_string(), "10.000");
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(eur.round(d("121")).to_string(), "121.00");
        assert_eq!(Currency::parse("BHD").unwrap().decimals, 3);
    }

    #[test]
    fn the_currency_list_is_sorted_for_binary_search() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CURRENCIES.iter().all(|(code, _)| Currency::parse(code).is_some_and(|c| c.code == *code)));
    }

    #[test]
    fn unknown_or_lower_case_currencies_are_refused() {
        for bad in ["eur", "EURO", "XXX", "XAU", "", "ABC"] {
            assert!(Currency::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn large_amounts_stay_exact() {
        let big = d("999999999999.9999");
        let units = to_scaled(big, AMOUNT_SCALE).unwrap();
        assert_eq!(units, 9_999_999_999_999_999);
        assert_eq!(from_scaled(units, AMOUNT_SCALE), big);
        let line = round(d("123456789.1234") * d("1000.5"), 2);
        assert_eq!(line.to_string(), "123518517517.96"); // 123456789123.4 + 61728394.5617
    }

    #[test]
    fn storage_refuses_digits_it_would_lose() {
        assert_eq!(to_scaled(d("1.00001"), AMOUNT_SCALE), Err(ScaleError::TooManyDecimals(4)));
        assert_eq!(to_scaled(d("1.10000"), AMOUNT_SCALE), Ok(11_000));
        assert_eq!(to_scaled(d("0.0635"), RATE_SCALE), Ok(63_500));
        assert_eq!(to_scaled(d("1000000000000.01"), AMOUNT_SCALE), Err(ScaleError::TooLarge));
        assert_eq!(to_scaled(d("-5"), AMOUNT_SCALE), Ok(-50_000));
    }

    #[test]
    fn quantities_and_rates_render_without_trailing_zeros() {
        assert_eq!(plain(from_scaled(30_000, AMOUNT_SCALE)).to_string(), "3");
        assert_eq!(plain(rate(210_000)).to_string(), "0.21");
        assert_eq!(ledger(amount(1_210_000)).to_string(), "121.00");
        assert_eq!(ledger(amount(12_345)).to_string(), "1.2345");
        assert_eq!(ledger(Decimal::ZERO).to_string(), "0.00");
    }

    #[test]
    fn max_abs_is_one_trillion() {
        assert_eq!(MAX_ABS, d("1000000000000"));
    }
}
