//! Finance over HTTP (CONTRACT.md §6): ledger, invoices with approval and payments, budgets,
//! inventory with automatic reordering — scoped by department.

mod common;

use std::collections::HashMap;

use common::*;
use futures::future::join_all;
use serde_json::{Value, json};

struct Company {
    app: TestApp,
    admin: String,
    clerk: String,
    clerk2: String,
    manager: String,
    ops_clerk: String,
    front: String,
}

async fn company() -> Company {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (code, kind) in [("fin", "FINANCE"), ("ops", "OPERATIONS")] {
        app.create_department(&admin, code, kind).await;
    }
    let (_, clerk) = app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "fin").await;
    let (_, clerk2) = app.user_with_role(&admin, "clerk2@example.com", "FINANCE_CLERK", "fin").await;
    let (_, manager) = app.user_with_role(&admin, "manager@example.com", "FINANCE_MANAGER", "fin").await;
    let (_, ops_clerk) = app.user_with_role(&admin, "ops@example.com", "FINANCE_CLERK", "ops").await;
    let (_, front) = app.user_with_role(&admin, "front@example.com", "FRONT_OFFICE", "fin").await;
    Company { app, admin, clerk, clerk2, manager, ops_clerk, front }
}

const INVOICE_FIELDS: &str = "id number kind status currency subtotal taxTotal total amountPaid balanceDue issueDate dueDate counterparty department { code } lines { description quantity unitPrice taxRate netAmount taxAmount } createdBy { email } approvedBy { email }";

fn invoice_input(dept: &str, kind: &str, lines: Value) -> Value {
    json!({"department": dept, "kind": kind, "counterparty": "Acme S.L.", "currency": "EUR", "issueDate": "2026-03-02", "dueDate": "2026-04-01", "lines": lines})
}

/// Two lines with fractions, the first described `first`.
fn two_lines(first: &str) -> Value {
    json!([
        {"description": first, "quantity": "3", "unitPrice": "0.3333", "taxRate": "0.21"},
        {"description": "Soporte {}", "quantity": "1.5", "unitPrice": "19.99", "taxRate": "0.1"}
    ])
}

fn one_line(qty: &str, price: &str, rate: &str) -> Value {
    json!([{"description": "Widgets", "quantity": qty, "unitPrice": price, "taxRate": rate}])
}

impl Company {
    async fn create_invoice(&self, token: &str, input: Value) -> Gql {
        self.app
            .gql(
                Some(token),
                &format!("mutation($i: CreateInvoiceInput!) {{ createInvoice(input: $i) {{ {INVOICE_FIELDS} }} }}"),
                json!({"i": input}),
            )
            .await
    }

    /// The id of a draft the clerk makes in `fin`.
    async fn draft_in(&self, kind: &str, currency: &str, lines: Value) -> Value {
        let mut input = invoice_input("fin", kind, lines);
        input["currency"] = json!(currency);
        self.create_invoice(&self.clerk, input).await.ok()["createInvoice"]["id"].clone()
    }

    async fn draft(&self, token: &str, dept: &str, kind: &str, qty: &str, price: &str, rate: &str) -> Value {
        self.create_invoice(token, invoice_input(dept, kind, one_line(qty, price, rate))).await.ok()["createInvoice"]
            .clone()
    }

    async fn approve(&self, token: &str, id: &Value) -> Gql {
        self.app
            .gql(
                Some(token),
                &format!("mutation($id: ID!) {{ approveInvoice(id: $id) {{ {INVOICE_FIELDS} }} }}"),
                json!({"id": id}),
            )
            .await
    }

    async fn pay(&self, token: &str, id: &Value, amount: &str, paid_on: &str) -> Gql {
        self.app
            .gql(
                Some(token),
                "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { id amount paidOn reference invoice { status amountPaid balanceDue } } }",
                json!({"i": {"invoiceId": id, "amount": amount, "paidOn": paid_on, "reference": "TRF-1"}}),
            )
            .await
    }

    async fn void(&self, token: &str, id: &Value) -> Gql {
        self.app
            .gql(
                Some(token),
                "mutation($id: ID!) { voidInvoice(id: $id, reason: \"duplicate\") { status number } }",
                json!({"id": id}),
            )
            .await
    }

    async fn trial_balance(&self, token: &str, dept: Option<&str>, as_of: &str) -> Value {
        let res = self
            .app
            .gql(
                Some(token),
                "query($d: String, $a: Date!) { trialBalance(department: $d, asOf: $a) { asOf totalDebit totalCredit rows { account { code } debit credit balance } } }",
                json!({"d": dept, "a": as_of}),
            )
            .await;
        res.ok()["trialBalance"].clone()
    }
}

/// Account code -> balance (debit − credit) as a string.
fn balances(tb: &Value) -> HashMap<String, String> {
    tb["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["account"]["code"].as_str().unwrap().to_string(), r["balance"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn the_chart_of_accounts_is_seeded() {
    let c = company().await;
    let res = c.app.gql(Some(&c.front), "{ accounts { code name type } }", json!({})).await;
    let accounts = res.ok()["accounts"].as_array().unwrap().clone();
    let codes: Vec<&str> = accounts.iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["1000", "1100", "1200", "1300", "2000", "2100", "2200", "2300", "3000", "4000", "5000", "5100"]);
    assert_eq!(accounts[0], json!({"code": "1000", "name": "Cash", "type": "ASSET"}));
    assert_eq!(accounts[6], json!({"code": "2200", "name": "Payroll Liabilities", "type": "LIABILITY"}));
    assert_eq!(accounts[11], json!({"code": "5100", "name": "Salaries Expense", "type": "EXPENSE"}));
}

