//! The arithmetic and state rules of finance, pure and unit-tested (CONTRACT.md §6).

use rust_decimal::Decimal;

use crate::error::{AppError, AppResult};
use crate::kernel::money::{self, AMOUNT_SCALE, Currency, RATE_SCALE, scaled_input};

/// One invoice line as entered.
#[derive(Clone, Debug)]
pub struct LineInput {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub tax_rate: Decimal,
}

/// One invoice line with its amounts, rounded to the currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedLine {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub tax_rate: Decimal,
    pub net_amount: Decimal,
    pub tax_amount: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceTotals {
    pub lines: Vec<PricedLine>,
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub total: Decimal,
}

/// `net = round(quantity × unitPrice)`, `tax = round(net × taxRate)`, totals summed from the
/// rounded lines. Quantity > 0, unit price ≥ 0, 0 ≤ tax rate ≤ 1; quantities and prices take
/// up to 4 decimals and rates up to 6 (more is refused, not rounded).
pub fn price_lines(currency: Currency, lines: &[LineInput]) -> AppResult<InvoiceTotals> {
    if !INVOICE_LINES.contains(&lines.len()) {
        return Err(AppError::bad_input(
            "input.lines",
            format!("an invoice has {} to {} lines", INVOICE_LINES.start(), INVOICE_LINES.end()),
        ));
    }
    let mut priced = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let at = |f: &str| format!("input.lines[{i}].{f}");
        scaled_input(&at("quantity"), line.quantity, AMOUNT_SCALE)?;
        scaled_input(&at("unitPrice"), line.unit_price, AMOUNT_SCALE)?;
        scaled_input(&at("taxRate"), line.tax_rate, RATE_SCALE)?;
        if line.quantity <= Decimal::ZERO {
            return Err(AppError::bad_input(at("quantity"), "quantity must be greater than 0"));
        }
        if line.unit_price < Decimal::ZERO {
            return Err(AppError::bad_input(at("unitPrice"), "unitPrice must not be negative"));
        }
        if line.tax_rate < Decimal::ZERO || line.tax_rate > Decimal::ONE {
            return Err(AppError::bad_input(at("taxRate"), "taxRate must be between 0 and 1 (0.21 means 21 %)"));
        }
        let net_amount = currency.round(line.quantity * line.unit_price);
        let tax_amount = currency.round(net_amount * line.tax_rate);
        money::to_scaled(net_amount + tax_amount, AMOUNT_SCALE)
            .map_err(|_| AppError::bad_input(at("quantity"), "the line amount is too large"))?;
        priced.push(PricedLine {
            description: line.description.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            tax_rate: line.tax_rate,
            net_amount,
            tax_amount,
        });
    }
    let subtotal = currency.round(priced.iter().map(|l| l.net_amount).sum());
    let tax_total = currency.round(priced.iter().map(|l| l.tax_amount).sum());
    let total = subtotal + tax_total;
    money::to_scaled(total, AMOUNT_SCALE)
        .map_err(|_| AppError::bad_input("input.lines", "the invoice total is too large"))?;
    Ok(InvoiceTotals { lines: priced, subtotal, tax_total, total })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceStatus {
    Draft,
    Approved,
    PartiallyPaid,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "DRAFT",
            InvoiceStatus::Approved => "APPROVED",
            InvoiceStatus::PartiallyPaid => "PARTIALLY_PAID",
            InvoiceStatus::Paid => "PAID",
            InvoiceStatus::Void => "VOID",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "APPROVED" => InvoiceStatus::Approved,
            "PARTIALLY_PAID" => InvoiceStatus::PartiallyPaid,
            "PAID" => InvoiceStatus::Paid,
            "VOID" => InvoiceStatus::Void,
            _ => InvoiceStatus::Draft,
        }
    }

    pub fn accepts_payment(self) -> bool {
        matches!(self, InvoiceStatus::Approved | InvoiceStatus::PartiallyPaid)
    }

    /// DRAFT, or APPROVED with nothing paid, may be voided.
    pub fn can_void(self, amount_paid: Decimal) -> bool {
        self == InvoiceStatus::Draft || (self == InvoiceStatus::Approved && amount_paid.is_zero())
    }
}

/// The state after a payment of `amount` (checked: 0 < amount ≤ balance due).
pub fn apply_payment(total: Decimal, paid: Decimal, amount: Decimal) -> AppResult<(Decimal, InvoiceStatus)> {
    let balance_due = total - paid;
    if amount <= Decimal::ZERO || amount > balance_due {
        return Err(AppError::bad_input(
            "input.amount",
            format!("amount must be greater than 0 and at most the balance due ({balance_due})"),
        ));
    }
    let paid = paid + amount;
    let status = if paid == total { InvoiceStatus::Paid } else { InvoiceStatus::PartiallyPaid };
    Ok((paid, status))
}

