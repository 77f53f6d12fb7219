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
use crate::hr::employees::Hire;
use crate::hr::{leave, payroll, recruitment, training};
use crate::it::assets::{self, Register};
use crate::it::{access, licenses, tickets};
use crate::kernel::time;
use crate::kernel::{Auth, RequestCtx};
use crate::org::service::{self as org, NewDepartment, NewUser, RoleChange};
use crate::state::AppState;
use crate::workflows;

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

/// Employee records of the demo users: (email, department, first name, last name, position, salary).
const DEMO_STAFF: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("finance.manager@demo.trastienda", "fin", "Felix", "Fernández", "Finance manager", "68000"),
    ("finance.clerk@demo.trastienda", "fin", "Carla", "Castro", "Accounts clerk", "34000"),
    ("hr.manager@demo.trastienda", "hr", "Helena", "Herrera", "Head of people", "66000"),
    ("hr.officer@demo.trastienda", "hr", "Hugo", "Hidalgo", "HR officer", "38000"),
    ("it.manager@demo.trastienda", "it", "Iris", "Ibáñez", "IT manager", "64000"),
    ("it.tech@demo.trastienda", "it", "Tomás", "Torres", "Support technician", "31000"),
    ("ops.manager@demo.trastienda", "ops", "Marta", "Molina", "Operations manager", "52000"),
    ("front.office@demo.trastienda", "sales", "Fran", "Flores", "Shop assistant", "24000"),
    ("pablo.picker@demo.trastienda", "ops", "Pablo", "Prieto", "Warehouse picker", "23000"),
    ("rosa.driver@demo.trastienda", "ops", "Rosa", "Ruiz", "Delivery driver", "25500"),
    ("leo.leaver@demo.trastienda", "ops", "Leo", "Lozano", "Warehouse picker", "23000"),
];

async fn seed_company(state: &AppState) -> AppResult<()> {
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
    // Hiring opens each newcomer's onboarding ticket, as it would for any client.
    let mut staff = std::collections::HashMap::new();
    for (email, department, first, last, position, salary) in DEMO_STAFF {
        let hire = Hire {
            department: department.to_string(),
            first_name: first.to_string(),
            last_name: last.to_string(),
            email: email.to_string(),
            position: position.to_string(),
            manager_id: None,
            hire_date: time::today() - Duration::days(400),
            annual_salary: d(salary),
            currency: "EUR".into(),
            national_id: Some(format!("{:08}X", 10_000_000 + staff.len() * 7_919)),
            bank_account: Some(format!("ES76 2100 0418 4502 0005 {:04}", 1000 + staff.len())),
        };
        staff.insert(*email, workflows::hiring::hire_employee(state, &admin, hire).await?);
    }
    for (email, password, name, role, dept) in &DEMO_USERS[1..] {
        let new = NewUser {
            email: email.to_string(),
            password: password.to_string(),
            display_name: name.to_string(),
            employee_id: staff.get(email).map(|e| e.id.clone()),
        };
        let user = org::create_user(state, &admin, new).await?;
        org::change_role(state, &admin, RoleChange::Assign, &user.id, *role, dept).await?;
    }
    seed_finance(state, &system.request_id).await?;
    seed_people(state, &system.request_id, &staff).await?;
    seed_it(state, &system.request_id, &staff).await?;
    Ok(())
}

type Staff = std::collections::HashMap<&'static str, entity::employee::Model>;

/// Last month's payroll of finance, posted; leave requests; an opening; certifications.
async fn seed_people(state: &AppState, request_id: &str, staff: &Staff) -> AppResult<()> {
    let hr_officer = as_user(state, "hr.officer@demo.trastienda", request_id).await?;
    let hr_manager = as_user(state, "hr.manager@demo.trastienda", request_id).await?;
    let clerk = as_user(state, "finance.clerk@demo.trastienda", request_id).await?;
    let ops_manager = as_user(state, "ops.manager@demo.trastienda", request_id).await?;
    let today = time::today();
    let last_month = today.with_day(1).expect("day 1 exists") - Duration::days(1);
    let period = format!("{:04}-{:02}", last_month.year(), last_month.month());
    let run = payroll::create_run(state, &hr_officer, "fin", &period).await?;
    payroll::approve_run(state, &hr_manager, &run.id).await?;
    workflows::postings::post_payroll_run(state, &clerk, &run.id).await?;
    payroll::create_run(state, &hr_officer, "ops", &period).await?;

    let next_monday = |weeks: i64| {
        let monday = today + Duration::days((7 - today.weekday().num_days_from_monday() as i64) % 7 + 7 * weeks);
        if monday.year() == today.year() { monday } else { today.with_day(1).expect("day 1 exists") }
    };
    let ask = |employee: &str, kind: &'static str, start: chrono::NaiveDate, days: i64| leave::NewRequest {
        employee_id: Some(staff[employee].id.clone()),
        leave_type: kind,
        start_date: start,
        end_date: (start + Duration::days(days))
            .min(start.with_month(12).and_then(|d| d.with_day(31)).unwrap_or(start)),
        reason: Some("demo".into()),
    };
    let pablo =
        leave::request(state, &hr_officer, ask("pablo.picker@demo.trastienda", "VACATION", next_monday(1), 4)).await?;
    leave::decide(state, &ops_manager, &pablo.id, true, Some("Enjoy!".into())).await?;
    leave::request(state, &hr_officer, ask("rosa.driver@demo.trastienda", "VACATION", next_monday(2), 2)).await?;

    let opening = recruitment::open(state, &hr_officer, "ops", "Warehouse picker", 2).await?;
    let candidates = [
        ("Nora Navarro", "nora@example.com"),
        ("Iván Iglesias", "ivan@example.com"),
        ("Eva Esteban", "eva@example.com"),
    ];
    let mut ids = Vec::new();
    for (name, email) in candidates {
        ids.push(recruitment::add_candidate(state, &hr_officer, &opening.id, name, email).await?.id);
    }
    recruitment::move_candidate(state, &hr_officer, &ids[0], "OFFER").await?;
    recruitment::move_candidate(state, &hr_officer, &ids[1], "INTERVIEW").await?;
    recruitment::move_candidate(state, &hr_officer, &ids[2], "REJECTED").await?;

    for (email, title, kind, lapses_in) in [
        ("pablo.picker@demo.trastienda", "Forklift operator licence", "CERTIFICATION", Some(20)),
        ("rosa.driver@demo.trastienda", "Defensive driving", "CERTIFICATION", Some(300)),
    ] {
        let Some(employee) = staff.get(email) else { continue };
        let record = training::NewRecord {
            employee_id: employee.id.clone(),
            title: title.into(),
            kind,
            completed_on: today - Duration::days(345),
            expires_on: lapses_in.map(|d| today + Duration::days(d)),
        };
        training::record(state, &hr_officer, record).await?;
    }
    Ok(())
}