#[tokio::test]
async fn an_invoice_prices_its_lines_and_renders_currency_decimals() {
    let c = company().await;
    let inv = c
        .create_invoice(
            &c.clerk,
            invoice_input(
                "fin",
                "PAYABLE",
                json!([
                    {"description": "Widgets", "quantity": "3", "unitPrice": "0.1", "taxRate": "0.21"},
                    {"description": "Service", "quantity": "1.5000", "unitPrice": "66.6667", "taxRate": "0"}
                ]),
            ),
        )
        .await;
    let inv = &inv.ok()["createInvoice"];
    assert_eq!(inv["status"], "DRAFT");
    assert!(inv["number"].is_null());
    assert_eq!(
        inv["lines"][0],
        json!({"description": "Widgets", "quantity": "3", "unitPrice": "0.1", "taxRate": "0.21", "netAmount": "0.30", "taxAmount": "0.06"})
    );
    // 1.5 × 66.6667 = 100.00005 -> 100.00
    assert_eq!(inv["lines"][1]["netAmount"], "100.00");
    assert_eq!(inv["lines"][1]["quantity"], "1.5");
    assert_eq!(
        (inv["subtotal"].as_str(), inv["taxTotal"].as_str(), inv["total"].as_str()),
        (Some("100.30"), Some("0.06"), Some("100.36"))
    );
    assert_eq!((inv["amountPaid"].as_str(), inv["balanceDue"].as_str()), (Some("0.00"), Some("100.36")));

    let jpy = c.create_invoice(&c.clerk, json!({"department": "fin", "kind": "RECEIVABLE", "counterparty": "Tokyo KK", "currency": "JPY", "issueDate": "2026-03-02", "dueDate": "2026-03-02", "lines": one_line("1", "100", "0.21")})).await;
    assert_eq!(jpy.ok()["createInvoice"]["total"], "121");
    let kwd = c.create_invoice(&c.clerk, json!({"department": "fin", "kind": "RECEIVABLE", "counterparty": "Kuwait Co", "currency": "KWD", "issueDate": "2026-03-02", "dueDate": "2026-03-02", "lines": one_line("1", "10", "0.05")})).await;
    assert_eq!(kwd.ok()["createInvoice"]["total"], "10.500");
}

#[tokio::test]
async fn bad_invoices_are_refused_naming_the_field_and_create_nothing() {
    let c = company().await;
    let base = invoice_input("fin", "PAYABLE", one_line("1", "10", "0.21"));
    let with = |k: &str, v: Value| {
        let mut i = base.clone();
        i[k] = v;
        i
    };
    let cases = [
        (with("dueDate", json!("2026-03-01")), "input.dueDate"),
        (with("currency", json!("eur")), "input.currency"),
        (with("currency", json!("XYZ")), "input.currency"),
        (with("counterparty", json!("  ")), "input.counterparty"),
        (with("counterparty", json!("x".repeat(201))), "input.counterparty"),
        (with("lines", json!([])), "input.lines"),
        (with("lines", one_line("0", "10", "0.21")), "input.lines[0].quantity"),
        (with("lines", one_line("1.00001", "10", "0.21")), "input.lines[0].quantity"),
        (with("lines", one_line("1", "-1", "0.21")), "input.lines[0].unitPrice"),
        (with("lines", one_line("1", "1", "1.5")), "input.lines[0].taxRate"),
        (with("lines", one_line("1", "1", "0.1234567")), "input.lines[0].taxRate"),
    ];
    for (input, field) in cases {
        let res = c.create_invoice(&c.clerk, input).await;
        assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], field);
    }
    let res = c.create_invoice(&c.clerk, with("lines", one_line("1", "0.1", "0.21"))).await;
    res.ok();
    // A float is refused by the scalar itself.
    let res = c
        .create_invoice(
            &c.clerk,
            with("lines", json!([{"description": "x", "quantity": 1.5, "unitPrice": "1", "taxRate": "0"}])),
        )
        .await;
    res.expect_code("BAD_USER_INPUT");
    let list = c.app.gql(Some(&c.clerk), "{ invoices { totalCount } }", json!({})).await;
    assert_eq!(list.ok()["invoices"]["totalCount"], 1);
}

#[tokio::test]
async fn approval_needs_someone_else_and_a_manager_above_the_limit() {
    let c = company().await;
    let small = c.draft(&c.clerk, "fin", "PAYABLE", "1", "100", "0.21").await;
    let big = c.draft(&c.clerk, "fin", "PAYABLE", "1", "10000", "0.21").await;

    let err = c.approve(&c.clerk, &small["id"]).await.expect_code("FORBIDDEN");
    assert!(err["message"].as_str().unwrap().contains("creator"));
    c.approve(&c.clerk2, &big["id"]).await.expect_code("FORBIDDEN");
    let events = c.app.audit_events(&c.admin).await;
    let denied: Vec<_> =
        events.iter().filter(|e| e["outcome"] == "DENIED" && e["action"] == "approveInvoice").collect();
    assert_eq!(denied.len(), 2);
    assert_eq!(denied[0]["entityType"], "Invoice");
    assert_eq!(denied[0]["entityId"], small["id"]);

    let approved = c.approve(&c.clerk2, &small["id"]).await;
    let approved = &approved.ok()["approveInvoice"];
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["approvedBy"]["email"], "clerk2@example.com");
    let approved_big = c.approve(&c.manager, &big["id"]).await;
    assert_eq!(approved_big.ok()["approveInvoice"]["status"], "APPROVED");

    c.approve(&c.manager, &small["id"]).await.expect_code("CONFLICT");
}

#[tokio::test]
async fn numbers_are_gapless_per_department_kind_and_year() {
    let c = company().await;
    let (_, ops_clerk2) = c.app.user_with_role(&c.admin, "ops2@example.com", "FINANCE_CLERK", "ops").await;
    let mut numbers = Vec::new();
    for (dept, kind, issue, creator, approver) in [
        ("fin", "PAYABLE", "2026-03-02", &c.clerk, &c.clerk2),
        ("fin", "PAYABLE", "2026-05-02", &c.clerk, &c.clerk2),
        ("fin", "RECEIVABLE", "2026-05-02", &c.clerk, &c.clerk2),
        ("fin", "PAYABLE", "2025-12-31", &c.clerk, &c.clerk2),
        ("ops", "PAYABLE", "2026-01-01", &c.ops_clerk, &ops_clerk2),
    ] {
        let mut input = invoice_input(dept, kind, one_line("1", "10", "0"));
        input["issueDate"] = json!(issue);
        input["dueDate"] = json!(issue);
        let draft = c.create_invoice(creator, input).await.ok()["createInvoice"].clone();
        let approved = c.approve(approver, &draft["id"]).await;
        numbers.push(approved.ok()["approveInvoice"]["number"].as_str().unwrap().to_string());
    }
    assert_eq!(
        numbers,
        ["FIN-P-2026-000001", "FIN-P-2026-000002", "FIN-R-2026-000001", "FIN-P-2025-000001", "OPS-P-2026-000001"]
    );
}

