//! Property tests of the money arithmetic and the aggregates (CONTRACT.md §6, §10): for random
//! inputs within the contract's bounds, what the API computes equals a reference computed in
//! arbitrary precision (`num-bigint`), and sums of stored units never overflow — in Rust and in
//! the SQL each engine runs (SQLite always; PostgreSQL too when `TEST_DATABASE_URL` is set).

use std::str::FromStr;

use api::finance::rules::{LineInput, price_lines};
use api::kernel::aggregate;
use api::kernel::money::{self, Currency};
use num_bigint::BigInt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};

/// `value / 10^shift`, rounded half away from zero, in exact integers.
fn round_div(value: &BigInt, shift: u32) -> BigInt {
    let divisor = BigInt::from(10u64).pow(shift);
    let (quotient, remainder) = (value / &divisor, value % &divisor);
    let twice: BigInt = remainder.clone() * 2;
    let magnitude = if twice >= divisor || -twice >= divisor { BigInt::from(1) } else { BigInt::from(0) };
    if value < &BigInt::from(0) { quotient - magnitude } else { quotient + magnitude }
}

/// A decimal with `decimals` places as the integer count of `10^-decimals`.
fn units(value: Decimal, decimals: u32) -> BigInt {
    let mut v = value;
    v.rescale(decimals);
    assert_eq!(v, value, "no digit lost rescaling {value} to {decimals}");
    BigInt::from(v.mantissa())
}

/// The reference for one invoice: (subtotal, tax total, total) in minor units of the currency.
/// Quantities and prices carry 4 decimals, rates 6: net = round(q × p), tax = round(net × r).
fn reference(decimals: u32, lines: &[(i64, i64, i64)]) -> (BigInt, BigInt, BigInt) {
    let (mut subtotal, mut tax_total) = (BigInt::from(0), BigInt::from(0));
    for &(q, p, r) in lines {
        let net = round_div(&(BigInt::from(q) * BigInt::from(p)), 8 - decimals);
        let tax = round_div(&(net.clone() * BigInt::from(r)), 6);
        subtotal += net;
        tax_total += tax;
    }
    let total = subtotal.clone() + tax_total.clone();
    (subtotal, tax_total, total)
}

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["EUR", "JPY", "KWD", "USD", "BHD", "CLP"]).prop_map(|c| Currency::parse(c).unwrap())
}

/// (quantity, unit price, tax rate) as scaled integers within the contract's bounds.
fn line() -> impl Strategy<Value = (i64, i64, i64)> {
    (
        1i64..=100_000_000_000,
        0i64..=100_000_000_000,
        prop_oneof![Just(0i64), Just(210_000), Just(1_000_000), 0i64..=1_000_000],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invoice_totals_equal_the_arbitrary_precision_reference(
        currency in currency(),
        lines in prop::collection::vec(line(), 1..=200),
    ) {
        let input: Vec<LineInput> = lines
            .iter()
            .map(|&(q, p, r)| LineInput {
                description: "x".into(),
                quantity: Decimal::new(q, 4),
                unit_price: Decimal::new(p, 4),
                tax_rate: Decimal::new(r, 6),
            })
            .collect();
        let (subtotal, tax_total, total) = reference(currency.decimals, &lines);
        let bound = BigInt::from(10u64).pow(12 + currency.decimals);
        match price_lines(currency, &input) {
            Ok(totals) => {
                prop_assert_eq!(units(totals.subtotal, currency.decimals), subtotal);
                prop_assert_eq!(units(totals.tax_total, currency.decimals), tax_total);
                prop_assert_eq!(units(totals.total, currency.decimals), total.clone());
                prop_assert!(total <= bound);
                prop_assert_eq!(totals.total.scale(), currency.decimals, "rendered with the currency's decimals");
            }
            // Refused only when a line or the total leaves what one figure may hold.
            Err(err) => prop_assert!(total > bound || err.to_string().contains("too large"), "{err}"),
        }
    }

    #[test]
    fn sums_of_stored_units_are_exact_at_any_size(
        values in prop::collection::vec(prop_oneof![
            -money::MAX_UNITS..=money::MAX_UNITS,
            Just(money::MAX_UNITS),
            Just(i64::MAX),
            Just(i64::MIN + 1),
        ], 0..2000),
    ) {
        let exact: BigInt = values.iter().map(|v| BigInt::from(*v)).sum();
        let high: i64 = values.iter().map(|v| v / 1_000_000_000).sum();
        let low: i64 = values.iter().map(|v| v % 1_000_000_000).sum();
        let combined = aggregate::combine(high, low);
        prop_assert_eq!(BigInt::from(combined), exact.clone());
        let amount = money::amount_i128(combined);
        prop_assert_eq!(Decimal::from_str(&format!("{exact}")).unwrap() / Decimal::new(10_000, 0), amount);
    }
}

#[derive(FromQueryResult)]
struct Sum {
    total_hi: i64,
    total_lo: i64,
}

/// The SQL half of the aggregates: the split sum `kernel::aggregate` builds, run by the engine
/// itself over maximal and random rows, against the arbitrary-precision sum.
async fn sql_sums_are_exact_on(url: &str) {
    let db = sea_orm::Database::connect(sea_orm::ConnectOptions::new(url).max_connections(1).to_owned()).await.unwrap();
    let table = format!("prop_sums_{}", std::process::id());
    db.execute_unprepared(&format!("CREATE TEMPORARY TABLE {table} (v BIGINT NOT NULL)")).await.unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 24, ..ProptestConfig::default() });
    let rows = prop::collection::vec(
        prop_oneof![Just(i64::MAX), Just(money::MAX_UNITS), -money::MAX_UNITS..=money::MAX_UNITS],
        1..300,
    );
    for _ in 0..24 {
        let values = rows.new_tree(&mut runner).unwrap().current();
        db.execute_unprepared(&format!("DELETE FROM {table}")).await.unwrap();
        let mut insert = Query::insert();
        insert.into_table(Alias::new(&table)).columns([Alias::new("v")]);
        for v in &values {
            insert.values_panic([(*v).into()]);
        }
        db.execute(&insert).await.unwrap();
        let mut select = Query::select();
        aggregate::select_exact_sum(&mut select, "v", "total");
        select.from(Alias::new(&table));
        let sum = Sum::find_by_statement(db.get_database_backend().build(&select)).one(&db).await.unwrap().unwrap();
        let exact: BigInt = values.iter().map(|v| BigInt::from(*v)).sum();
        assert_eq!(BigInt::from(aggregate::combine(sum.total_hi, sum.total_lo)), exact, "{} rows", values.len());
    }
    db.close().await.ok();
}

#[tokio::test]
async fn sql_sums_are_exact_on_sqlite() {
    sql_sums_are_exact_on("sqlite::memory:").await;
}

#[tokio::test]
async fn sql_sums_are_exact_on_postgres_when_configured() {
    let url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty());
    if std::env::var("TRASTIENDA_TEST_ENGINE").as_deref() == Ok("postgres") {
        assert!(url.is_some(), "CI asked for PostgreSQL: TEST_DATABASE_URL must be set");
    }
    // A local run without TEST_DATABASE_URL checks SQLite only; CI's PostgreSQL run sets it.
    if let Some(url) = url {
        sql_sums_are_exact_on(&url).await;
    }
}
