//! Hostile input, concurrency and volume over HTTP (CONTRACT.md §10): each test reproduces what
//! an adversarial review did to the first release and checks the rule that now holds.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use futures::future::join_all;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

struct Shop {
    app: TestApp,
    admin: String,
    clerk: String,
    manager: String,
    front: String,
}

async fn shop_with(overrides: &[(&str, &str)]) -> Shop {
    let app = spawn_app_with(overrides).await;
    let admin = app.admin_token().await;
    for (code, kind) in [("fin", "FINANCE"), ("ops", "OPERATIONS"), ("sales", "OTHER")] {
        app.create_department(&admin, code, kind).await;
    }
    let (_, clerk) = app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "fin").await;
    let (_, manager) = app.user_with_role(&admin, "manager@example.com", "FINANCE_MANAGER", "fin").await;
    let (_, front) = app.user_with_role(&admin, "front@example.com", "FRONT_OFFICE", "fin").await;
    Shop { app, admin, clerk, manager, front }
}

async fn shop() -> Shop {
    shop_with(&[]).await
}

const CREATE_INVOICE: &str =
    "mutation($i: CreateInvoiceInput!) { createInvoice(input: $i) { id total currency issueDate dueDate } }";
const APPROVE: &str = "mutation($id: ID!) { approveInvoice(id: $id) { status number total } }";
const POST_ENTRY: &str = "mutation($i: PostJournalEntryInput!) { postJournalEntry(input: $i) { id } }";

fn invoice(currency: &str, issue: &str, lines: Value) -> Value {
    json!({"department": "fin", "kind": "PAYABLE", "counterparty": "Acme", "currency": currency,
           "issueDate": issue, "dueDate": issue, "lines": lines})
}

fn lines(n: usize, price: &str) -> Value {
    Value::Array(
        (0..n).map(|_| json!({"description": "x", "quantity": "1", "unitPrice": price, "taxRate": "0"})).collect(),
    )
}

fn entry(lines: Vec<Value>) -> Value {
    json!({"department": "fin", "date": "2026-03-01", "memo": "big", "lines": lines})
}

/// `pairs` debit lines and as many credit lines, each of `amount`.
fn balanced_lines(pairs: usize, amount: &str) -> Vec<Value> {
    let debit = json!({"accountCode": "5000", "debit": amount, "credit": "0"});
    let credit = json!({"accountCode": "2000", "debit": "0", "credit": amount});
    std::iter::repeat_n(debit, pairs).chain(std::iter::repeat_n(credit, pairs)).collect()
}

fn field(error: &Value) -> &str {
    error["extensions"]["field"].as_str().unwrap_or("<none>")
}

impl Shop {
    async fn head(&self) -> i64 {
        self.app.audit_head(&self.admin).await
    }

    async fn events_after(&self, seq: i64) -> Vec<Value> {
        self.app.audit_events(&self.admin).await.into_iter().filter(|e| e["seq"].as_i64().unwrap() > seq).collect()
    }
}

// ------------------------------------------------------------------------------------- NUL

#[tokio::test]
async fn a_nul_character_anywhere_is_bad_user_input_with_its_field_never_internal() {
    let s = shop().await;
    let cases = [
        ("query($id: ID!) { invoice(id: $id) { id } }", json!({"id": "0190\u{0}"}), "id"),
        (
            "query($d: String) { invoices(filter: {department: $d}) { totalCount } }",
            json!({"d": "fi\u{0}n"}),
            "filter.department",
        ),
        ("{ invoices(filter: {department: \"f\\u0000\"}) { totalCount } }", json!({}), "filter.department"),
        (
            CREATE_INVOICE,
            json!({"i": invoice("EUR", "2026-03-01", json!([{"description": "a\u{0}b", "quantity": "1", "unitPrice": "1", "taxRate": "0"}]))}),
            "input.lines[0].description",
        ),
        (
            "query($d: String!) { budgetReport(department: $d, year: 2026) { budget } }",
            json!({"d": "\u{0}"}),
            "department",
        ),
    ];
    for (query, variables, expected) in cases {
        let res = s.app.gql(Some(&s.clerk), query, variables.clone()).await;
        let error = res.expect_code("BAD_USER_INPUT");
        assert_eq!(field(&error), expected, "{query} {variables}");
    }
    let res = s.app.gql(Some(&s.clerk), "{ invoices { totalCount } }", json!({})).await;
    assert_eq!(res.ok()["invoices"]["totalCount"], 0, "nothing was created");
}