#[tokio::test]
async fn two_racing_approvals_one_wins_the_other_conflicts_and_no_number_is_lost() {
    let c = company().await;
    let (_, third) = c.app.user_with_role(&c.admin, "clerk3@example.com", "FINANCE_CLERK", "fin").await;
    for _ in 0..3 {
        let inv = c.draft(&c.clerk, "fin", "PAYABLE", "1", "10", "0").await;
        let results = join_all([c.approve(&c.clerk2, &inv["id"]), c.approve(&third, &inv["id"])]).await;
        let mut codes: Vec<Vec<String>> = results.iter().map(|r| r.codes()).collect();
        codes.sort();
        assert_eq!(codes, [vec![], vec!["CONFLICT".to_string()]]);
    }
    let list = c.app.gql(Some(&c.clerk), "{ invoices { nodes { number } } }", json!({})).await;
    let mut numbers: Vec<String> = list.ok()["invoices"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_str().unwrap().to_string())
        .collect();
    numbers.sort();
    assert_eq!(numbers, ["FIN-P-2026-000001", "FIN-P-2026-000002", "FIN-P-2026-000003"]);
}

#[tokio::test]
async fn two_racing_full_payments_one_wins_the_other_conflicts() {
    let c = company().await;
    let inv = c.draft(&c.clerk, "fin", "PAYABLE", "1", "100", "0").await;
    c.approve(&c.clerk2, &inv["id"]).await.ok();
    let results = join_all([
        c.pay(&c.clerk, &inv["id"], "100.00", "2026-03-10"),
        c.pay(&c.clerk2, &inv["id"], "100.00", "2026-03-10"),
    ])
    .await;
    let mut codes: Vec<Vec<String>> = results.iter().map(|r| r.codes()).collect();
    codes.sort();
    assert_eq!(codes, [vec![], vec!["CONFLICT".to_string()]]);
    let payments = c
        .app
        .gql(Some(&c.clerk), "query($id: ID!) { payments(invoiceId: $id) { amount } }", json!({"id": inv["id"]}))
        .await;
    assert_eq!(payments.ok()["payments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn payments_follow_the_state_then_the_amount() {
    let c = company().await;
    let inv = c.draft(&c.clerk, "fin", "RECEIVABLE", "1", "100", "0.21").await;
    c.pay(&c.clerk, &inv["id"], "10.00", "2026-03-05").await.expect_code("CONFLICT"); // still DRAFT
    c.approve(&c.clerk2, &inv["id"]).await.ok();
    for bad in ["0", "-1", "121.01", "10.001"] {
        let res = c.pay(&c.clerk, &inv["id"], bad, "2026-03-05").await;
        assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.amount", "{bad}");
    }
    let part = c.pay(&c.clerk, &inv["id"], "21", "2026-03-05").await;
    let part = &part.ok()["recordPayment"];
    assert_eq!(part["amount"], "21.00");
    assert_eq!(part["invoice"], json!({"status": "PARTIALLY_PAID", "amountPaid": "21.00", "balanceDue": "100.00"}));
    let rest = c.pay(&c.clerk, &inv["id"], "100.00", "2026-03-06").await;
    assert_eq!(rest.ok()["recordPayment"]["invoice"]["status"], "PAID");
    // The state is checked before the amount: even a valid-looking amount on a PAID invoice.
    c.pay(&c.clerk, &inv["id"], "1.00", "2026-03-07").await.expect_code("CONFLICT");
    c.pay(&c.clerk, &inv["id"], "1000.00", "2026-03-07").await.expect_code("CONFLICT");
    let payments = c
        .app
        .gql(
            Some(&c.clerk),
            "query($id: ID!) { payments(invoiceId: $id) { amount paidOn reference invoice { id } } }",
            json!({"id": inv["id"]}),
        )
        .await;
    let payments = payments.ok()["payments"].as_array().unwrap().clone();
    assert_eq!(payments.len(), 2);
    assert_eq!(payments[0]["amount"], "21.00");
    assert_eq!(payments[1]["paidOn"], "2026-03-06");
}

#[tokio::test]
async fn voiding_drafts_and_unpaid_approvals_reverses_the_entry_and_keeps_the_number() {
    let c = company().await;
    let draft = c.draft(&c.clerk, "fin", "PAYABLE", "1", "100", "0.21").await;
    assert_eq!(c.void(&c.clerk, &draft["id"]).await.ok()["voidInvoice"], json!({"status": "VOID", "number": null}));
    let voided = c
        .app
        .gql(Some(&c.clerk), "query($id: ID!) { invoice(id: $id) { total balanceDue } }", json!({"id": draft["id"]}))
        .await;
    assert_eq!(
        voided.ok()["invoice"],
        json!({"total": "121.00", "balanceDue": "0.00"}),
        "nothing is owed on a void invoice"
    );
    c.void(&c.clerk, &draft["id"]).await.expect_code("CONFLICT");

    let approved = c.draft(&c.clerk, "fin", "PAYABLE", "1", "100", "0.21").await;
    let number = c.approve(&c.clerk2, &approved["id"]).await.ok()["approveInvoice"]["number"].clone();
    let voided = c.void(&c.clerk, &approved["id"]).await;
    assert_eq!(voided.ok()["voidInvoice"], json!({"status": "VOID", "number": number}));
    let today = chrono::Utc::now().date_naive().to_string();
    let entries = c.app.gql(Some(&c.clerk), "{ journalEntries { nodes { date source reversalOf { id source } lines { account { code } debit credit } } } }", json!({})).await;
    let entries = entries.ok()["journalEntries"]["nodes"].as_array().unwrap().clone();
    let reversal = entries.iter().find(|e| !e["reversalOf"].is_null()).expect("a reversal");
    assert_eq!(reversal["date"], today);
    assert_eq!(
        reversal["lines"],
        json!([
            {"account": {"code": "5000"}, "debit": "0.00", "credit": "100.00"},
            {"account": {"code": "1300"}, "debit": "0.00", "credit": "21.00"},
            {"account": {"code": "2000"}, "debit": "121.00", "credit": "0.00"}
        ])
    );
    // The next approval takes the next number: the voided one stays used.
    let next = c.draft(&c.clerk, "fin", "PAYABLE", "1", "1", "0").await;
    assert_eq!(c.approve(&c.clerk2, &next["id"]).await.ok()["approveInvoice"]["number"], "FIN-P-2026-000002");

    let paid = c.draft(&c.clerk, "fin", "PAYABLE", "1", "100", "0").await;
    c.approve(&c.clerk2, &paid["id"]).await.ok();
    c.pay(&c.clerk, &paid["id"], "1.00", "2026-03-05").await.ok();
    c.void(&c.clerk, &paid["id"]).await.expect_code("CONFLICT");
}

#[tokio::test]
async fn a_scripted_month_leaves_a_balanced_trial_balance_with_hand_computed_amounts() {
    let c = company().await;
    // 1. Buy goods: 10 × 50.00 at 21 % VAT -> 500.00 + 105.00 = 605.00 payable.
    let purchase = c.draft(&c.clerk, "fin", "PAYABLE", "10", "50", "0.21").await;
    c.approve(&c.clerk2, &purchase["id"]).await.ok();
    // 2. Sell: 4 × 250.00 at 21 % -> 1000.00 + 210.00 = 1210.00 receivable.
    let sale = c.draft(&c.clerk, "fin", "RECEIVABLE", "4", "250", "0.21").await;
    c.approve(&c.clerk2, &sale["id"]).await.ok();
    // 3. Pay the supplier in full; collect 400.00 from the customer.
    c.pay(&c.clerk, &purchase["id"], "605.00", "2026-03-15").await.ok();
    c.pay(&c.clerk, &sale["id"], "400.00", "2026-03-20").await.ok();
    // 4. Approve a second purchase of 100.00 + 10 % and void it.
    let mistake = c.draft(&c.clerk, "fin", "PAYABLE", "1", "100", "0.10").await;
    c.approve(&c.clerk2, &mistake["id"]).await.ok();
    c.void(&c.clerk, &mistake["id"]).await.ok();
    // 5. A manual entry: the owner puts 1000.00 of equity in.
    c.app
        .gql(
            Some(&c.clerk),
            "mutation($i: PostJournalEntryInput!) { postJournalEntry(input: $i) { id } }",
            json!({"i": {"department": "fin", "date": "2026-03-01", "memo": "Capital", "lines": [
                {"accountCode": "1000", "debit": "1000", "credit": "0"},
                {"accountCode": "3000", "debit": "0", "credit": "1000"}]}}),
        )
        .await
        .ok();

    let tb = c.trial_balance(&c.clerk, Some("fin"), "2099-12-31").await;
    assert_eq!(tb["totalDebit"], tb["totalCredit"]);
    let b = balances(&tb);
    let expected = [
        ("1000", "795.00"), // 1000 − 605 + 400
        ("1100", "810.00"), // 1210 − 400
        ("1300", "105.00"), // 105 + 10 − 10
        ("2000", "0.00"),   // −605 + 605, −110 + 110
        ("2100", "-210.00"),
        ("3000", "-1000.00"),
        ("4000", "-1000.00"),
        ("5000", "500.00"), // 500 + 100 − 100
    ];
    for (code, balance) in expected {
        assert_eq!(b.get(code).map(String::as_str), Some(balance), "account {code}: {tb:#}");
    }
    assert_eq!(b.len(), expected.len(), "only accounts with activity: {b:?}");
    let row_1000 = tb["rows"].as_array().unwrap().iter().find(|r| r["account"]["code"] == "1000").unwrap().clone();
    assert_eq!((row_1000["debit"].as_str(), row_1000["credit"].as_str()), (Some("1400.00"), Some("605.00")));

    // As of the day before the payments only the approvals and the capital count.
    let early = balances(&c.trial_balance(&c.clerk, Some("fin"), "2026-03-14").await);
    assert_eq!(early.get("1000").map(String::as_str), Some("1000.00"));
    // Another department's clerk sees none of it.
    let ops = c.trial_balance(&c.ops_clerk, None, "2099-12-31").await;
    assert_eq!(ops["rows"], json!([]));
    assert_eq!(ops["totalDebit"], "0.00");
}

#[tokio::test]
async fn journal_entries_must_balance_and_are_reversed_once() {
    let c = company().await;
    let post = "mutation($i: PostJournalEntryInput!) { postJournalEntry(input: $i) { id memo source lines { account { code } debit credit } createdBy { email } department { code } } }";
    let entry =
        |lines: Value| json!({"i": {"department": "fin", "date": "2026-03-01", "memo": "Rent", "lines": lines}});
    let line = |code: &str, dr: &str, cr: &str| json!({"accountCode": code, "debit": dr, "credit": cr});
    let cases = [
        (json!([line("5000", "10", "0")]), "input.lines"),
        (json!([line("5000", "10", "0"), line("1000", "0", "9")]), "input.lines"),
        (json!([line("5000", "10", "10"), line("1000", "0", "0")]), "input.lines[0].debit"),
        (json!([line("5000", "10", "0"), line("9999", "0", "10")]), "input.lines[1].accountCode"),
    ];
    for (lines, field) in cases {
        let res = c.app.gql(Some(&c.clerk), post, entry(lines)).await;
        assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], field);
    }
    let mut other = entry(json!([line("5000", "10", "0"), line("1000", "0", "10")]));
    other["i"]["department"] = json!("ops");
    c.app.gql(Some(&c.clerk), post, other).await.expect_code("FORBIDDEN");

    let posted =
        c.app.gql(Some(&c.clerk), post, entry(json!([line("5000", "10", "0"), line("1000", "0", "10")]))).await;
    let posted = posted.ok()["postJournalEntry"].clone();
    assert!(posted["source"].is_null());
    assert_eq!(posted["createdBy"]["email"], "clerk@example.com");
    let reverse = "mutation($id: ID!) { reverseJournalEntry(id: $id, date: \"2026-03-31\") { date reversalOf { id } lines { account { code } debit credit } } }";
    let reversed = c.app.gql(Some(&c.clerk), reverse, json!({"id": posted["id"]})).await;
    let reversed = &reversed.ok()["reverseJournalEntry"];
    assert_eq!(reversed["reversalOf"]["id"], posted["id"]);
    assert_eq!(reversed["lines"][0], json!({"account": {"code": "5000"}, "debit": "0.00", "credit": "10.00"}));
    c.app.gql(Some(&c.clerk), reverse, json!({"id": posted["id"]})).await.expect_code("CONFLICT");
    c.app.gql(Some(&c.ops_clerk), reverse, json!({"id": posted["id"]})).await.expect_code("NOT_FOUND");

    let filtered = c
        .app
        .gql(
            Some(&c.clerk),
            "{ journalEntries(filter: {accountCode: \"5000\", from: \"2026-03-31\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(filtered.ok()["journalEntries"]["totalCount"], 1);
}

#[tokio::test]
async fn a_clerk_of_one_department_never_sees_or_touches_anothers_invoices() {
    let c = company().await;
    let ours = c.draft(&c.clerk, "fin", "PAYABLE", "1", "10", "0").await;
    let theirs = c.draft(&c.ops_clerk, "ops", "PAYABLE", "1", "10", "0").await;

    let list = c.app.gql(Some(&c.clerk), "{ invoices { totalCount nodes { id } } }", json!({})).await;
    assert_eq!(list.ok()["invoices"]["nodes"], json!([{"id": ours["id"]}]));
    let lookup =
        c.app.gql(Some(&c.clerk), "query($id: ID!) { invoice(id: $id) { id } }", json!({"id": theirs["id"]})).await;
    lookup.expect_code("NOT_FOUND");
    c.app
        .gql(Some(&c.clerk), "query($id: ID!) { invoice(id: $id) { id } }", json!({"id": "no-such-id"}))
        .await
        .expect_code("NOT_FOUND");
    c.approve(&c.clerk, &theirs["id"]).await.expect_code("NOT_FOUND");
    c.pay(&c.clerk, &theirs["id"], "1", "2026-03-05").await.expect_code("NOT_FOUND");
    c.create_invoice(&c.clerk, invoice_input("ops", "PAYABLE", one_line("1", "1", "0"))).await.expect_code("FORBIDDEN");
    c.app
        .gql(Some(&c.clerk), "{ invoices(filter: {department: \"ops\"}) { totalCount } }", json!({}))
        .await
        .expect_code("FORBIDDEN");
    c.app
        .gql(Some(&c.clerk), "{ journalEntries(filter: {department: \"ops\"}) { totalCount } }", json!({}))
        .await
        .expect_code("FORBIDDEN");

    let admin_view = c.app.gql(Some(&c.admin), "{ invoices { totalCount } }", json!({})).await;
    assert_eq!(admin_view.ok()["invoices"]["totalCount"], 2);
}

#[tokio::test]
async fn front_office_drafts_receivables_reads_stock_and_never_sees_costs() {
    let c = company().await;
    let receivable = c.create_invoice(&c.front, invoice_input("fin", "RECEIVABLE", one_line("1", "10", "0.21"))).await;
    assert_eq!(receivable.ok()["createInvoice"]["status"], "DRAFT");
    c.create_invoice(&c.front, invoice_input("fin", "PAYABLE", one_line("1", "10", "0.21")))
        .await
        .expect_code("FORBIDDEN");
    c.draft(&c.clerk, "fin", "PAYABLE", "1", "10", "0").await;
    let list = c.app.gql(Some(&c.front), "{ invoices { nodes { kind } } }", json!({})).await;
    assert_eq!(list.ok()["invoices"]["nodes"], json!([{"kind": "RECEIVABLE"}]), "payables are not the front office's");
    let id = receivable.ok()["createInvoice"]["id"].clone();
    c.approve(&c.front, &id).await.expect_code("FORBIDDEN");

    let item = c
        .app
        .gql(Some(&c.clerk), "mutation { createInventoryItem(input: {department: \"fin\", sku: \"W-1\", name: \"Widget\", unit: \"pcs\", reorderPoint: \"2\", reorderQuantity: \"10\", unitCost: \"2.5\"}) { id unitCost } }", json!({}))
        .await;
    assert_eq!(item.ok()["createInventoryItem"]["unitCost"], "2.50");
    let stock =
        c.app.gql(Some(&c.front), "{ inventoryItems { nodes { sku name unitCost available } } }", json!({})).await;
    let err = stock.expect_code("FORBIDDEN");
    assert_eq!(err["path"], json!(["inventoryItems", "nodes", 0, "unitCost"]));
    assert_eq!(
        stock.data()["inventoryItems"]["nodes"],
        json!([{"sku": "W-1", "name": "Widget", "unitCost": null, "available": false}])
    );
}

#[tokio::test]
async fn overdue_means_unpaid_and_due_before_the_date() {
    let c = company().await;
    let unpaid = c.draft(&c.clerk, "fin", "RECEIVABLE", "1", "10", "0").await;
    c.approve(&c.clerk2, &unpaid["id"]).await.ok();
    let paid = c.draft(&c.clerk, "fin", "RECEIVABLE", "1", "10", "0").await;
    c.approve(&c.clerk2, &paid["id"]).await.ok();
    c.pay(&c.clerk, &paid["id"], "10", "2026-03-05").await.ok();
    c.draft(&c.clerk, "fin", "RECEIVABLE", "1", "10", "0").await; // a draft is not overdue
    let overdue = |day: &'static str| {
        c.app.gql(
            Some(&c.clerk),
            "query($d: Date) { invoices(filter: {overdueOn: $d}) { nodes { id } } }",
            json!({"d": day}),
        )
    };
    assert_eq!(overdue("2026-04-02").await.ok()["invoices"]["nodes"], json!([{"id": unpaid["id"]}]));
    assert_eq!(overdue("2026-04-01").await.ok()["invoices"]["nodes"], json!([]), "due that day is not overdue yet");
}

