//! `trastienda seed`: a realistic company of any size, the same for the same options, written in
//! bulk — for benchmarks, query plans and demos at volume.
//!
//! Departments of skewed sizes, their staff and users, employees, and a year of invoices: some
//! still drafts, most approved (numbered without gaps, each with its journal entry), many paid
//! or partly paid (each payment with its entry), a few voided. The trial balance balances, the
//! counters continue past the numbers used, and every record has its audit event in one valid
//! chain (`action` `seed`), so `trastienda audit verify` accepts the result.
//!
//! Determinism: every random choice comes from one SplitMix64 stream seeded by `--seed`, ids
//! are UUIDv7 built from the records' synthetic creation times, and nothing reads the clock.
//! Rows go in as multi-row `INSERT`s, a chunk of invoices per transaction.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::{
    account, audit_event, audit_head, counter, department, employee, invoice, invoice_line, journal_entry,
    journal_line, payment, role_assignment, user,
};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Iterable, ModelTrait, PaginatorTrait};

use crate::audit::chain::{self, GENESIS_HASH};
use crate::audit::tree;
use crate::audit::{Audited, sanitize};
use crate::finance::invoices::{InvoiceRecord, PaymentRecord, approval_lines, payment_lines};
use crate::finance::ledger::EntryRecord;
use crate::finance::rules::{self, InvoiceStatus, LineInput};
use crate::kernel::db::Database;
use crate::kernel::money::{self, Currency};
use crate::org::service::UserRecord;

/// What to generate.
#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub departments: usize,
    pub employees: usize,
    pub invoices: usize,
    /// The year of history.
    pub year: i32,
    pub seed: u64,
    /// The password of every seeded user.
    pub password: String,
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct SeedReport {
    pub departments: usize,
    pub users: usize,
    pub employees: usize,
    pub invoices: usize,
    pub journal_entries: usize,
    pub payments: usize,
    pub audit_events: i64,
}

/// Told how far the work has got (a progress bar on a terminal).
pub trait Progress {
    fn start(&self, total: u64);
    fn advance(&self, done: u64);
}

/// Invoices per transaction.
const CHUNK: usize = 5_000;
const ADMIN_EMAIL: &str = "admin@seed.example";