#[tokio::test]
async fn a_login_carrying_a_nul_is_refused_and_still_recorded_as_a_failed_login() {
    let s = shop().await;
    let head = s.head().await;
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
    let res = s.app.gql(None, login, json!({"e": "clerk@example.com\u{0}", "p": PASSWORD})).await;
    assert_eq!(field(&res.expect_code("BAD_USER_INPUT")), "email");
    let events = s.events_after(head).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let denied = &events[0];
    assert_eq!((denied["action"].as_str(), denied["outcome"].as_str()), (Some("login"), Some("DENIED")));
    assert_eq!(denied["entityType"], "User");
    assert!(denied["actorId"].is_null());
    assert_eq!(denied["actorEmail"], "clerk@example.com\u{FFFD}", "what was tried, made storable");
}

#[tokio::test]
async fn a_refused_mutation_carrying_a_nul_is_still_a_denied_event() {
    let s = shop().await;
    let head = s.head().await;
    // FRONT_OFFICE may not approve invoices anywhere.
    let res = s.app.gql(Some(&s.front), APPROVE, json!({"id": "x\u{0}y"})).await;
    assert_eq!(field(&res.expect_code("BAD_USER_INPUT")), "id");
    let events = s.events_after(head).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!((events[0]["action"].as_str(), events[0]["outcome"].as_str()), (Some("approveInvoice"), Some("DENIED")));
    assert_eq!(events[0]["entityId"], "x\u{FFFD}y");
    assert!(
        s.app.gql(Some(&s.admin), "{ verifyAuditChain { valid } }", json!({})).await.ok()["verifyAuditChain"]["valid"]
            == true
    );
}

// ---------------------------------------------------------------------------- identifiers