#[tokio::test]
async fn budgets_are_upserted_by_managers_and_reported_against_the_journal() {
    let c = company().await;
    let set = "mutation($i: SetBudgetInput!) { setBudget(input: $i) { id year amount account { code } department { code } } }";
    let input =
        |amount: &str| json!({"i": {"department": "fin", "year": 2026, "accountCode": "5000", "amount": amount}});
    c.app.gql(Some(&c.clerk), set, input("1000")).await.expect_code("FORBIDDEN");
    let first = c.app.gql(Some(&c.manager), set, input("1000")).await.ok()["setBudget"].clone();
    let second = c.app.gql(Some(&c.manager), set, input("1500.50")).await.ok()["setBudget"].clone();
    assert_eq!(first["id"], second["id"], "an upsert, not a second budget");
    assert_eq!(second["amount"], "1500.50");
    let mut bad = input("1");
    bad["i"]["accountCode"] = json!("0000");
    assert_eq!(
        c.app.gql(Some(&c.manager), set, bad).await.expect_code("BAD_USER_INPUT")["extensions"]["field"],
        "input.accountCode"
    );

    let purchase = c.draft(&c.clerk, "fin", "PAYABLE", "2", "200", "0.21").await; // 400.00 to 5000
    c.approve(&c.clerk2, &purchase["id"]).await.ok();
    let report = c
        .app
        .gql(
            Some(&c.clerk),
            "{ budgetReport(department: \"fin\", year: 2026) { account { code } budget actual remaining } }",
            json!({}),
        )
        .await;
    assert_eq!(
        report.ok()["budgetReport"],
        json!([{"account": {"code": "5000"}, "budget": "1500.50", "actual": "400.00", "remaining": "1100.50"}])
    );
    let other_year =
        c.app.gql(Some(&c.clerk), "{ budgetReport(department: \"fin\", year: 2025) { budget } }", json!({})).await;
    assert_eq!(other_year.ok()["budgetReport"], json!([]));
    c.app
        .gql(Some(&c.ops_clerk), "{ budgetReport(department: \"fin\", year: 2026) { budget } }", json!({}))
        .await
        .expect_code("FORBIDDEN");
}

