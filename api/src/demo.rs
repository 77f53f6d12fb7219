//! `serve --demo`: a small company to try the product with, seeded once through the same
//! services (and audit trail) as any client would use, then its sign-ins printed.

use entity::department;
use sea_orm::{EntityTrait, PaginatorTrait};

use std::str::FromStr;

use chrono::{Datelike, Duration};
use rust_decimal::Decimal;

use crate::auth::service::authenticate;
use crate::authz::{ALL_DEPARTMENTS, Role};
use crate::error::AppResult;
use crate::finance::budgets::{self, SetBudget};
use crate::finance::inventory::{self, MovementKind, NewItem, NewMovement};
use crate::finance::invoices::{self, NewInvoice, NewPayment};
use crate::finance::rules::LineInput;
use crate::kernel::time;
use crate::kernel::{Auth, RequestCtx};
use crate::org::service::{self as org, NewDepartment, NewUser, RoleChange};
use crate::state::AppState;

/// (email, password, display name, role, department)
pub const DEMO_USERS: &[(&str, &str, &str, Role, &str)] = &[
    ("admin@demo.trastienda", "demo-password-admin", "Ada Admin", Role::Admin, ALL_DEPARTMENTS),
    ("auditor@demo.trastienda", "demo-password-auditor", "Olga Auditor", Role::Auditor, ALL_DEPARTMENTS),
    ("finance.manager@demo.trastienda", "demo-password-finmgr", "Felix Finance", Role::FinanceManager, "fin"),
    ("finance.clerk@demo.trastienda", "demo-password-clerk", "Carla Clerk", Role::FinanceClerk, "fin"),
    ("hr.manager@demo.trastienda", "demo-password-hrmgr", "Helena Human", Role::HrManager, ALL_DEPARTMENTS),
    ("hr.officer@demo.trastienda", "demo-password-hrofficer", "Hugo Officer", Role::HrOfficer, ALL_DEPARTMENTS),
    ("it.manager@demo.trastienda", "demo-password-itmgr", "Iris Infra", Role::ItManager, ALL_DEPARTMENTS),
    ("it.tech@demo.trastienda", "demo-password-ittech", "Tomas Tech", Role::ItTechnician, ALL_DEPARTMENTS),
    ("ops.manager@demo.trastienda", "demo-password-opsmgr", "Marta Manager", Role::DepartmentManager, "ops"),
    ("front.office@demo.trastienda", "demo-password-front", "Fran Front", Role::FrontOffice, "sales"),
];

const DEMO_DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("fin", "Finance", "FINANCE"),
    ("hr", "People", "HR"),
    ("it", "Information Technology", "IT"),
    ("ops", "Operations", "OPERATIONS"),
    ("sales", "Sales floor", "OTHER"),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let already = department::Entity::find().count(&state.db.conn).await? > 0;
    if already {
        tracing::info!("demo data already present: not seeding again");
    } else {
        seed_company(state).await.map_err(|e| anyhow::anyhow!("seeding the demo company: {e:?}"))?;
    }
    print_sign_ins();
    Ok(())
}

async fn seed_company(state: &AppState) -> crate::error::AppResult<()> {
    let system = RequestCtx::system(format!("demo-{}", uuid::Uuid::new_v4()));
    let (email, password, name, _, _) = DEMO_USERS[0];
    let hash = crate::auth::password::hash(password.into()).await?;
    org::create_administrator(state, &system, email, hash, name).await?;
    let admin = as_user(state, email, &system.request_id).await?;

    for (code, name, kind) in DEMO_DEPARTMENTS {
        let kind = crate::org::service::DEPARTMENT_KINDS.iter().find(|k| *k == kind).copied().unwrap_or("OTHER");
        org::create_department(state, &admin, NewDepartment { code: code.to_string(), name: name.to_string(), kind })
            .await?;
    }
    for (email, password, name, role, dept) in &DEMO_USERS[1..] {
        let new = NewUser {
            email: email.to_string(),
            password: password.to_string(),
            display_name: name.to_string(),
            employee_id: None,
        };
        let user = org::create_user(state, &admin, new).await?;
        org::change_role(state, &admin, RoleChange::Assign, &user.id, *role, dept).await?;
    }
    seed_finance(state, &system.request_id).await?;
    Ok(())
}

fn d(value: &str) -> Decimal {
    Decimal::from_str(value).expect("demo decimals are valid")
}