/// Laptops and licences for the staff, tickets in several states, access grants, and one
/// leaver whose termination shows the automatic offboarding.
async fn seed_it(state: &AppState, request_id: &str, staff: &Staff) -> AppResult<()> {
    let tech = as_user(state, "it.tech@demo.trastienda", request_id).await?;
    let it_manager = as_user(state, "it.manager@demo.trastienda", request_id).await?;
    let hr_manager = as_user(state, "hr.manager@demo.trastienda", request_id).await?;
    let front = as_user(state, "front.office@demo.trastienda", request_id).await?;
    let today = time::today();

    let office =
        licenses::add(state, &it_manager, "it", "Office suite", "Microsoft", 10, Some(today + Duration::days(200)))
            .await?;
    for (n, email) in ["finance.clerk@demo.trastienda", "ops.manager@demo.trastienda", "leo.leaver@demo.trastienda"]
        .iter()
        .enumerate()
    {
        let register = Register {
            department: "it".into(),
            tag: format!("LAP-{:03}", n + 1),
            kind: "LAPTOP",
            model: "ThinkPad T14".into(),
            serial_number: format!("PF-3X{:04}", 4711 + n),
            purchase_date: Some(today - Duration::days(300)),
            purchase_cost: Some(d("1249.00")),
            warranty_ends_on: Some(today + Duration::days(795)),
        };
        let laptop = assets::register(state, &tech, register).await?;
        assets::assign(state, &tech, &laptop.id, &staff[email].id).await?;
        licenses::assign_seat(state, &tech, &office.id, &staff[email].id).await?;
        access::grant(state, &tech, &staff[email].id, "ERP", "user").await?;
    }
    let spare = Register {
        department: "it".into(),
        tag: "MON-001".into(),
        kind: "MONITOR",
        model: "Dell U2723QE".into(),
        serial_number: "CN-0XYZ".into(),
        purchase_date: None,
        purchase_cost: Some(d("489.90")),
        warranty_ends_on: None,
    };
    assets::register(state, &tech, spare).await?;

    let printer = tickets::OpenInput {
        department: Some("sales".into()),
        title: "Receipt printer offline".into(),
        description: "The till's receipt printer stopped after the update.".into(),
        category: "HARDWARE",
        priority: "P2",
    };
    let printer = tickets::open(state, &front, printer).await?;
    let tech_user = crate::org::service::find_user_by_email(&state.db.conn, "it.tech@demo.trastienda").await?;
    tickets::assign(state, &tech, &printer.id, &tech_user.id).await?;
    tickets::update_status(state, &tech, &printer.id, "IN_PROGRESS").await?;
    tickets::comment(state, &tech, &printer.id, "Driver rolled back; testing.").await?;

    // Leo leaves: grants revoked, seat released, laptop to collect, account deactivated.
    workflows::offboarding::terminate_employee(
        state,
        &hr_manager,
        &staff["leo.leaver@demo.trastienda"].id,
        today,
        "End of fixed-term contract",
    )
    .await?;
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
    workflows::postings::approve_invoice(state, &manager, &rent.id).await?;
    let paid = NewPayment {
        invoice_id: rent.id.clone(),
        amount: d("2904.00"),
        paid_on: month_start + Duration::days(2),
        reference: Some("TRF-0001".into()),
    };
    workflows::postings::record_payment(state, &manager, paid).await?;

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
    workflows::postings::approve_invoice(state, &manager, &consulting.id).await?;
    let partial = NewPayment {
        invoice_id: consulting.id.clone(),
        amount: d("500.00"),
        paid_on: month_start + Duration::days(5),
        reference: None,
    };
    workflows::postings::record_payment(state, &manager, partial).await?;

    let large = invoices::create_invoice(
        state,
        &clerk,
        invoice(false, "Servidores del Norte", vec![line("Rack servers", "4", "3150", "0.21")]),
    )
    .await?;
    workflows::postings::approve_invoice(state, &manager, &large.id).await?;
    let duplicate = invoices::create_invoice(
        state,
        &clerk,
        invoice(false, "Papelería Sol", vec![line("Paper", "10", "4.5", "0.21")]),
    )
    .await?;
    workflows::postings::void_invoice(state, &clerk, &duplicate.id, "entered twice").await?;
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
        workflows::reordering::record_stock_movement(state, who, movement).await?;
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