#[tokio::test]
async fn unknown_malformed_and_out_of_scope_ids_get_exactly_the_same_answer() {
    let s = shop().await;
    let hr_ops = s.app.user_with_role(&s.admin, "hr.ops@example.com", "HR_OFFICER", "ops").await.1;
    let hire = "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { id firstName manager { id firstName lastName } } }";
    let person = |dept: &str, email: &str, manager: Option<&str>| {
        json!({"i": {"department": dept, "firstName": "Eva", "lastName": "Secret", "email": email, "position": "CFO",
                     "hireDate": "2026-01-01", "annualSalary": "99000", "currency": "EUR", "managerId": manager}})
    };
    let elsewhere = s.app.gql(Some(&s.admin), hire, person("sales", "eva@example.com", None)).await;
    let elsewhere = elsewhere.ok()["hireEmployee"]["id"].as_str().unwrap().to_string();

    // A reference inside an input: BAD_USER_INPUT on its field, one message for all three.
    let mut answers = Vec::new();
    for manager in [elsewhere.as_str(), "01900000-0000-7000-8000-000000000000", "not-an-id"] {
        let res =
            s.app.gql(Some(&hr_ops), hire, person("ops", &format!("{}@x.example", answers.len()), Some(manager))).await;
        assert!(
            res.data().is_null() || res.data()["hireEmployee"].is_null(),
            "nothing of the manager leaks: {:#}",
            res.0
        );
        let error = res.expect_code("BAD_USER_INPUT");
        assert_eq!(field(&error), "input.managerId");
        answers.push(error["message"].clone());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");

    // A lookup: NOT_FOUND, one message for all three.
    let lookup = "query($id: ID!) { employee(id: $id) { firstName } }";
    let mut answers = Vec::new();
    for id in [elsewhere.as_str(), "01900000-0000-7000-8000-000000000000", "not-an-id"] {
        let error = s.app.gql(Some(&hr_ops), lookup, json!({"id": id})).await.expect_code("NOT_FOUND");
        answers.push(error["message"].clone());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
}

// ------------------------------------------------------------------------ department codes

#[tokio::test]
async fn department_codes_longer_than_32_characters_are_refused_before_anything_else() {
    let s = shop().await;
    let huge = "d".repeat(100_000);
    // The front office may not read budgets at all: the length is checked first all the same.
    let budget = "query($d: String!) { budgetReport(department: $d, year: 2026) { budget } }";
    let res = s.app.gql(Some(&s.front), budget, json!({"d": huge})).await;
    assert_eq!(field(&res.expect_code("BAD_USER_INPUT")), "department");
    let list = "query($d: String) { invoices(filter: {department: $d}) { totalCount } }";
    let res = s.app.gql(Some(&s.clerk), list, json!({"d": "x".repeat(33)})).await;
    assert_eq!(field(&res.expect_code("BAD_USER_INPUT")), "filter.department");
    let res = s.app.gql(Some(&s.clerk), list, json!({"d": "x".repeat(32)})).await;
    res.expect_code("FORBIDDEN");
}

// -------------------------------------------------------------------------------------- dates

#[tokio::test]
async fn dates_outside_1900_to_9999_are_refused_and_every_returned_date_parses_again() {
    let s = shop().await;
    for bad in ["0000-01-01", "-001-01-01", "1899-12-31", "10000-01-01", "+9999-01-01"] {
        let res = s.app.gql(Some(&s.clerk), CREATE_INVOICE, json!({"i": invoice("EUR", bad, lines(1, "10"))})).await;
        res.expect_code("BAD_USER_INPUT");
    }
    let period = "mutation { createPayrollRun(department: \"fin\", period: \"0000-01\") { id } }";
    s.app.gql(Some(&s.admin), period, json!({})).await.expect_code("BAD_USER_INPUT");
    s.app
        .gql(Some(&s.clerk), "{ trialBalance(asOf: \"0000-12-31\") { totalDebit } }", json!({}))
        .await
        .expect_code("BAD_USER_INPUT");

    for edge in ["1900-01-01", "9999-12-31"] {
        let created =
            s.app.gql(Some(&s.clerk), CREATE_INVOICE, json!({"i": invoice("EUR", edge, lines(1, "10"))})).await;
        let created = created.ok()["createInvoice"].clone();
        assert_eq!(created["issueDate"], edge);
        let approved = s.app.gql(Some(&s.manager), APPROVE, json!({"id": created["id"]})).await;
        let number = approved.ok()["approveInvoice"]["number"].as_str().unwrap().to_string();
        assert_eq!(number, format!("FIN-P-{}-000001", &edge[..4]));
        // What the API returned goes back in as input.
        let again = s
            .app
            .gql(
                Some(&s.clerk),
                CREATE_INVOICE,
                json!({"i": invoice("EUR", created["dueDate"].as_str().unwrap(), lines(1, "1"))}),
            )
            .await;
        again.ok();
    }
}

// -------------------------------------------------------------------------------------- lines

#[tokio::test]
async fn invoices_take_1_to_200_lines_and_journal_entries_2_to_500() {
    let s = shop().await;
    for n in [0, 201, 923] {
        let res =
            s.app.gql(Some(&s.clerk), CREATE_INVOICE, json!({"i": invoice("EUR", "2026-03-01", lines(n, "1"))})).await;
        assert_eq!(field(&res.expect_code("BAD_USER_INPUT")), "input.lines", "{n} lines");
    }
    let res =
        s.app.gql(Some(&s.clerk), CREATE_INVOICE, json!({"i": invoice("EUR", "2026-03-01", lines(200, "1"))})).await;
    assert_eq!(res.ok()["createInvoice"]["total"], "200.00");

    for lines in [
        balanced_lines(0, "1")
            .into_iter()
            .chain([json!({"accountCode": "5000", "debit": "1", "credit": "0"})])
            .collect(),
        balanced_lines(251, "1"),
    ] {
        let n = lines.len();
        let res = s.app.gql(Some(&s.clerk), POST_ENTRY, json!({"i": entry(lines)})).await;
        assert_eq!(field(&res.expect_code("BAD_USER_INPUT")), "input.lines", "{n} lines");
    }
    s.app.gql(Some(&s.clerk), POST_ENTRY, json!({"i": entry(balanced_lines(250, "1"))})).await.ok();
}

// --------------------------------------------------------------------------------- aggregates

#[tokio::test]
async fn trial_balance_and_budget_report_stay_exact_over_maximum_value_rows() {
    let s = shop().await;
    let max = "1000000000000.00";
    // Four entries of 500 maximal lines: 10¹⁵ on each side, 10¹⁹ storage units, past i64.
    for _ in 0..4 {
        s.app.gql(Some(&s.clerk), POST_ENTRY, json!({"i": entry(balanced_lines(250, max))})).await.ok();
    }
    let set =
        "mutation { setBudget(input: {department: \"fin\", year: 2026, accountCode: \"5000\", amount: \"1\"}) { id } }";
    s.app.gql(Some(&s.manager), set, json!({})).await.ok();

    let tb = s.app.gql(Some(&s.clerk), "{ trialBalance(asOf: \"2026-12-31\") { totalDebit totalCredit rows { account { code } debit credit balance } } }", json!({})).await;
    let tb = tb.ok()["trialBalance"].clone();
    assert_eq!(tb["totalDebit"], "1000000000000000.00");
    assert_eq!(tb["totalCredit"], "1000000000000000.00");
    let expense = tb["rows"].as_array().unwrap().iter().find(|r| r["account"]["code"] == "5000").unwrap().clone();
    assert_eq!(
        (expense["debit"].as_str(), expense["balance"].as_str()),
        (Some("1000000000000000.00"), Some("1000000000000000.00"))
    );

    let report = s
        .app
        .gql(Some(&s.clerk), "{ budgetReport(department: \"fin\", year: 2026) { actual remaining } }", json!({}))
        .await;
    assert_eq!(
        report.ok()["budgetReport"],
        json!([{"actual": "1000000000000000.00", "remaining": "-999999999999999.00"}])
    );

    // An invoice whose total would not fit is refused as input, never an internal error.
    let huge = json!([{"description": "x", "quantity": "1000000000000", "unitPrice": "1000000000000", "taxRate": "0"}]);
    let res = s.app.gql(Some(&s.clerk), CREATE_INVOICE, json!({"i": invoice("EUR", "2026-03-01", huge)})).await;
    res.expect_code("BAD_USER_INPUT");
}

#[tokio::test]
async fn a_payroll_of_top_salaries_totals_and_posts_exactly() {
    let s = shop().await;
    let hire = "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { id } }";
    // Thirteen salaries of 10¹²: the run's gross (1.08 × 10¹²) passes what one input may hold.
    for i in 0..13 {
        let input = json!({"department": "fin", "firstName": "Top", "lastName": format!("{i}"), "email": format!("top{i}@example.com"),
                           "position": "Chief", "hireDate": "2026-01-01", "annualSalary": "1000000000000", "currency": "EUR"});
        s.app.gql(Some(&s.admin), hire, json!({"i": input})).await.ok();
    }
    let (_, hr_manager) = s.app.user_with_role(&s.admin, "hrm@example.com", "HR_MANAGER", "fin").await;
    let run = s
        .app
        .gql(
            Some(&s.admin),
            "mutation { createPayrollRun(department: \"fin\", period: \"2026-03\") { id totalGross totalNet } }",
            json!({}),
        )
        .await;
    let run = run.ok()["createPayrollRun"].clone();
    // Each payslip: round(10¹² / 12) = 83 333 333 333.33.
    assert_eq!(run["totalGross"], "1083333333333.29");
    let id = run["id"].clone();
    s.app
        .gql(Some(&hr_manager), "mutation($id: ID!) { approvePayrollRun(id: $id) { status } }", json!({"id": id}))
        .await
        .ok();
    let posted =
        s.app.gql(Some(&s.clerk), "mutation($id: ID!) { postPayrollRun(id: $id) { status } }", json!({"id": id})).await;
    assert_eq!(posted.ok()["postPayrollRun"]["status"], "POSTED");
    let tb =
        s.app.gql(Some(&s.clerk), "{ trialBalance(asOf: \"2026-12-31\") { totalDebit totalCredit } }", json!({})).await;
    assert_eq!(tb.ok()["trialBalance"], json!({"totalDebit": "1083333333333.29", "totalCredit": "1083333333333.29"}));
}

// ---------------------------------------------------------------------------- password checks

const CHANGE: &str = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

#[tokio::test]
async fn a_request_holds_at_most_one_password_check_and_then_nothing_runs() {
    let s = shop().await;
    let head = s.head().await;
    let aliased: String = (0..30)
        .map(|i| {
            format!(
                "a{i}: changePassword(currentPassword: \"guess-number-{i:04}\", newPassword: \"new-password-long\") "
            )
        })
        .collect();
    let res = s.app.gql(Some(&s.clerk), &format!("mutation {{ {aliased} }}"), json!({})).await;
    res.expect_code("BAD_USER_INPUT");

    let login = json!({"query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                       "variables": {"e": "clerk@example.com", "p": "wrong-password-1"}});
    let batch = s.app.post_json(None, &json!([login, login])).await;
    let batch: Vec<Value> = batch.json().await.unwrap();
    assert_eq!(batch.len(), 2);
    for item in &batch {
        assert_eq!(Gql(item.clone()).codes(), ["BAD_USER_INPUT"], "{item:#}");
    }
    assert_eq!(s.head().await, head, "no attempt ran, none was recorded");
    // One per request is fine.
    s.app.post_json(None, &json!([login])).await;
    assert_eq!(s.head().await, head + 1);
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_lockout_and_are_denied_events() {
    let s = shop_with(&[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_LOCKOUT_SECS", "600")]).await;
    let head = s.head().await;
    for i in 0..3 {
        let res = s
            .app
            .gql(Some(&s.clerk), CHANGE, json!({"c": format!("wrong-guess-{i:04}"), "n": "brand-new-password"}))
            .await;
        assert_eq!(field(&res.expect_code("BAD_USER_INPUT")), "currentPassword");
    }
    let events = s.events_after(head).await;
    assert_eq!(events.len(), 3);
    assert!(
        events.iter().all(|e| e["action"] == "changePassword" && e["outcome"] == "DENIED" && e["entityType"] == "User")
    );
    // Locked: the right password fails everywhere, and changePassword answers as if it were wrong.
    s.app.login_payload("clerk@example.com", PASSWORD).await.expect_code("UNAUTHENTICATED");
    let res = s.app.gql(Some(&s.clerk), CHANGE, json!({"c": PASSWORD, "n": "brand-new-password"})).await;
    assert_eq!(field(&res.expect_code("BAD_USER_INPUT")), "currentPassword");
    s.app.gql(Some(&s.clerk), "{ me { id } }", json!({})).await.ok();
}

#[tokio::test]
async fn concurrent_failed_logins_each_count_and_lock_the_account() {
    let s = shop().await;
    let guesses: Vec<String> = (0..5).map(|i| format!("wrong-password-{i}")).collect();
    let attempts = guesses.iter().map(|guess| s.app.login_payload("clerk@example.com", guess));
    for res in join_all(attempts).await {
        res.expect_code("UNAUTHENTICATED");
    }
    // Five failures, five counted: the account is locked, so the right password fails too.
    s.app.login_payload("clerk@example.com", PASSWORD).await.expect_code("UNAUTHENTICATED");
    let denied = s
        .app
        .audit_events(&s.admin)
        .await
        .into_iter()
        .filter(|e| e["action"] == "login" && e["outcome"] == "DENIED")
        .count();
    assert_eq!(denied, 6);
}

#[tokio::test]
async fn the_first_rate_limited_login_of_a_window_is_recorded_once() {
    let s = shop_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "8")]).await;
    // The fixture's own sign-ins used 4 of the window's 8 attempts.
    let head = s.head().await;
    let mut codes = Vec::new();
    for _ in 0..8 {
        codes.push(s.app.login_payload("clerk@example.com", "wrong-password-1").await.codes());
    }
    let limited = codes.iter().filter(|c| c.as_slice() == ["TOO_MANY_REQUESTS"]).count();
    assert_eq!(limited, 4, "{codes:?}");
    let events = s.events_after(head).await;
    let rate_limited: Vec<&Value> = events.iter().filter(|e| e["after"]["reason"] == "rate-limited").collect();
    assert_eq!(rate_limited.len(), 1, "{events:#?}");
    let event = rate_limited[0];
    assert_eq!((event["action"].as_str(), event["outcome"].as_str()), (Some("login"), Some("DENIED")));
    assert_eq!(event["actorEmail"], "clerk@example.com");
    assert_eq!(event["entityType"], "User");
}

// ------------------------------------------------------------------ self-service separation

#[tokio::test]
async fn nobody_changes_the_pay_of_their_own_employee_record() {
    let s = shop().await;
    let hire = "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { id } }";
    let input = json!({"department": "ops", "firstName": "Hugo", "lastName": "R", "email": "hugo@example.com", "position": "HR",
                       "hireDate": "2026-01-01", "annualSalary": "30000", "currency": "EUR", "bankAccount": "ES0000000000001111"});
    let me = s.app.gql(Some(&s.admin), hire, json!({"i": input})).await.ok()["hireEmployee"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = s.app.create_user_linked(&s.admin, "hugo.user@example.com", Some(&me)).await;
    s.app.assign_role(&s.admin, &user, "HR_OFFICER", "ops").await;
    let hugo = s.app.login("hugo.user@example.com", PASSWORD).await;

    let update = "mutation($id: ID!, $i: UpdateEmployeeInput!) { updateEmployee(id: $id, input: $i) { annualSalary bankAccount position } }";
    for change in [
        json!({"annualSalary": "90000"}),
        json!({"bankAccount": "ES9999999999999999"}),
        json!({"position": "Boss", "annualSalary": "30001"}),
    ] {
        let head = s.head().await;
        s.app.gql(Some(&hugo), update, json!({"id": me, "i": change})).await.expect_code("FORBIDDEN");
        let events = s.events_after(head).await;
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0]["action"].as_str(), events[0]["outcome"].as_str()),
            (Some("updateEmployee"), Some("DENIED"))
        );
    }
    let read = s
        .app
        .gql(
            Some(&hugo),
            "query($id: ID!) { employee(id: $id) { annualSalary bankAccount position } }",
            json!({"id": me}),
        )
        .await;
    assert_eq!(
        read.ok()["employee"],
        json!({"annualSalary": "30000.00", "bankAccount": "ES0000000000001111", "position": "HR"})
    );
    // Their own position is fine; someone else may change their pay.
    s.app.gql(Some(&hugo), update, json!({"id": me, "i": {"position": "Senior HR"}})).await.ok();
    s.app.gql(Some(&s.admin), update, json!({"id": me, "i": {"annualSalary": "31000"}})).await.ok();
}

// ------------------------------------------------------------------------- approval limits

#[tokio::test]
async fn approval_limits_are_per_currency_and_a_currency_without_one_needs_a_manager() {
    let s = shop_with(&[("INVOICE_APPROVAL_LIMITS", "USD:11000.00,JPY:1500000")]).await;
    let (_, clerk2) = s.app.user_with_role(&s.admin, "clerk2@example.com", "FINANCE_CLERK", "fin").await;
    let draft = |currency: &'static str, price: &'static str| {
        let (app, clerk) = (&s.app, &s.clerk);
        async move {
            let res = app
                .gql(Some(clerk), CREATE_INVOICE, json!({"i": invoice(currency, "2026-03-01", lines(1, price))}))
                .await;
            res.ok()["createInvoice"]["id"].clone()
        }
    };
    let cases = [
        ("EUR", "10000", true),
        ("EUR", "10000.01", false),
        ("USD", "10999.99", true),
        ("USD", "11000.01", false),
        ("JPY", "1500000", true),
        ("JPY", "1500001", false),
        ("KWD", "9999.999", false),
        ("KWD", "1", false),
    ];
    for (currency, price, clerk_may) in cases {
        let id = draft(currency, price).await;
        let res = s.app.gql(Some(&clerk2), APPROVE, json!({"id": id})).await;
        if clerk_may {
            assert_eq!(res.ok()["approveInvoice"]["status"], "APPROVED", "{currency} {price}");
        } else {
            res.expect_code("FORBIDDEN");
            let res = s.app.gql(Some(&s.manager), APPROVE, json!({"id": id})).await;
            assert_eq!(res.ok()["approveInvoice"]["status"], "APPROVED", "{currency} {price}: a manager may");
        }
    }
}

// ------------------------------------------------------------------------------ tokens, body

#[tokio::test]
async fn tokens_whose_header_names_a_key_or_a_critical_extension_are_refused() {
    let s = shop().await;
    let claims = {
        let payload = s.clerk.split('.').nth(1).unwrap();
        serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    };
    let key = EncodingKey::from_secret(JWT_SECRET.as_bytes());
    for (name, value) in [
        ("crit", json!(["exp"])),
        ("jku", json!("https://evil.example/jwks")),
        ("jwk", json!({"kty": "oct", "k": "eA"})),
        ("x5u", json!("https://evil.example/x5u")),
    ] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT", name: value}).to_string());
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).unwrap();
        let token = format!("{input}.{signature}");
        s.app.gql(Some(&token), "{ me { id } }", json!({})).await.expect_code("UNAUTHENTICATED");
    }
    s.app.gql(Some(&s.clerk), "{ me { id } }", json!({})).await.ok();
}