/// A month of the finance department: supplier and customer invoices in every state, their
/// payments, budgets, and stock that has just reached its reorder point.
async fn seed_finance(state: &AppState, request_id: &str) -> AppResult<()> {
    let clerk = as_user(state, "finance.clerk@demo.trastienda", request_id).await?;
    let manager = as_user(state, "finance.manager@demo.trastienda", request_id).await?;
    let admin = as_user(state, "admin@demo.trastienda", request_id).await?;
    let today = time::today();
    let month_start = today.with_day(1).expect("day 1 exists");
    let line = |description: &str, quantity: &str, price: &str, rate: &str| LineInput {
        description: description.into(),
        quantity: d(quantity),
        unit_price: d(price),
        tax_rate: d(rate),
    };
    let invoice = |receivable: bool, counterparty: &str, lines: Vec<LineInput>| NewInvoice {
        department: "fin".into(),
        receivable,
        counterparty: counterparty.into(),
        currency: "EUR".into(),
        issue_date: month_start,
        due_date: month_start + Duration::days(30),
        lines,
    };

    let rent = invoices::create_invoice(
        state,
        &clerk,
        invoice(false, "Inmobiliaria Centro S.L.", vec![line("Office rent", "1", "2400", "0.21")]),
    )
    .await?;
    invoices::approve_invoice(state, &manager, &rent.id).await?;
    let paid = NewPayment {
        invoice_id: rent.id.clone(),
        amount: d("2904.00"),
        paid_on: month_start + Duration::days(2),
        reference: Some("TRF-0001".into()),
    };
    invoices::record_payment(state, &manager, paid).await?;

    let consulting = invoices::create_invoice(
        state,
        &clerk,
        invoice(
            true,
            "Hotel Miramar S.A.",
            vec![line("Back-office audit", "12", "95", "0.21"), line("Travel", "1", "180", "0")],
        ),
    )
    .await?;
    invoices::approve_invoice(state, &manager, &consulting.id).await?;
    let partial = NewPayment {
        invoice_id: consulting.id.clone(),
        amount: d("500.00"),
        paid_on: month_start + Duration::days(5),
        reference: None,
    };
    invoices::record_payment(state, &manager, partial).await?;

    let large = invoices::create_invoice(
        state,
        &clerk,
        invoice(false, "Servidores del Norte", vec![line("Rack servers", "4", "3150", "0.21")]),
    )
    .await?;
    invoices::approve_invoice(state, &manager, &large.id).await?;
    let duplicate = invoices::create_invoice(
        state,
        &clerk,
        invoice(false, "Papelería Sol", vec![line("Paper", "10", "4.5", "0.21")]),
    )
    .await?;
    invoices::void_invoice(state, &clerk, &duplicate.id, "entered twice").await?;
    invoices::create_invoice(
        state,
        &clerk,
        invoice(false, "Limpiezas Brillo", vec![line("Cleaning, monthly", "1", "320", "0.21")]),
    )
    .await?;

    for (code, amount) in [("5000", "30000"), ("5100", "250000"), ("4000", "120000")] {
        let budget =
            SetBudget { department: "fin".into(), year: today.year(), account_code: code.into(), amount: d(amount) };
        budgets::set_budget(state, &manager, budget).await?;
    }

    let item = |department: &str, sku: &str, name: &str, unit: &str, point: &str, quantity: &str, cost: &str| NewItem {
        department: department.into(),
        sku: sku.into(),
        name: name.into(),
        unit: unit.into(),
        reorder_point: d(point),
        reorder_quantity: d(quantity),
        unit_cost: d(cost),
    };
    let paper = inventory::create_item(
        state,
        &clerk,
        item("fin", "PAP-A4", "A4 paper, 500 sheets", "ream", "10", "50", "4.20"),
    )
    .await?;
    let toner =
        inventory::create_item(state, &clerk, item("fin", "TON-K", "Black toner", "cartridge", "2", "6", "62.50"))
            .await?;
    let brochures =
        inventory::create_item(state, &admin, item("sales", "BRO-26", "Brochure 2026", "box", "3", "10", "18")).await?;
    let moves = [
        (&paper, MovementKind::Receipt, "40"),
        (&paper, MovementKind::Issue, "12"),
        (&toner, MovementKind::Receipt, "4"),
        (&toner, MovementKind::Issue, "2"),
        (&brochures, MovementKind::Receipt, "8"),
    ];
    for (item, kind, quantity) in moves {
        let who = if item.department_code == "fin" { &clerk } else { &admin };
        let movement =
            NewMovement { item_id: item.id.clone(), kind, quantity: d(quantity), reference: Some("demo".into()) };
        inventory::record_movement(state, who, movement).await?;
    }
    Ok(())
}

/// A request context acting as the given demo user (their current roles).
async fn as_user(state: &AppState, email: &str, request_id: &str) -> crate::error::AppResult<RequestCtx> {
    let user = crate::org::service::find_user_by_email(&state.db.conn, email).await?;
    let token = state.tokens.issue(&user.id, user.token_version);
    let auth = authenticate(state, Some(&format!("Bearer {token}"))).await?;
    debug_assert!(matches!(auth, Auth::User(_)));
    Ok(RequestCtx { request_id: request_id.to_string(), client_ip: None, auth })
}

fn print_sign_ins() {
    println!("\nDemo company ready. Sign in with any of these (mutation login):\n");
    for (email, password, _, role, dept) in DEMO_USERS {
        println!("  {:<34} {:<26} {} in {}", email, password, role.as_str(), dept);
    }
    println!();
}
