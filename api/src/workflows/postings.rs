//! The journal entries other departments' work posts (CONTRACT.md §6): approving, paying and
//! voiding invoices, and posting payroll. Each entry is `auto:postJournalEntry`, in the
//! department of what caused it.

use entity::{invoice, payment, payroll_run};
use rust_decimal::Decimal;

use crate::error::AppResult;
use crate::finance::invoices::{self, NewPayment};
use crate::finance::ledger;
use crate::hr::payroll;
use crate::kernel::{RequestCtx, UnitOfWork, ids, money, time};
use crate::state::AppState;

/// `approveInvoice`: DRAFT → APPROVED with its number, and the approval entry dated the issue date.
pub async fn approve_invoice(state: &AppState, rc: &RequestCtx, id: &str) -> AppResult<invoice::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "approveInvoice").await?;
    let approval = invoices::claim_approval(&uow, state, principal, id).await?;
    let invoice = &approval.before;
    let entry = ledger::post_automatic(
        &mut uow,
        &principal.user_id,
        &invoice.department_code,
        invoice.issue_date,
        format!("Invoice {} — {}", approval.number, invoice.counterparty),
        format!("invoice:{}", invoice.id),
        &invoices::approval_lines(invoice),
    )
    .await?;
    let approved = invoices::complete_approval(&mut uow, approval, &principal.user_id, entry.id).await?;
    uow.commit().await?;
    Ok(approved)
}

/// `recordPayment`: the payment, and its entry dated the day it was paid.
pub async fn record_payment(state: &AppState, rc: &RequestCtx, input: NewPayment) -> AppResult<payment::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "recordPayment").await?;
    let claim = invoices::claim_payment(&uow, state, principal, &input).await?;
    let payment_id = ids::new_id();
    let invoice = &claim.before;
    let entry = ledger::post_automatic(
        &mut uow,
        &principal.user_id,
        &invoice.department_code,
        input.paid_on,
        format!("Payment of invoice {}", invoice.number.as_deref().unwrap_or("")),
        format!("payment:{payment_id}"),
        &invoices::payment_lines(invoice, input.amount),
    )
    .await?;
    let payment = invoices::complete_payment(&mut uow, claim, &input, payment_id, entry.id, &principal.user_id).await?;
    uow.commit().await?;
    Ok(payment)
}

/// `voidInvoice`: VOID, and for an approved invoice the reversal of its approval entry, dated
/// the day of the void (UTC).
pub async fn void_invoice(state: &AppState, rc: &RequestCtx, id: &str, reason: &str) -> AppResult<invoice::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "voidInvoice").await?;
    let (before, voided) = invoices::void(&uow, state, principal, id, reason).await?;
    if let Some(entry_id) = &before.approval_entry_id {
        let memo = format!(
            "Void of invoice {}: {}",
            before.number.as_deref().unwrap_or(""),
            voided.void_reason.as_deref().unwrap_or("")
        );
        ledger::reverse_automatically(&mut uow, &principal.user_id, entry_id, time::today(), memo).await?;
    }
    invoices::record_update(&mut uow, &before, &voided).await?;
    uow.commit().await?;
    Ok(voided)
}

/// `postPayrollRun`: POSTED, with Dr 5100 gross, Cr 2200 tax and social security, Cr 2300 net,
/// dated the period's last day.
pub async fn post_payroll_run(state: &AppState, rc: &RequestCtx, id: &str) -> AppResult<payroll_run::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "postPayrollRun").await?;
    let (run, claimed, period) = payroll::claim_posting(&uow, state, principal, id).await?;
    let zero = Decimal::ZERO;
    let withheld = money::amount(run.total_income_tax) + money::amount(run.total_social_security);
    let lines = [
        ("5100", money::amount(run.total_gross), zero),
        ("2200", zero, withheld),
        ("2300", zero, money::amount(run.total_net)),
    ];
    let entry = ledger::post_automatic(
        &mut uow,
        &principal.user_id,
        &run.department_code,
        period.last,
        format!("Payroll {} {}", run.department_code, run.period),
        format!("payroll:{}", run.id),
        &lines,
    )
    .await?;
    let posted = payroll::link_posting(&mut uow, &run, claimed, entry.id).await?;
    uow.commit().await?;
    Ok(posted)
}