/// `<DEPARTMENT CODE IN UPPER CASE>-<R|P>-<year>-<6 digits>`.
pub fn invoice_number(department: &str, receivable: bool, year: i32, sequence: i64) -> String {
    format!("{}-{}-{year}-{sequence:06}", department.to_uppercase(), if receivable { "R" } else { "P" })
}

/// A journal line as entered: exactly one of debit and credit greater than zero.
#[derive(Clone, Debug)]
pub struct JournalLineInput {
    pub account_code: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// Lines an invoice may have (CONTRACT.md §10).
pub const INVOICE_LINES: std::ops::RangeInclusive<usize> = 1..=200;
/// Lines a journal entry may have (CONTRACT.md §10).
pub const JOURNAL_LINES: std::ops::RangeInclusive<usize> = 2..=500;

/// Two to five hundred lines, each with exactly one side > 0 (the other 0), debits equal to credits.
pub fn check_balanced(lines: &[JournalLineInput]) -> AppResult<()> {
    if !JOURNAL_LINES.contains(&lines.len()) {
        return Err(AppError::bad_input(
            "input.lines",
            format!("a journal entry has {} to {} lines", JOURNAL_LINES.start(), JOURNAL_LINES.end()),
        ));
    }
    for (i, line) in lines.iter().enumerate() {
        let at = |f: &str| format!("input.lines[{i}].{f}");
        scaled_input(&at("debit"), line.debit, AMOUNT_SCALE)?;
        scaled_input(&at("credit"), line.credit, AMOUNT_SCALE)?;
        if line.debit < Decimal::ZERO || line.credit < Decimal::ZERO {
            return Err(AppError::bad_input(at("debit"), "debit and credit must not be negative"));
        }
        if (line.debit > Decimal::ZERO) == (line.credit > Decimal::ZERO) {
            return Err(AppError::bad_input(
                at("debit"),
                "each line needs exactly one of debit and credit greater than 0",
            ));
        }
    }
    let debits: Decimal = lines.iter().map(|l| l.debit).sum();
    let credits: Decimal = lines.iter().map(|l| l.credit).sum();
    if debits != credits {
        return Err(AppError::bad_input("input.lines", format!("debits ({debits}) must equal credits ({credits})")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn line(q: &str, p: &str, r: &str) -> LineInput {
        LineInput { description: "x".into(), quantity: d(q), unit_price: d(p), tax_rate: d(r) }
    }

    fn field(err: AppError) -> String {
        match err {
            AppError::BadInput { field, .. } => field,
            other => panic!("not bad input: {other:?}"),
        }
    }

    #[test]
    fn a_hundred_at_21_percent_is_121_00() {
        let t = price_lines(Currency::parse("EUR").unwrap(), &[line("1", "100", "0.21")]).unwrap();
        assert_eq!(
            (t.subtotal.to_string(), t.tax_total.to_string(), t.total.to_string()),
            ("100.00".into(), "21.00".into(), "121.00".into())
        );
    }

    #[test]
    fn lines_round_before_they_are_summed() {
        // 3 × 0.335 = 1.005 -> 1.01 each; tax 1.01 × 0.21 = 0.2121 -> 0.21 each.
        let t = price_lines(Currency::parse("EUR").unwrap(), &[line("3", "0.335", "0.21"), line("3", "0.335", "0.21")])
            .unwrap();
        assert_eq!(t.lines[0].net_amount.to_string(), "1.01");
        assert_eq!(t.subtotal.to_string(), "2.02");
        assert_eq!(t.tax_total.to_string(), "0.42");
        assert_eq!(t.total.to_string(), "2.44");
    }

    #[test]
    fn a_tenth_times_three_is_exact() {
        let t = price_lines(Currency::parse("USD").unwrap(), &[line("3", "0.1", "0")]).unwrap();
        assert_eq!(t.total.to_string(), "0.30");
    }

    #[test]
    fn jpy_has_no_decimals_and_kwd_three() {
        let jpy = price_lines(Currency::parse("JPY").unwrap(), &[line("1", "100.5", "0.1")]).unwrap();
        assert_eq!(
            (jpy.subtotal.to_string(), jpy.tax_total.to_string(), jpy.total.to_string()),
            ("101".into(), "10".into(), "111".into())
        );
        let kwd = price_lines(Currency::parse("KWD").unwrap(), &[line("2", "1.2345", "0.05")]).unwrap();
        // 2.469 net; 0.12345 tax -> 0.123
        assert_eq!(
            (kwd.subtotal.to_string(), kwd.tax_total.to_string(), kwd.total.to_string()),
            ("2.469".into(), "0.123".into(), "2.592".into())
        );
    }

    #[test]
    fn half_a_cent_rounds_away_from_zero() {
        let t = price_lines(Currency::parse("EUR").unwrap(), &[line("1", "0.125", "0"), line("1", "10", "0.0005")])
            .unwrap();
        assert_eq!(t.lines[0].net_amount.to_string(), "0.13");
        assert_eq!(t.lines[1].tax_amount.to_string(), "0.01");
    }

    #[test]
    fn large_amounts_stay_exact() {
        let t = price_lines(Currency::parse("EUR").unwrap(), &[line("1000", "999999.9999", "0.21")]).unwrap();
        assert_eq!(t.subtotal.to_string(), "999999999.90");
        assert_eq!(t.tax_total.to_string(), "209999999.98");
        assert_eq!(t.total.to_string(), "1209999999.88");
    }

    #[test]
    fn bad_lines_name_their_field() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(field(price_lines(eur, &[]).unwrap_err()), "input.lines");
        assert_eq!(field(price_lines(eur, &[line("0", "1", "0")]).unwrap_err()), "input.lines[0].quantity");
        assert_eq!(
            field(price_lines(eur, &[line("1", "1", "0"), line("1", "-1", "0")]).unwrap_err()),
            "input.lines[1].unitPrice"
        );
        assert_eq!(field(price_lines(eur, &[line("1", "1", "1.01")]).unwrap_err()), "input.lines[0].taxRate");
        assert_eq!(field(price_lines(eur, &[line("1.00001", "1", "0")]).unwrap_err()), "input.lines[0].quantity");
        assert_eq!(field(price_lines(eur, &[line("1", "1", "0.1234567")]).unwrap_err()), "input.lines[0].taxRate");
        assert!(price_lines(eur, &[line("1", "1", "0.123456")]).is_ok());
    }

    #[test]
    fn payments_move_the_status_and_stop_at_the_balance() {
        assert_eq!(apply_payment(d("121.00"), d("0"), d("21.00")).unwrap(), (d("21.00"), InvoiceStatus::PartiallyPaid));
        assert_eq!(apply_payment(d("121.00"), d("21.00"), d("100.00")).unwrap(), (d("121.00"), InvoiceStatus::Paid));
        assert!(apply_payment(d("121.00"), d("21.00"), d("100.01")).is_err());
        assert!(apply_payment(d("121.00"), d("0"), d("0")).is_err());
        assert!(apply_payment(d("121.00"), d("0"), d("-1")).is_err());
    }

    #[test]
    fn voiding_is_for_drafts_and_unpaid_approvals() {
        assert!(InvoiceStatus::Draft.can_void(Decimal::ZERO));
        assert!(InvoiceStatus::Approved.can_void(Decimal::ZERO));
        assert!(!InvoiceStatus::PartiallyPaid.can_void(d("1")));
        assert!(!InvoiceStatus::Paid.can_void(d("1")));
        assert!(!InvoiceStatus::Void.can_void(Decimal::ZERO));
    }

    #[test]
    fn numbers_are_department_kind_year_and_six_digits() {
        assert_eq!(invoice_number("fin", true, 2026, 1), "FIN-R-2026-000001");
        assert_eq!(invoice_number("ops-eu", false, 2025, 123456), "OPS-EU-P-2025-123456");
    }

    #[test]
    fn journal_entries_must_balance_with_one_side_per_line() {
        let l = |a: &str, dr: &str, cr: &str| JournalLineInput { account_code: a.into(), debit: d(dr), credit: d(cr) };
        assert!(check_balanced(&[l("1000", "10", "0"), l("3000", "0", "10")]).is_ok());
        assert_eq!(field(check_balanced(&[l("1000", "10", "0")]).unwrap_err()), "input.lines");
        assert_eq!(field(check_balanced(&[l("1000", "10", "0"), l("3000", "0", "9.99")]).unwrap_err()), "input.lines");
        assert_eq!(
            field(check_balanced(&[l("1000", "10", "10"), l("3000", "0", "0")]).unwrap_err()),
            "input.lines[0].debit"
        );
        assert_eq!(
            field(check_balanced(&[l("1000", "10", "0"), l("3000", "0", "0")]).unwrap_err()),
            "input.lines[1].debit"
        );
        assert_eq!(
            field(check_balanced(&[l("1000", "-10", "0"), l("3000", "0", "-10")]).unwrap_err()),
            "input.lines[0].debit"
        );
    }
}