async fn movement(c: &Company, item: &Value, kind: &str, qty: &str) -> Gql {
    c.app
        .gql(
            Some(&c.clerk),
            "mutation($i: StockMovementInput!) { recordStockMovement(input: $i) { kind quantity item { quantityOnHand available } } }",
            json!({"i": {"itemId": item, "kind": kind, "quantity": qty, "reference": "GRN-1"}}),
        )
        .await
}

#[tokio::test]
async fn stock_never_goes_below_zero_and_reorders_once_at_the_reorder_point() {
    let c = company().await;
    let create = "mutation($i: CreateInventoryItemInput!) { createInventoryItem(input: $i) { id quantityOnHand } }";
    let input = json!({"i": {"department": "fin", "sku": "W-1", "name": "Blue widget", "unit": "pcs", "reorderPoint": "5", "reorderQuantity": "20", "unitCost": "1.25"}});
    let item = c.app.gql(Some(&c.clerk), create, input.clone()).await.ok()["createInventoryItem"]["id"].clone();
    c.app.gql(Some(&c.clerk), create, input).await.expect_code("CONFLICT");
    let requests = "{ purchaseRequests { quantity status item { sku } department { code } } }";
    assert_eq!(
        c.app.gql(Some(&c.clerk), requests, json!({})).await.ok()["purchaseRequests"],
        json!([]),
        "creating an item never reorders"
    );

    let res = movement(&c, &item, "RECEIPT", "12.5").await;
    assert_eq!(
        res.ok()["recordStockMovement"],
        json!({"kind": "RECEIPT", "quantity": "12.5", "item": {"quantityOnHand": "12.5", "available": true}})
    );
    movement(&c, &item, "ISSUE", "13").await.expect_code("CONFLICT");
    movement(&c, &item, "ADJUSTMENT", "-12.6").await.expect_code("CONFLICT");
    for (kind, qty) in [("RECEIPT", "0"), ("ISSUE", "-1"), ("ADJUSTMENT", "0"), ("RECEIPT", "0.00001")] {
        let res = movement(&c, &item, kind, qty).await;
        assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.quantity", "{kind} {qty}");
    }
    movement(&c, &item, "ISSUE", "7.5").await.ok(); // 5 left: at the reorder point
    assert_eq!(
        c.app.gql(Some(&c.clerk), requests, json!({})).await.ok()["purchaseRequests"],
        json!([{"quantity": "20", "status": "OPEN", "item": {"sku": "W-1"}, "department": {"code": "fin"}}])
    );
    movement(&c, &item, "ADJUSTMENT", "-1").await.ok(); // still low, but a request is open
    assert_eq!(
        c.app.gql(Some(&c.clerk), requests, json!({})).await.ok()["purchaseRequests"].as_array().unwrap().len(),
        1
    );

    let movements = c
        .app
        .gql(
            Some(&c.clerk),
            "query($id: ID!) { stockMovements(itemId: $id) { kind quantity reference createdBy { email } } }",
            json!({"id": item}),
        )
        .await;
    let kinds: Vec<Value> = movements.ok()["stockMovements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| json!([m["kind"], m["quantity"]]))
        .collect();
    assert_eq!(kinds, [json!(["ADJUSTMENT", "-1"]), json!(["ISSUE", "7.5"]), json!(["RECEIPT", "12.5"])]);

    let low = c.app.gql(Some(&c.clerk), "{ inventoryItems(filter: {belowReorderPoint: true, search: \"BLUE\"}) { totalCount nodes { quantityOnHand } } }", json!({})).await;
    assert_eq!(low.ok()["inventoryItems"], json!({"totalCount": 1, "nodes": [{"quantityOnHand": "4"}]}));
    let none =
        c.app.gql(Some(&c.clerk), "{ inventoryItems(filter: {search: \"50%\"}) { totalCount } }", json!({})).await;
    assert_eq!(none.ok()["inventoryItems"]["totalCount"], 0);
    c.app
        .gql(Some(&c.ops_clerk), "query($id: ID!) { stockMovements(itemId: $id) { kind } }", json!({"id": item}))
        .await
        .expect_code("NOT_FOUND");
}

#[tokio::test]
async fn automatic_consequences_are_their_own_events_under_one_request_id() {
    let c = company().await;
    let inv = c.draft(&c.clerk, "fin", "PAYABLE", "1", "100", "0.21").await;
    let head = c.app.audit_head(&c.admin).await;
    c.approve(&c.clerk2, &inv["id"]).await.ok();
    c.pay(&c.clerk, &inv["id"], "121", "2026-03-05").await.ok();
    let events: Vec<Value> =
        c.app.audit_events(&c.admin).await.into_iter().filter(|e| e["seq"].as_i64().unwrap() > head).collect();
    let summary: Vec<(String, String)> = events
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["entityType"].as_str().unwrap().to_string()))
        .collect();
    let expect = |a: &str, t: &str| (a.to_string(), t.to_string());
    assert_eq!(
        summary,
        [
            expect("auto:postJournalEntry", "JournalEntry"),
            expect("approveInvoice", "Invoice"),
            expect("auto:postJournalEntry", "JournalEntry"),
            expect("recordPayment", "Payment"),
            expect("recordPayment", "Invoice"),
        ]
    );
    assert_eq!(events[0]["requestId"], events[1]["requestId"]);
    assert_ne!(events[1]["requestId"], events[2]["requestId"]);
    let approval = &events[1];
    assert_eq!(approval["before"]["status"], "DRAFT");
    assert_eq!(approval["after"]["status"], "APPROVED");
    assert_eq!(approval["after"]["total"], "121.00", "money is a string");
    assert_eq!(approval["department"], "fin");
    assert_eq!(events[0]["after"]["lines"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn large_amounts_survive_the_round_trip_exactly() {
    let c = company().await;
    let inv = c.draft(&c.manager, "fin", "RECEIVABLE", "9999.9999", "9999999.9999", "0.21").await;
    // 9999.9999 × 9999999.9999 = 99999998999.00000001 -> 99999998999.00; × 0.21 = 20999999789.79
    assert_eq!(inv["subtotal"], "99999998999.00");
    assert_eq!(inv["taxTotal"], "20999999789.79");
    let fetched = c
        .app
        .gql(
            Some(&c.manager),
            "query($id: ID!) { invoice(id: $id) { total lines { quantity unitPrice } } }",
            json!({"id": inv["id"]}),
        )
        .await;
    let fetched = &fetched.ok()["invoice"];
    assert_eq!(fetched["total"], "120999998788.79");
    assert_eq!(fetched["lines"][0], json!({"quantity": "9999.9999", "unitPrice": "9999999.9999"}));
    // Beyond a trillion the amount is refused, not wrapped or rounded.
    let res = c
        .create_invoice(&c.manager, invoice_input("fin", "RECEIVABLE", one_line("1000", "1000000000.0001", "0")))
        .await;
    res.expect_code("BAD_USER_INPUT");
}

/// Statements a request costs beyond authenticating its caller (which the principal cache
/// makes free on PostgreSQL, and which SQLite reads each time).
async fn statements_of(app: &TestApp, token: &str, query: &str, variables: Value) -> (u64, Gql) {
    let before = app.state.db.statements_run();
    app.gql(Some(token), "{ __typename }", json!({})).await.ok();
    let auth = app.state.db.statements_run() - before;
    let before = app.state.db.statements_run();
    let res = app.gql(Some(token), query, variables).await;
    (app.state.db.statements_run() - before - auth, res)
}

/// Relations load through DataLoaders or joins: a page of 40 costs the same statements as a
/// page of 2, and a page with lines, department and creator costs one (CONTRACT.md §12 goals:
/// at most three for the page, one for a lookup, whatever the nesting).
#[tokio::test]
async fn listing_invoices_costs_the_same_few_statements_whatever_the_page_size() {
    let c = company().await;
    for _ in 0..40 {
        c.draft(&c.clerk, "fin", "PAYABLE", "2", "10", "0.21").await;
    }
    let bench = "query($n: Int) { invoices(first: $n) { nodes { number total status lines { description netAmount } department { name } createdBy { email } } } }";
    let nested = "query($n: Int) { invoices(first: $n) { nodes { number total lines { netAmount } createdBy { email roles { role } } approvedBy { email } department { code name } } } }";
    // The bench's page: the invoices with their department, creator and lines in one statement,
    // read by the list itself, so no loader's timing is involved.
    for n in [2, 40] {
        let (statements, res) = statements_of(&c.app, &c.clerk, bench, json!({"n": n})).await;
        assert_eq!(res.ok()["invoices"]["nodes"].as_array().unwrap().len(), n as usize);
        assert_eq!(statements, 1, "{n} invoices");
    }
    // Deeper nesting adds a loader's batch per relation, not a query per row. (A batch waits a
    // millisecond to fill: a very slow machine may split one in two, never into forty.)
    let (small, _) = statements_of(&c.app, &c.clerk, nested, json!({"n": 2})).await;
    let (large, res) = statements_of(&c.app, &c.clerk, nested, json!({"n": 40})).await;
    assert_eq!(res.ok()["invoices"]["nodes"].as_array().unwrap().len(), 40);
    assert!(small <= 2 && large <= 3, "2 invoices: {small} statements, 40 invoices: {large}");
    // The count runs only when asked for.
    let counted = "{ invoices(first: 5) { totalCount nodes { number } } }";
    let (with_count, res) = statements_of(&c.app, &c.clerk, counted, json!({})).await;
    assert_eq!(res.ok()["invoices"]["totalCount"], 40);
    assert_eq!(with_count, 2);
    let (without, _) = statements_of(&c.app, &c.clerk, "{ invoices(first: 5) { nodes { number } } }", json!({})).await;
    assert_eq!(without, 1);

    let listed = c.app.gql(Some(&c.clerk), "{ invoices(first: 1) { nodes { id } } }", json!({})).await;
    let id = listed.ok()["invoices"]["nodes"][0]["id"].clone();
    let lookup = "query($id: ID!) { invoice(id: $id) { number total status department { name } createdBy { email } lines { netAmount } } }";
    let (one, res) = statements_of(&c.app, &c.clerk, lookup, json!({"id": id})).await;
    let res = res.ok();
    assert_eq!(res["invoice"]["createdBy"]["email"], "clerk@example.com");
    assert_eq!(res["invoice"]["lines"], json!([{"netAmount": "20.00"}]));
    assert_eq!(one, 1, "a lookup with its relations and lines is one statement");
}

/// Every plain field of a page is built straight from its rows (`kernel::projection`); one field
/// that is not plain (`createdBy.employee`) makes the page resolve field by field instead. Both
/// must answer the same, and the same as an invoice read through its loaders (`payments`),
/// for drafts and approvals, several currencies and lines.
#[tokio::test]
async fn a_page_answers_the_same_projected_resolved_or_loaded() {
    let c = company().await;
    let first = c.draft_in("RECEIVABLE", "JPY", two_lines("Tornillos «M4» ñ")).await;
    let second = c.draft_in("PAYABLE", "EUR", two_lines("Tornillos «M4» ñ")).await;
    c.approve(&c.manager, &first).await.ok();
    c.pay(&c.clerk, &first, "1", "2026-03-05").await.ok();
    c.draft(&c.clerk, "fin", "PAYABLE", "2", "10", "0.21").await;

    let fields = "__typename id kind number counterparty currency issueDate dueDate subtotal taxTotal total \
                  amountPaid balanceDue status createdAt updatedAt \
                  lines { __typename description quantity unitPrice taxRate netAmount taxAmount } \
                  department { __typename id code name kind } \
                  approvedBy { id email displayName active createdAt }";
    let creator = "createdBy { __typename id email displayName active createdAt }";
    let page = |extra: &str| {
        format!(
            "{{ invoices(first: 10, filter: {{department: \"fin\"}}) {{ nodes {{ ...F {creator} }} edges {{ node {{ ...F {extra} }} }} }} }} \
                 fragment F on Invoice {{ {fields} a: total }}"
        )
    };
    let projected = c.app.gql(Some(&c.manager), &page(""), json!({})).await.ok()["invoices"].clone();
    let resolved =
        c.app.gql(Some(&c.manager), &page("createdBy { employee { id } }"), json!({})).await.ok()["invoices"].clone();
    let nodes = projected["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!((&nodes[2]["id"], &nodes[1]["id"]), (&first, &second), "newest first");
    assert_eq!(nodes[2]["lines"][0]["description"], "Tornillos «M4» ñ");
    assert_eq!(nodes[2]["approvedBy"]["email"], "manager@example.com");
    assert_eq!(nodes[1]["approvedBy"], Value::Null);
    assert_eq!(projected["nodes"], resolved["nodes"]);
    for (plain, full) in projected["edges"].as_array().unwrap().iter().zip(resolved["edges"].as_array().unwrap()) {
        let mut full = full["node"].clone();
        assert_eq!(full["createdBy"]["employee"], Value::Null);
        full.as_object_mut().unwrap().remove("createdBy");
        assert_eq!(plain["node"], full);
    }

    // The same invoices one by one, and through a payment's loaders.
    for node in nodes {
        let by_id = format!(
            "query($id: ID!) {{ invoice(id: $id) {{ ...F {creator} }} }} fragment F on Invoice {{ {fields} a: total }}"
        );
        let one = c.app.gql(Some(&c.manager), &by_id, json!({"id": node["id"]})).await.ok()["invoice"].clone();
        assert_eq!(&one, node);
    }
    let through_payment = format!(
        "query($id: ID!) {{ payments(invoiceId: $id) {{ invoice {{ ...F {creator} }} }} }} fragment F on Invoice {{ {fields} a: total }}"
    );
    let paid = c.app.gql(Some(&c.manager), &through_payment, json!({"id": first})).await.ok()["payments"][0]["invoice"]
        .clone();
    assert_eq!(&paid, nodes.iter().find(|n| n["id"] == first).unwrap());
}

/// A page or a lookup reads only the columns its selection needs (`Invoice::reading`): every
/// field, asked alone, answers exactly as it does in the whole selection, on a page and by id —
/// so no field reads a column that was left out (a JPY total needs the currency, a void
/// invoice's balance its status …).
#[tokio::test]
async fn every_field_alone_answers_as_in_the_whole_selection() {
    let c = company().await;
    let odd = "a \"quoted\" \\ back{slash}, NULL ñ «» 💶";
    let paid = c.draft_in("RECEIVABLE", "JPY", two_lines(odd)).await;
    c.approve(&c.manager, &paid).await.ok();
    c.pay(&c.clerk, &paid, "1", "2026-03-05").await.ok();
    let voided = c.draft_in("PAYABLE", "EUR", two_lines(odd)).await;
    c.approve(&c.manager, &voided).await.ok();
    c.void(&c.manager, &voided).await.ok();
    c.draft(&c.clerk, "fin", "PAYABLE", "2", "10", "0.21").await;

    let fields = [
        "__typename",
        "id",
        "kind",
        "number",
        "counterparty",
        "currency",
        "issueDate",
        "dueDate",
        "subtotal",
        "taxTotal",
        "total",
        "amountPaid",
        "balanceDue",
        "status",
        "createdAt",
        "updatedAt",
        "lines { __typename }",
        "lines { description }",
        "lines { quantity }",
        "lines { unitPrice }",
        "lines { taxRate }",
        "lines { netAmount }",
        "lines { taxAmount }",
        "department { __typename }",
        "department { id }",
        "department { code }",
        "department { name }",
        "department { kind }",
        "createdBy { __typename }",
        "createdBy { id }",
        "createdBy { email }",
        "createdBy { displayName }",
        "createdBy { active }",
        "createdBy { createdAt }",
        "createdBy { employee { id } }",
        "approvedBy { id }",
        "approvedBy { email }",
        "approvedBy { displayName }",
        "approvedBy { active }",
        "approvedBy { createdAt }",
    ];
    let page = |selection: &str| {
        format!("{{ invoices(first: 10, filter: {{department: \"fin\"}}) {{ nodes {{ {selection} }} }} }}")
    };
    let whole =
        c.app.gql(Some(&c.manager), &page(&fields.join(" ")), json!({})).await.ok()["invoices"]["nodes"].clone();
    let whole = whole.as_array().unwrap();
    assert_eq!(whole.len(), 3);
    assert_eq!(whole[2]["lines"][0]["description"], odd);
    assert_eq!(whole[1]["status"], "VOID");

    // The value of `selection` (`field` or `field { sub }`) within the whole selection's answer.
    fn within(whole: &Value, selection: &str) -> Value {
        let mut words = selection.split_whitespace();
        let (field, sub) = (words.next().unwrap(), words.nth(1));
        let narrow = |v: &Value| match (sub, v) {
            (Some(sub), Value::Object(o)) => json!({ sub: o[sub].clone() }),
            _ => v.clone(),
        };
        match &whole[field] {
            Value::Array(items) => Value::Array(items.iter().map(narrow).collect()),
            value => narrow(value),
        }
    }
    for selection in fields {
        let field = selection.split_whitespace().next().unwrap();
        let alone = c.app.gql(Some(&c.manager), &page(selection), json!({})).await.ok()["invoices"]["nodes"].clone();
        for (one, full) in alone.as_array().unwrap().iter().zip(whole) {
            assert_eq!(one[field], within(full, selection), "{selection} on a page");
            let lookup = format!("query($id: ID!) {{ invoice(id: $id) {{ {selection} }} }}");
            let by_id = c.app.gql(Some(&c.manager), &lookup, json!({"id": full["id"]})).await.ok()["invoice"].clone();
            assert_eq!(by_id[field], within(full, selection), "{selection} by id");
        }
    }
}

/// Rows read by position (`kernel::joins::AtPosition`, for the invoice pages) hold exactly what
/// sea-orm reads by column name, field by field, for every model a page reads that way.
#[tokio::test]
async fn rows_read_by_position_match_rows_read_by_name() {
    use api::kernel::joins::{AtPosition, Columns};
    use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, QueryTrait};

    async fn same<M>(db: &sea_orm::DatabaseConnection) -> usize
    where
        M: AtPosition + FromQueryResult + PartialEq + std::fmt::Debug,
    {
        let query = <M::Entity as EntityTrait>::find().into_query();
        let rows = db.query_all_raw(db.get_database_backend().build(&query)).await.unwrap();
        for row in &rows {
            let by_position = M::read(&mut Columns::at(row, 0)).unwrap();
            assert_eq!(by_position, M::from_query_result(row, "").unwrap());
        }
        rows.len()
    }

    let c = company().await;
    let invoice = c.draft_in("PAYABLE", "EUR", two_lines("Tornillos «M4» ñ")).await;
    c.approve(&c.manager, &invoice).await.ok();
    c.void(&c.manager, &invoice).await.ok();
    let db = &c.app.state.db.conn;
    assert_eq!(same::<entity::invoice::Model>(db).await, 1);
    assert!(same::<entity::department::Model>(db).await >= 2);
    assert!(same::<entity::user::Model>(db).await >= 6);
}
