//! Sums of scaled-integer columns that never overflow, on either engine (CONTRACT.md §10).
//!
//! A plain `SUM` of a `BIGINT` overflows its 64 bits: SQLite raises "integer overflow", and
//! PostgreSQL's `numeric` sum fails when cast back to `BIGINT`. Each value `v` is split into
//! `v / 10⁹` and `v % 10⁹` (both engines truncate toward zero and give the remainder the sign of
//! `v`, so `v = high × 10⁹ + low` exactly), each part is summed in SQL — a `BIGINT` holds the
//! sum of the high parts of 10⁹ maximal rows and of the low parts of 9 × 10⁹ rows — and the two
//! sums are put back together in 128 bits here.

use sea_orm::sea_query::{Alias, Expr, SelectStatement};

const SPLIT: i64 = 1_000_000_000;

/// Adds `alias_hi` and `alias_lo` to `query`: the two partial sums of `column` (a qualified SQL
/// column such as `journal_lines.debit`, never user input).
pub fn select_exact_sum(query: &mut SelectStatement, column: &str, alias: &str) {
    query
        .expr_as(Expr::cust(format!("CAST(SUM({column} / {SPLIT}) AS BIGINT)")), Alias::new(format!("{alias}_hi")))
        .expr_as(Expr::cust(format!("CAST(SUM({column} % {SPLIT}) AS BIGINT)")), Alias::new(format!("{alias}_lo")));
}

/// The exact sum from its two parts.
pub fn combine(high: i64, low: i64) -> i128 {
    i128::from(high) * i128::from(SPLIT) + i128::from(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the SQL computes, per value: truncating division and a remainder with the sign of
    /// the dividend (Rust's `/` and `%` on integers behave exactly so).
    fn split_sum(values: &[i64]) -> i128 {
        let high: i64 = values.iter().map(|v| v / SPLIT).sum();
        let low: i64 = values.iter().map(|v| v % SPLIT).sum();
        combine(high, low)
    }

    #[test]
    fn splitting_is_exact_for_extremes_and_signs() {
        let cases: &[&[i64]] = &[
            &[],
            &[0],
            &[1, -1],
            &[i64::MAX, i64::MAX, i64::MAX],
            &[i64::MIN + 1, -999_999_999, 999_999_999],
            &[10_000_000_000_000_000; 1000],
        ];
        for values in cases {
            let expected: i128 = values.iter().map(|v| i128::from(*v)).sum();
            assert_eq!(split_sum(values), expected, "{values:?}");
        }
    }
}