pub async fn run(db: &Database, options: &SeedOptions, progress: &dyn Progress) -> anyhow::Result<SeedReport> {
    anyhow::ensure!(options.departments >= 1 && options.departments <= 999, "--departments must be 1 to 999");
    anyhow::ensure!(crate::kernel::time::YEARS.contains(&options.year), "--year must be 1900 to 9999");
    if department::Entity::find().count(&db.conn).await? > 0 {
        anyhow::bail!("the database already holds departments: seed a fresh, migrated database");
    }
    let accounts: HashMap<String, String> =
        account::Entity::find().all(&db.conn).await?.into_iter().map(|a| (a.code, a.id)).collect();
    let hash = crate::auth::password::hash(options.password.clone()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut seeder = Seeder {
        rng: SplitMix64(options.seed),
        year: options.year,
        accounts,
        chain: Chain { seq: 0, prev_hash: GENESIS_HASH.to_string(), events: Vec::new() },
        counters: HashMap::new(),
        report: SeedReport::default(),
    };
    progress.start((options.employees + options.invoices) as u64);

    // The organisation, at the start of the year.
    let org = seeder.organisation(options, &hash);
    let txn = db.begin_write().await?;
    // In the order of the foreign keys: users name their employee.
    insert_all(&txn.txn, org.departments.iter().cloned()).await?;
    for employees in org.employees.chunks(CHUNK) {
        insert_all(&txn.txn, employees.iter().cloned()).await?;
        progress.advance(employees.len() as u64);
    }
    insert_all(&txn.txn, org.users.iter().cloned()).await?;
    insert_all(&txn.txn, org.roles.iter().cloned()).await?;
    seeder.chain.flush(&txn.txn).await?;
    txn.commit().await?;

    // A year of invoices, in the order they were issued.
    let mut issued = 0;
    while issued < options.invoices {
        let count = CHUNK.min(options.invoices - issued);
        let batch = seeder.invoices(&org, issued, count, options.invoices);
        let txn = db.begin_write().await?;
        // In the order of the foreign keys: an approved invoice names its journal entry.
        insert_all(&txn.txn, batch.entries).await?;
        insert_all(&txn.txn, batch.entry_lines).await?;
        insert_all(&txn.txn, batch.invoices).await?;
        insert_all(&txn.txn, batch.lines).await?;
        insert_all(&txn.txn, batch.payments).await?;
        seeder.chain.flush(&txn.txn).await?;
        txn.commit().await?;
        issued += count;
        progress.advance(count as u64);
    }

    // Counters continue past every number used.
    let txn = db.begin_write().await?;
    let mut counters: Vec<counter::Model> =
        seeder.counters.iter().map(|(name, value)| counter::Model { name: name.clone(), value: *value }).collect();
    counters.sort_by(|a, b| a.name.cmp(&b.name));
    counters.push(counter::Model { name: "employee".into(), value: options.employees as i64 });
    insert_all(&txn.txn, counters).await?;
    txn.commit().await?;
    seeder.report.audit_events = seeder.chain.seq;
    Ok(seeder.report)
}

/// Inserts models in multi-row statements, as many rows per statement as the engines' bound
/// parameters allow (SQLite takes 32 766, PostgreSQL 65 535).
async fn insert_all<M, I>(txn: &sea_orm::DatabaseTransaction, models: I) -> anyhow::Result<()>
where
    M: ModelTrait + IntoActiveModel<ActiveOf<M>>,
    ActiveOf<M>: ActiveModelTrait<Entity = M::Entity> + Send,
    I: IntoIterator<Item = M>,
{
    let columns = <M::Entity as EntityTrait>::Column::iter().count().max(1);
    let per_statement = (30_000 / columns).clamp(1, 1_000);
    let mut batch = Vec::with_capacity(per_statement);
    for model in models {
        batch.push(model.into_active_model());
        if batch.len() == per_statement {
            M::Entity::insert_many(std::mem::take(&mut batch)).exec_without_returning(txn).await?;
        }
    }
    if !batch.is_empty() {
        M::Entity::insert_many(batch).exec_without_returning(txn).await?;
    }
    Ok(())
}

type ActiveOf<M> = <<M as ModelTrait>::Entity as EntityTrait>::ActiveModel;

/// A small, fast, portable PRNG (Steele et al.'s SplitMix64): the same seed, the same company.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The audit events of the seeded records, hashed as they are produced.
struct Chain {
    seq: i64,
    prev_hash: String,
    events: Vec<audit_event::Model>,
}

impl Chain {
    fn record<T: Audited>(&mut self, rng: &mut SplitMix64, at: DateTime<Utc>, entity: &T) {
        self.seq += 1;
        let mut event = audit_event::Model {
            seq: self.seq,
            id: uuid_v7(rng, at),
            occurred_at: at,
            actor_id: None,
            actor_email: Some(ADMIN_EMAIL.into()),
            action: "seed".into(),
            entity_type: T::ENTITY_TYPE.into(),
            entity_id: Some(entity.audit_id()),
            department: entity.audit_department(),
            before: None,
            after: Some(sanitize(entity.audit_snapshot()).to_string()),
            outcome: "SUCCESS".into(),
            request_id: "seed".into(),
            prev_hash: self.prev_hash.clone(),
            hash: String::new(),
        };
        event.hash = chain::compute_hash(&self.prev_hash, &chain::hashed_object(&event));
        self.prev_hash = event.hash.clone();
        self.events.push(event);
    }

    /// Writes the events produced so far, their leaves of the Merkle tree, and moves the
    /// chain's head, in the caller's transaction.
    async fn flush(&mut self, txn: &sea_orm::DatabaseTransaction) -> anyhow::Result<()> {
        let events = std::mem::take(&mut self.events);
        let Some(first) = events.first().map(|e| e.seq - 1) else { return Ok(()) };
        let leaves = events.iter().map(|e| tree::leaf_of(&e.hash)).collect::<Option<Vec<_>>>();
        let leaves = leaves.ok_or_else(|| anyhow::anyhow!("an event hash is not 32 bytes of hex"))?;
        insert_all(txn, events).await?;
        tree::append_leaves(txn, first, &leaves).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        audit_head::Entity::update(audit_head::ActiveModel {
            id: sea_orm::Set(1),
            seq: sea_orm::Set(self.seq),
            hash: sea_orm::Set(self.prev_hash.clone()),
            tree_size: sea_orm::Set(self.seq),
        })
        .exec(txn)
        .await?;
        Ok(())
    }
}

/// A UUIDv7 for a record created at `at`: time-ordered like the ids the API makes.
fn uuid_v7(rng: &mut SplitMix64, at: DateTime<Utc>) -> String {
    let millis = at.timestamp_millis().max(0) as u64;
    let random = (u128::from(rng.next()) << 64) | u128::from(rng.next());
    let value = (u128::from(millis & 0xFFFF_FFFF_FFFF) << 80)
        | (0x7 << 76)
        | ((random >> 64) & 0x0FFF) << 64
        | (0b10 << 62)
        | (random & 0x3FFF_FFFF_FFFF_FFFF);
    uuid::Uuid::from_u128(value).to_string()
}

struct Organisation {
    departments: Vec<department::Model>,
    users: Vec<user::Model>,
    roles: Vec<role_assignment::Model>,
    employees: Vec<employee::Model>,
    /// Per department: its code, its weight, its clerk's and its finance manager's user ids.
    finance: Vec<(String, u64, String, String)>,
    admin_id: String,
}

#[derive(Default)]
struct InvoiceBatch {
    invoices: Vec<invoice::Model>,
    lines: Vec<invoice_line::Model>,
    entries: Vec<journal_entry::Model>,
    entry_lines: Vec<journal_line::Model>,
    payments: Vec<payment::Model>,
}

struct Seeder {
    rng: SplitMix64,
    year: i32,
    accounts: HashMap<String, String>,
    chain: Chain,
    counters: HashMap<String, i64>,
    report: SeedReport,
}

const DEPARTMENT_NAMES: &[(&str, &str)] = &[
    ("Finance", "FINANCE"),
    ("People", "HR"),
    ("IT", "IT"),
    ("Operations", "OPERATIONS"),
    ("Sales", "OTHER"),
    ("Marketing", "OTHER"),
    ("Logistics", "OPERATIONS"),
    ("Procurement", "OPERATIONS"),
    ("Customer care", "OTHER"),
    ("Legal", "OTHER"),
];
const FIRST_NAMES: &[&str] = &[
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Fernando", "Gloria", "Hugo", "Inés", "Javier", "Lucía", "Manuel",
    "Nuria", "Óscar", "Paula", "Raúl", "Sara", "Tomás", "Úrsula", "Víctor",
];
const LAST_NAMES: &[&str] = &[
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Alonso",
    "Navarro",
];
const POSITIONS: &[&str] = &["Analyst", "Assistant", "Specialist", "Coordinator", "Technician", "Lead", "Clerk"];
const COUNTERPARTIES: &[&str] = &[
    "Acme S.L.",
    "Suministros Norte S.A.",
    "Papelería Central",
    "Transportes Rápidos",
    "Iberia Tech S.L.",
    "Limpiezas Sol",
    "Consultora Delta",
    "Energía Verde S.A.",
    "Café & Co.",
    "Muebles Oficina Plus",
];
const ITEMS: &[&str] =
    &["Consulting hours", "Office supplies", "Laptops", "Cleaning service", "Freight", "Licences", "Catering"];
const TAX_RATES: &[&str] = &["0", "0.04", "0.10", "0.21", "0.21", "0.21"];

impl Seeder {
    fn start_of_year(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.year, 1, 1, 8, 0, 0).single().expect("a valid year")
    }

    fn organisation(&mut self, options: &SeedOptions, hash: &str) -> Organisation {
        let mut at = self.start_of_year();
        let mut tick = |rng: &mut SplitMix64| {
            at += Duration::milliseconds(1 + rng.below(1000) as i64);
            at
        };
        let mut org = Organisation {
            departments: Vec::new(),
            users: Vec::new(),
            roles: Vec::new(),
            employees: Vec::new(),
            finance: Vec::new(),
            admin_id: String::new(),
        };
        let new_user = |rng: &mut SplitMix64, when: DateTime<Utc>, email: String, name: String| user::Model {
            id: uuid_v7(rng, when),
            email,
            password_hash: hash.to_string(),
            display_name: name,
            active: true,
            token_version: 0,
            failed_logins: 0,
            locked_until: None,
            employee_id: None,
            created_at: when,
            updated_at: when,
        };
        let role = |rng: &mut SplitMix64, when: DateTime<Utc>, user: &user::Model, role: &str, department: &str| {
            role_assignment::Model {
                id: uuid_v7(rng, when),
                user_id: user.id.clone(),
                role: role.into(),
                department: department.into(),
                created_at: when,
            }
        };
        let when = tick(&mut self.rng);
        let admin = new_user(&mut self.rng, when, ADMIN_EMAIL.into(), "Administrator".into());
        let admin_role = role(&mut self.rng, when, &admin, "ADMIN", "*");
        let when = tick(&mut self.rng);
        let auditor = new_user(&mut self.rng, when, "auditor@seed.example".into(), "Auditor".into());
        let auditor_role = role(&mut self.rng, when, &auditor, "AUDITOR", "*");
        org.admin_id = admin.id.clone();
        for (u, r) in [(admin, admin_role), (auditor, auditor_role)] {
            self.chain.record(&mut self.rng, u.created_at, &UserRecord { user: &u, roles: std::slice::from_ref(&r) });
            org.users.push(u);
            org.roles.push(r);
        }

        for d in 0..options.departments {
            let when = tick(&mut self.rng);
            let code = format!("d{:02}", d + 1);
            let (name, kind) = DEPARTMENT_NAMES[d % DEPARTMENT_NAMES.len()];
            let name = if d < DEPARTMENT_NAMES.len() { name.to_string() } else { format!("{name} {}", d + 1) };
            let dept = department::Model {
                id: uuid_v7(&mut self.rng, when),
                code: code.clone(),
                code_key: code.clone(),
                name,
                kind: kind.into(),
                created_at: when,
            };
            self.chain.record(&mut self.rng, when, &dept);
            org.departments.push(dept);
            // Zipf-like sizes: the first departments are much larger than the last.
            let weight = 1_000_000 / (d as u64 + 1);
            let mut ids = Vec::new();
            for (who, role_name) in [
                ("clerk", "FINANCE_CLERK"),
                ("manager", "FINANCE_MANAGER"),
                ("hr", "HR_OFFICER"),
                ("boss", "DEPARTMENT_MANAGER"),
            ] {
                let when = tick(&mut self.rng);
                let u = new_user(&mut self.rng, when, format!("{who}.{code}@seed.example"), format!("{who} {code}"));
                let r = role(&mut self.rng, when, &u, role_name, &code);
                self.chain.record(&mut self.rng, when, &UserRecord { user: &u, roles: std::slice::from_ref(&r) });
                ids.push(u.id.clone());
                org.users.push(u);
                org.roles.push(r);
            }
            org.finance.push((code, weight, ids[0].clone(), ids[1].clone()));
        }
        self.report.departments = org.departments.len();
        self.report.users = org.users.len();

        let total_weight: u64 = org.finance.iter().map(|f| f.1).sum();
        let mut first_of: HashMap<String, String> = HashMap::new();
        for n in 0..options.employees {
            let when = tick(&mut self.rng);
            let code = self.weighted_department(&org, total_weight).to_string();
            let (first, last) = (*self.rng.pick(FIRST_NAMES), *self.rng.pick(LAST_NAMES));
            let hired = NaiveDate::from_ymd_opt(self.year - 1 - self.rng.below(10) as i32, 1, 1).expect("valid")
                + Duration::days(self.rng.below(365) as i64);
            let offset = self.rng.below(365) as i64;
            let leaves_on = self.day_of_year(offset);
            let terminated = self.rng.chance(5).then_some(leaves_on);
            let salary = Decimal::from(18_000 + self.rng.below(132_000) as i64);
            let id = uuid_v7(&mut self.rng, when);
            let manager = first_of.entry(code.clone()).or_insert_with(|| id.clone()).clone();
            let e = employee::Model {
                id: id.clone(),
                employee_number: format!("E{:06}", n + 1),
                first_name: first.into(),
                last_name: last.into(),
                email: format!("e{:06}@seed.example", n + 1),
                department_code: code,
                position: (*self.rng.pick(POSITIONS)).into(),
                manager_id: (manager != id).then_some(manager),
                hire_date: hired,
                termination_date: terminated,
                status: if terminated.is_some() { "TERMINATED" } else { "ACTIVE" }.into(),
                currency: "EUR".into(),
                annual_salary: money::amount_units(salary),
                national_id: Some(format!("{:08}Z", self.rng.below(100_000_000))),
                bank_account: Some(format!("ES{:022}", self.rng.below(u64::MAX))),
                created_at: when,
                updated_at: when,
            };
            self.chain.record(&mut self.rng, when, &e);
            org.employees.push(e);
        }
        self.report.employees = org.employees.len();
        org
    }

    fn weighted_department<'a>(&mut self, org: &'a Organisation, total_weight: u64) -> &'a str {
        let mut ticket = self.rng.below(total_weight);
        for (code, weight, _, _) in &org.finance {
            if ticket < *weight {
                return code;
            }
            ticket -= weight;
        }
        &org.finance[0].0
    }

    fn day_of_year(&self, offset: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 1, 1).expect("valid") + Duration::days(offset)
    }

    fn last_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 12, 31).expect("valid")
    }

    /// Invoices `first..first + count` of `total`, issued evenly through the year, with their
    /// approvals, payments and entries.
    fn invoices(&mut self, org: &Organisation, first: usize, count: usize, total: usize) -> InvoiceBatch {
        let mut batch = InvoiceBatch::default();
        let total_weight: u64 = org.finance.iter().map(|f| f.1).sum();
        let eur = Currency::parse("EUR").expect("EUR");
        let year_ms = 364 * 86_400_000_i64;
        for n in first..first + count {
            let created = self.start_of_year() + Duration::milliseconds(year_ms * n as i64 / total.max(1) as i64);
            let issue_date = created.date_naive();
            let code = self.weighted_department(org, total_weight).to_string();
            let (_, _, clerk, manager) = org.finance.iter().find(|f| f.0 == code).expect("department").clone();
            let receivable = self.rng.chance(30);
            let lines: Vec<LineInput> = (0..1 + self.rng.below(4))
                .map(|_| LineInput {
                    description: (*self.rng.pick(ITEMS)).into(),
                    quantity: Decimal::from(1 + self.rng.below(20) as i64),
                    unit_price: Decimal::new(500 + self.rng.below(500_000) as i64, 2),
                    tax_rate: (*self.rng.pick(TAX_RATES)).parse().expect("a rate"),
                })
                .collect();
            let totals = rules::price_lines(eur, &lines).expect("seeded lines are valid");
            let roll = self.rng.below(100);
            let status = match roll {
                0..15 => InvoiceStatus::Draft,
                15..20 => InvoiceStatus::Void,
                20..50 => InvoiceStatus::Approved,
                50..60 => InvoiceStatus::PartiallyPaid,
                _ => InvoiceStatus::Paid,
            };
            let id = uuid_v7(&mut self.rng, created);
            let kind = if receivable { "RECEIVABLE" } else { "PAYABLE" };
            let mut inv = invoice::Model {
                id: id.clone(),
                department_code: code.clone(),
                kind: kind.into(),
                number: None,
                counterparty: (*self.rng.pick(COUNTERPARTIES)).into(),
                currency: "EUR".into(),
                issue_date,
                due_date: issue_date + Duration::days(30),
                subtotal: money::amount_units(totals.subtotal),
                tax_total: money::amount_units(totals.tax_total),
                total: money::amount_units(totals.total),
                amount_paid: 0,
                status: status.as_str().into(),
                created_by: clerk.clone(),
                approved_by: None,
                approval_entry_id: None,
                void_reason: (status == InvoiceStatus::Void).then(|| "entered twice".to_string()),
                version: 0,
                created_at: created,
                updated_at: created,
            };
            let stored_lines: Vec<invoice_line::Model> = totals
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| invoice_line::Model {
                    id: uuid_v7(&mut self.rng, created),
                    invoice_id: id.clone(),
                    line_no: i as i32 + 1,
                    description: l.description.clone(),
                    quantity: money::amount_units(l.quantity),
                    unit_price: money::amount_units(l.unit_price),
                    tax_rate: money::to_scaled(l.tax_rate, money::RATE_SCALE).expect("a rate"),
                    net_amount: money::amount_units(l.net_amount),
                    tax_amount: money::amount_units(l.tax_amount),
                })
                .collect();
            let mut ledger_events = Vec::new();
            if !matches!(status, InvoiceStatus::Draft | InvoiceStatus::Void) {
                let counter = format!("invoice:{}:{kind}:{}", code.to_lowercase(), self.year);
                let sequence = self.counters.entry(counter).or_insert(0);
                *sequence += 1;
                let number = rules::invoice_number(&code, receivable, self.year, *sequence);
                let approved_at = created + Duration::minutes(30);
                inv.approved_by = Some(manager.clone());
                let entry = self.entry(
                    &mut batch,
                    &code,
                    issue_date,
                    approved_at,
                    format!("Invoice {number} — {}", inv.counterparty),
                    format!("invoice:{id}"),
                    &manager,
                    &approval_lines(&inv),
                );
                inv.approval_entry_id = Some(entry.entry.id.clone());
                inv.number = Some(number);
                ledger_events.push(entry);
                if matches!(status, InvoiceStatus::PartiallyPaid | InvoiceStatus::Paid) {
                    let amount = if status == InvoiceStatus::Paid {
                        totals.total
                    } else {
                        eur.round(totals.total / Decimal::from(2)).min(totals.total - Decimal::new(1, 2))
                    };
                    let paid_on = (issue_date + Duration::days(1 + self.rng.below(60) as i64)).min(self.last_day());
                    let paid_at = Utc.from_utc_datetime(&paid_on.and_hms_opt(12, 0, 0).expect("noon")).max(approved_at);
                    let payment_id = uuid_v7(&mut self.rng, paid_at);
                    let entry = self.entry(
                        &mut batch,
                        &code,
                        paid_on,
                        paid_at,
                        format!("Payment of invoice {}", inv.number.as_deref().unwrap_or("")),
                        format!("payment:{payment_id}"),
                        &clerk,
                        &payment_lines(&inv, amount),
                    );
                    let paid = payment::Model {
                        id: payment_id,
                        invoice_id: id.clone(),
                        amount: money::amount_units(amount),
                        paid_on,
                        reference: Some(format!("TRF-{n:07}")),
                        journal_entry_id: entry.entry.id.clone(),
                        created_by: clerk.clone(),
                        created_at: paid_at,
                    };
                    inv.amount_paid = paid.amount;
                    inv.updated_at = paid_at;
                    ledger_events.push(entry);
                    self.chain.record(&mut self.rng, paid_at, &PaymentRecord { payment: &paid, invoice: &inv });
                    batch.payments.push(paid);
                    self.report.payments += 1;
                } else {
                    inv.updated_at = approved_at;
                }
            }
            self.chain.record(&mut self.rng, inv.updated_at, &InvoiceRecord { invoice: &inv, lines: &stored_lines });
            for entry in &ledger_events {
                let at = entry.entry.created_at;
                self.chain.record(&mut self.rng, at, entry);
            }
            batch.lines.extend(stored_lines);
            batch.invoices.push(inv);
        }
        self.report.invoices += count;
        batch
    }

    /// A balanced entry of (account code, debit, credit) lines, zero lines left out.
    #[allow(clippy::too_many_arguments)]
    fn entry(
        &mut self,
        batch: &mut InvoiceBatch,
        department: &str,
        date: NaiveDate,
        at: DateTime<Utc>,
        memo: String,
        source: String,
        by: &str,
        lines: &[(&str, Decimal, Decimal)],
    ) -> EntryRecord {
        let entry = journal_entry::Model {
            id: uuid_v7(&mut self.rng, at),
            department_code: department.into(),
            date,
            memo,
            source: Some(source),
            reversal_of_id: None,
            created_by: by.into(),
            created_at: at,
        };
        let mut recorded = Vec::new();
        for (code, debit, credit) in lines.iter().filter(|(_, d, c)| !d.is_zero() || !c.is_zero()) {
            let (debit, credit) = (money::amount_units(*debit), money::amount_units(*credit));
            batch.entry_lines.push(journal_line::Model {
                id: uuid_v7(&mut self.rng, at),
                entry_id: entry.id.clone(),
                line_no: recorded.len() as i32 + 1,
                account_id: self.accounts[*code].clone(),
                debit,
                credit,
            });
            recorded.push((code.to_string(), debit, credit));
        }
        batch.entries.push(entry.clone());
        self.report.journal_entries += 1;
        EntryRecord { entry, lines: recorded }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_fixed_by_its_seed() {
        let (mut a, mut b) = (SplitMix64(42), SplitMix64(42));
        let first: Vec<u64> = (0..5).map(|_| a.next()).collect();
        assert_eq!(first, (0..5).map(|_| b.next()).collect::<Vec<_>>());
        // SplitMix64's published first output for seed 0.
        assert_eq!(SplitMix64(0).next(), 0xE220_A839_7B1D_CDAF);
        assert!((0..1000).all(|_| a.below(7) < 7));
    }

    #[test]
    fn ids_are_uuid_v7_ordered_by_time() {
        let mut rng = SplitMix64(1);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let (a, b) = (uuid_v7(&mut rng, t), uuid_v7(&mut rng, t + Duration::milliseconds(1)));
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert!(a < b, "{a} < {b}");
    }
}