#[tokio::test]
async fn an_empty_batch_is_http_400() {
    let s = shop().await;
    for body in ["[]", " [ ] ", "[[]]", "[1]"] {
        let res = s
            .app
            .client
            .post(s.app.url("/graphql"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
    }
}

// ---------------------------------------------------------------- verification under load

#[tokio::test]
async fn verification_never_reports_a_valid_chain_broken_while_four_writers_run() {
    let s = shop().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (app, token, stop) = (s.app.clone_handle(), s.clerk.clone(), stop.clone());
            tokio::spawn(async move {
                let mut written = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let input = invoice("EUR", "2026-03-01", lines(1, "1"));
                    let mut input = input;
                    input["counterparty"] = json!(format!("writer {w}"));
                    app.gql(Some(&token), CREATE_INVOICE, json!({"i": input})).await.ok();
                    written += 1;
                }
                written
            })
        })
        .collect();
    for _ in 0..25 {
        let report =
            s.app.gql(Some(&s.admin), "{ verifyAuditChain { valid firstInvalidSeq eventsChecked } }", json!({})).await;
        let report = report.ok()["verifyAuditChain"].clone();
        assert_eq!(report["valid"], true, "{report}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written: i32 = join_all(writers).await.into_iter().map(|w| w.unwrap()).sum();
    assert!(written > 0);
}
