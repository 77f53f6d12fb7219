//! Human resources over HTTP (CONTRACT.md §4 and §7): employees and their sensitive fields,
//! payroll, leave, recruitment and training records.

mod common;

use common::*;
use serde_json::{Value, json};

struct Org {
    app: TestApp,
    admin: String,
    hr: String,
    hr_manager: String,
    hr_other: String,
    clerk: String,
    ops_manager: String,
}

async fn org() -> Org {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (code, kind) in [("ops", "OPERATIONS"), ("fin", "FINANCE"), ("sales", "OTHER")] {
        app.create_department(&admin, code, kind).await;
    }
    let (_, hr) = app.user_with_role(&admin, "hr@example.com", "HR_OFFICER", "ops").await;
    let (_, hr_manager) = app.user_with_role(&admin, "hrm@example.com", "HR_MANAGER", "ops").await;
    let (_, hr_other) = app.user_with_role(&admin, "hr.sales@example.com", "HR_OFFICER", "sales").await;
    let (_, clerk) = app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "ops").await;
    let (_, ops_manager) = app.user_with_role(&admin, "boss@example.com", "DEPARTMENT_MANAGER", "ops").await;
    Org { app, admin, hr, hr_manager, hr_other, clerk, ops_manager }
}

const EMPLOYEE: &str = "id employeeNumber firstName lastName email status position hireDate terminationDate currency annualSalary nationalId bankAccount department { code } manager { id } user { email }";

fn hire_input(dept: &str, email: &str, salary: &str, hire_date: &str) -> Value {
    json!({"department": dept, "firstName": "Ana", "lastName": "García", "email": email, "position": "Analyst",
           "hireDate": hire_date, "annualSalary": salary, "currency": "EUR", "nationalId": "12345678Z", "bankAccount": "ES9121000418450200051332"})
}

impl Org {
    async fn hire(&self, token: &str, input: Value) -> Gql {
        self.app
            .gql(
                Some(token),
                &format!("mutation($i: HireEmployeeInput!) {{ hireEmployee(input: $i) {{ {EMPLOYEE} }} }}"),
                json!({"i": input}),
            )
            .await
    }

    async fn hire_ok(&self, dept: &str, email: &str, salary: &str, hire_date: &str) -> Value {
        self.hire(&self.admin, hire_input(dept, email, salary, hire_date)).await.ok()["hireEmployee"].clone()
    }

    /// A user linked to the employee, signed in.
    async fn linked_user(&self, employee: &Value, email: &str) -> String {
        self.app.create_user_linked(&self.admin, email, employee["id"].as_str()).await;
        self.app.login(email, PASSWORD).await
    }
}

#[tokio::test]
async fn hiring_assigns_numbers_opens_the_onboarding_ticket_and_masks_the_audit() {
    let o = org().await;
    let first = o.hire(&o.hr, hire_input("ops", "Ana@Example.com", "42000", "2026-01-12")).await;
    let first = first.ok()["hireEmployee"].clone();
    assert_eq!(first["employeeNumber"], "E000001");
    assert_eq!(first["email"], "ana@example.com");
    assert_eq!(first["status"], "ACTIVE");
    assert_eq!(first["annualSalary"], "42000.00");
    assert_eq!(first["nationalId"], "12345678Z", "HR sees sensitive fields");
    let second = o.hire_ok("ops", "bo@example.com", "30000", "2026-02-01").await;
    assert_eq!(second["employeeNumber"], "E000002");

    let tickets = o
        .app
        .gql(
            Some(&o.admin),
            "{ tickets { nodes { title category priority status department { code } requester { email } } } }",
            json!({}),
        )
        .await;
    let tickets = tickets.ok()["tickets"]["nodes"].as_array().unwrap().clone();
    assert_eq!(tickets.len(), 2, "one onboarding ticket per hire");
    let onboarding =
        tickets.iter().find(|t| t["requester"]["email"] == "hr@example.com").expect("the HR officer's hire");
    assert_eq!(onboarding["title"], "Onboarding: Ana García");
    assert_eq!((onboarding["category"].as_str(), onboarding["priority"].as_str()), (Some("ACCESS"), Some("P3")));
    assert_eq!(onboarding["department"]["code"], "ops");
    assert_eq!(onboarding["requester"]["email"], "hr@example.com");

    let events = o.app.audit_events(&o.admin).await;
    let hire_event = events.iter().find(|e| e["action"] == "hireEmployee" && e["entityId"] == first["id"]).unwrap();
    let auto =
        events.iter().find(|e| e["action"] == "auto:openTicket" && e["requestId"] == hire_event["requestId"]).unwrap();
    assert_eq!(auto["entityType"], "Ticket");
    assert_eq!(hire_event["after"]["nationalId"], "****678Z");
    assert_eq!(hire_event["after"]["bankAccount"], "****1332");
    assert_eq!(hire_event["after"]["annualSalary"], "42000.00");
    let log = serde_json::to_string(&events).unwrap();
    assert!(
        !log.contains("12345678Z") && !log.contains("ES9121000418450200051332"),
        "sensitive values are masked in the log"
    );
}

#[tokio::test]
async fn bad_hires_are_refused_naming_the_field() {
    let o = org().await;
    o.hire_ok("ops", "ana@example.com", "42000", "2026-01-12").await;
    let with = |k: &str, v: Value| {
        let mut i = hire_input("ops", "new@example.com", "1000", "2026-01-01");
        i[k] = v;
        i
    };
    for (input, field) in [
        (with("currency", json!("euro")), "input.currency"),
        (with("annualSalary", json!("-1")), "input.annualSalary"),
        (with("annualSalary", json!("1000.001")), "input.annualSalary"),
        (with("email", json!("nope")), "input.email"),
        (with("firstName", json!("")), "input.firstName"),
        (with("managerId", json!("no-such-employee")), "input.managerId"),
    ] {
        assert_eq!(o.hire(&o.hr, input).await.expect_code("BAD_USER_INPUT")["extensions"]["field"], field);
    }
    o.hire(&o.hr, hire_input("ops", "ANA@example.com", "1", "2026-01-01")).await.expect_code("CONFLICT");
    o.hire(&o.hr, hire_input("sales", "x@example.com", "1", "2026-01-01")).await.expect_code("FORBIDDEN");
    o.hire(&o.ops_manager, hire_input("ops", "y@example.com", "1", "2026-01-01")).await.expect_code("FORBIDDEN");
    let count = o.app.gql(Some(&o.admin), "{ employees { totalCount } }", json!({})).await;
    assert_eq!(count.ok()["employees"]["totalCount"], 1);
}

#[tokio::test]
async fn a_manager_sees_the_team_without_salaries_the_employee_sees_their_own_and_other_hr_nothing() {
    let o = org().await;
    let ana = o.hire_ok("ops", "ana@example.com", "42000", "2026-01-12").await;
    let ana_token = o.linked_user(&ana, "ana.user@example.com").await;

    let team = o
        .app
        .gql(
            Some(&o.ops_manager),
            "{ employees { nodes { firstName email annualSalary nationalId bankAccount } } }",
            json!({}),
        )
        .await;
    let codes = team.codes();
    assert_eq!(codes, ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"], "{:#}", team.0);
    let paths: Vec<Value> = team.errors().iter().map(|e| e["path"].clone()).collect();
    assert!(paths.contains(&json!(["employees", "nodes", 0, "annualSalary"])), "{paths:?}");
    assert_eq!(
        team.data()["employees"]["nodes"],
        json!([{"firstName": "Ana", "email": "ana@example.com", "annualSalary": null, "nationalId": null, "bankAccount": null}])
    );

    let own = o
        .app
        .gql(
            Some(&ana_token),
            "query($id: ID!) { employee(id: $id) { annualSalary nationalId } me { employee { annualSalary } } }",
            json!({"id": ana["id"]}),
        )
        .await;
    assert_eq!(own.ok()["employee"], json!({"annualSalary": "42000.00", "nationalId": "12345678Z"}));
    assert_eq!(own.ok()["me"]["employee"]["annualSalary"], "42000.00");

    let other = o.app.gql(Some(&o.hr_other), "{ employees { totalCount } }", json!({})).await;
    assert_eq!(other.ok()["employees"]["totalCount"], 0);
    o.app
        .gql(Some(&o.hr_other), "query($id: ID!) { employee(id: $id) { firstName } }", json!({"id": ana["id"]}))
        .await
        .expect_code("NOT_FOUND");
    o.app
        .gql(Some(&o.hr_other), "{ employees(filter: {department: \"ops\"}) { totalCount } }", json!({}))
        .await
        .expect_code("FORBIDDEN");
    // Finance reads the basic fields of its department (to post payroll), not the sensitive ones.
    let finance = o.app.gql(Some(&o.clerk), "{ employees { nodes { lastName annualSalary } } }", json!({})).await;
    assert_eq!(finance.codes(), ["FORBIDDEN"]);
    assert_eq!(finance.data()["employees"]["nodes"][0]["lastName"], "García");
}

#[tokio::test]
async fn search_and_filters_narrow_the_list() {
    let o = org().await;
    o.hire_ok("ops", "ana@example.com", "1", "2026-01-12").await;
    let mut bo = hire_input("ops", "bo@example.com", "1", "2026-01-12");
    bo["firstName"] = json!("Bo");
    bo["lastName"] = json!("Svensson");
    o.hire(&o.admin, bo).await.ok();
    let search = |text: &'static str| {
        o.app.gql(
            Some(&o.hr),
            "query($s: String) { employees(filter: {search: $s}) { nodes { firstName } } }",
            json!({"s": text}),
        )
    };
    assert_eq!(search("svens").await.ok()["employees"]["nodes"], json!([{"firstName": "Bo"}]));
    assert_eq!(search("E000001").await.ok()["employees"]["nodes"], json!([{"firstName": "Ana"}]));
    assert_eq!(search("%").await.ok()["employees"]["nodes"], json!([]));
}

#[tokio::test]
async fn updates_are_checked_and_terminated_records_are_closed() {
    let o = org().await;
    let boss = o.hire_ok("ops", "boss.e@example.com", "80000", "2020-01-01").await;
    let ana = o.hire_ok("ops", "ana@example.com", "42000", "2026-01-12").await;
    let update = "mutation($id: ID!, $i: UpdateEmployeeInput!) { updateEmployee(id: $id, input: $i) { position annualSalary manager { id } department { code } } }";
    let res = o.app.gql(Some(&o.hr), update, json!({"id": ana["id"], "i": {"position": "Lead analyst", "annualSalary": "45000", "managerId": boss["id"]}})).await;
    assert_eq!(
        res.ok()["updateEmployee"],
        json!({"position": "Lead analyst", "annualSalary": "45000.00", "manager": {"id": boss["id"]}, "department": {"code": "ops"}})
    );
    let cycle = o.app.gql(Some(&o.hr), update, json!({"id": boss["id"], "i": {"managerId": ana["id"]}})).await;
    assert_eq!(cycle.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.managerId");
    o.app
        .gql(Some(&o.hr), update, json!({"id": ana["id"], "i": {"department": "sales"}}))
        .await
        .expect_code("FORBIDDEN");
    o.app
        .gql(Some(&o.hr_other), update, json!({"id": ana["id"], "i": {"position": "x"}}))
        .await
        .expect_code("NOT_FOUND");

    let events = o.app.audit_events(&o.admin).await;
    let e = events.iter().rev().find(|e| e["action"] == "updateEmployee" && e["outcome"] == "SUCCESS").unwrap();
    assert_eq!(
        (e["before"]["annualSalary"].as_str(), e["after"]["annualSalary"].as_str()),
        (Some("42000.00"), Some("45000.00"))
    );

    let terminate = "mutation($id: ID!, $d: Date!) { terminateEmployee(id: $id, terminationDate: $d, reason: \"resigned\") { status terminationDate } }";
    o.app.gql(Some(&o.hr), terminate, json!({"id": ana["id"], "d": "2026-06-30"})).await.expect_code("FORBIDDEN");
    let early = o.app.gql(Some(&o.hr_manager), terminate, json!({"id": ana["id"], "d": "2026-01-11"})).await;
    assert_eq!(early.expect_code("BAD_USER_INPUT")["extensions"]["field"], "terminationDate");
    let done = o.app.gql(Some(&o.hr_manager), terminate, json!({"id": ana["id"], "d": "2026-06-30"})).await;
    assert_eq!(done.ok()["terminateEmployee"], json!({"status": "TERMINATED", "terminationDate": "2026-06-30"}));
    o.app
        .gql(Some(&o.hr_manager), terminate, json!({"id": ana["id"], "d": "2026-06-30"}))
        .await
        .expect_code("CONFLICT");
    o.app.gql(Some(&o.hr), update, json!({"id": ana["id"], "i": {"position": "x"}})).await.expect_code("CONFLICT");
}

const RUN: &str = "id period status totalGross totalNet createdBy { email } approvedBy { email } department { code } payslips { employee { email } daysInPeriod daysWorked gross incomeTax socialSecurity net }";

#[tokio::test]
async fn a_payroll_run_prorates_approves_posts_and_balances_the_ledger() {
    let o = org().await;
    o.hire_ok("ops", "full@example.com", "60000", "2020-01-01").await; // 5000.00
    o.hire_ok("ops", "tenth@example.com", "60000", "2026-04-10").await; // 21/30 -> 3500.00
    o.hire_ok("ops", "later@example.com", "60000", "2026-05-01").await; // not yet employed
    let leaver = o.hire_ok("ops", "leaver@example.com", "36000", "2020-01-01").await;
    o.app
        .gql(Some(&o.hr_manager), "mutation($id: ID!) { terminateEmployee(id: $id, terminationDate: \"2026-04-15\", reason: \"moved\") { id } }", json!({"id": leaver["id"]}))
        .await
        .ok(); // 3000 × 15/30 = 1500.00
    let gone = o.hire_ok("ops", "gone@example.com", "36000", "2020-01-01").await;
    o.app
        .gql(Some(&o.hr_manager), "mutation($id: ID!) { terminateEmployee(id: $id, terminationDate: \"2026-03-31\", reason: \"moved\") { id } }", json!({"id": gone["id"]}))
        .await
        .ok();

    let create =
        format!("mutation($d: String!, $p: String!) {{ createPayrollRun(department: $d, period: $p) {{ {RUN} }} }}");
    for bad in ["2026-4", "2026-13", "April"] {
        let res = o.app.gql(Some(&o.hr), &create, json!({"d": "ops", "p": bad})).await;
        assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], "period", "{bad}");
    }
    o.app.gql(Some(&o.hr), &create, json!({"d": "sales", "p": "2026-04"})).await.expect_code("FORBIDDEN");
    let run =
        o.app.gql(Some(&o.hr), &create, json!({"d": "ops", "p": "2026-04"})).await.ok()["createPayrollRun"].clone();
    assert_eq!(run["status"], "DRAFT");
    let slips: Vec<(String, Value)> = run["payslips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["employee"]["email"].as_str().unwrap().to_string(), s.clone()))
        .collect();
    let emails: Vec<&str> = slips.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(emails.len(), 3, "{emails:?}");
    let slip = |email: &str| slips.iter().find(|(e, _)| e == email).unwrap().1.clone();
    assert_eq!(
        slip("full@example.com"),
        json!({"employee": {"email": "full@example.com"}, "daysInPeriod": 30, "daysWorked": 30, "gross": "5000.00", "incomeTax": "750.00", "socialSecurity": "317.50", "net": "3932.50"})
    );
    assert_eq!(
        (slip("tenth@example.com")["daysWorked"].clone(), slip("tenth@example.com")["gross"].clone()),
        (json!(21), json!("3500.00"))
    );
    assert_eq!(
        (slip("leaver@example.com")["daysWorked"].clone(), slip("leaver@example.com")["gross"].clone()),
        (json!(15), json!("1500.00"))
    );
    // gross 10000.00; tax 1500.00; social security 317.50 + 222.25 + 95.25 = 635.00; net 7865.00
    assert_eq!((run["totalGross"].as_str(), run["totalNet"].as_str()), (Some("10000.00"), Some("7865.00")));
    o.app.gql(Some(&o.hr), &create, json!({"d": "ops", "p": "2026-04"})).await.expect_code("CONFLICT");

    let approve = "mutation($id: ID!) { approvePayrollRun(id: $id) { status approvedBy { email } } }";
    let post = "mutation($id: ID!) { postPayrollRun(id: $id) { status } }";
    o.app.gql(Some(&o.clerk), post, json!({"id": run["id"]})).await.expect_code("CONFLICT"); // still DRAFT
    o.app.gql(Some(&o.hr), approve, json!({"id": run["id"]})).await.expect_code("FORBIDDEN"); // not a manager
    let (_, creator_manager) = o.app.user_with_role(&o.admin, "hrm2@example.com", "HR_MANAGER", "ops").await;
    let own_run =
        o.app.gql(Some(&creator_manager), &create, json!({"d": "ops", "p": "2026-05"})).await.ok()["createPayrollRun"]
            ["id"]
            .clone();
    o.app.gql(Some(&creator_manager), approve, json!({"id": own_run})).await.expect_code("FORBIDDEN"); // its creator
    let approved = o.app.gql(Some(&o.hr_manager), approve, json!({"id": run["id"]})).await;
    assert_eq!(
        approved.ok()["approvePayrollRun"],
        json!({"status": "APPROVED", "approvedBy": {"email": "hrm@example.com"}})
    );
    o.app.gql(Some(&o.hr_manager), approve, json!({"id": run["id"]})).await.expect_code("CONFLICT");
    o.app.gql(Some(&o.hr_manager), post, json!({"id": run["id"]})).await.expect_code("FORBIDDEN"); // HR does not post
    assert_eq!(
        o.app.gql(Some(&o.clerk), post, json!({"id": run["id"]})).await.ok()["postPayrollRun"]["status"],
        "POSTED"
    );
    o.app.gql(Some(&o.clerk), post, json!({"id": run["id"]})).await.expect_code("CONFLICT");

    let entries = o
        .app
        .gql(
            Some(&o.clerk),
            "{ journalEntries { nodes { date source lines { account { code } debit credit } } } }",
            json!({}),
        )
        .await;
    let entry = entries.ok()["journalEntries"]["nodes"][0].clone();
    assert_eq!(entry["date"], "2026-04-30");
    assert_eq!(entry["source"], format!("payroll:{}", run["id"].as_str().unwrap()));
    assert_eq!(
        entry["lines"],
        json!([
            {"account": {"code": "5100"}, "debit": "10000.00", "credit": "0.00"},
            {"account": {"code": "2200"}, "debit": "0.00", "credit": "2135.00"},
            {"account": {"code": "2300"}, "debit": "0.00", "credit": "7865.00"}
        ])
    );
    let tb =
        o.app.gql(Some(&o.clerk), "{ trialBalance(asOf: \"2026-12-31\") { totalDebit totalCredit } }", json!({})).await;
    assert_eq!(tb.ok()["trialBalance"], json!({"totalDebit": "10000.00", "totalCredit": "10000.00"}));
}

#[tokio::test]
async fn employees_see_their_payslips_once_the_run_is_approved() {
    let o = org().await;
    let ana = o.hire_ok("ops", "ana@example.com", "60000", "2020-01-01").await;
    o.hire_ok("ops", "bo@example.com", "30000", "2020-01-01").await;
    let ana_token = o.linked_user(&ana, "ana.user@example.com").await;
    let run = o
        .app
        .gql(Some(&o.hr), "mutation { createPayrollRun(department: \"ops\", period: \"2026-03\") { id } }", json!({}))
        .await
        .ok()["createPayrollRun"]["id"]
        .clone();
    let mine = "{ myPayslips { period gross employee { email } } }";
    assert_eq!(o.app.gql(Some(&ana_token), mine, json!({})).await.ok()["myPayslips"], json!([]), "not while DRAFT");
    o.app
        .gql(Some(&o.hr_manager), "mutation($id: ID!) { approvePayrollRun(id: $id) { id } }", json!({"id": run}))
        .await
        .ok();
    assert_eq!(
        o.app.gql(Some(&ana_token), mine, json!({})).await.ok()["myPayslips"],
        json!([{"period": "2026-03", "gross": "5000.00", "employee": {"email": "ana@example.com"}}])
    );
    o.app.gql(Some(&ana_token), "{ payrollRuns { totalCount } }", json!({})).await.expect_code("FORBIDDEN");
    assert_eq!(
        o.app.gql(Some(&o.admin), mine, json!({})).await.ok()["myPayslips"],
        json!([]),
        "no employee record, no payslips"
    );
}

async fn request_leave(o: &Org, token: &str, input: Value) -> Gql {
    o.app
        .gql(Some(token), "mutation($i: RequestLeaveInput!) { requestLeave(input: $i) { id type days status startDate endDate employee { email } } }", json!({"i": input}))
        .await
}

#[tokio::test]
async fn leave_counts_working_days_refuses_overlaps_and_overdrafts_and_keeps_the_balance() {
    let o = org().await;
    let ana = o.hire_ok("ops", "ana@example.com", "1", "2020-01-01").await;
    let ana_token = o.linked_user(&ana, "ana.user@example.com").await;
    let leave = |t: &str, s: &str, e: &str| json!({"type": t, "startDate": s, "endDate": e});

    // Monday 2026-11-23 to Sunday 2026-11-29: 5 working days.
    let week = request_leave(&o, &ana_token, leave("VACATION", "2026-11-23", "2026-11-29")).await;
    let week = week.ok()["requestLeave"].clone();
    assert_eq!(
        (week["days"].as_i64(), week["status"].as_str(), week["employee"]["email"].as_str()),
        (Some(5), Some("PENDING"), Some("ana@example.com"))
    );
    for (input, field) in [
        (leave("VACATION", "2026-11-28", "2026-11-29"), "input.startDate"),
        (leave("VACATION", "2026-12-30", "2027-01-04"), "input.endDate"),
        (leave("SICK", "2026-11-10", "2026-11-09"), "input.endDate"),
    ] {
        assert_eq!(
            request_leave(&o, &ana_token, input).await.expect_code("BAD_USER_INPUT")["extensions"]["field"],
            field
        );
    }
    request_leave(&o, &ana_token, leave("SICK", "2026-11-27", "2026-12-01")).await.expect_code("CONFLICT"); // overlaps
    // 22 allowed, 5 pending: 17 more fit, 18 do not.
    request_leave(&o, &ana_token, leave("VACATION", "2026-06-01", "2026-06-24")).await.expect_code("CONFLICT"); // 18 days
    let june = request_leave(&o, &ana_token, leave("VACATION", "2026-06-01", "2026-06-23")).await; // 17 days
    assert_eq!(june.ok()["requestLeave"]["days"], 17);
    request_leave(&o, &ana_token, leave("UNPAID", "2026-07-01", "2026-07-31")).await.ok(); // not vacation

    let balance =
        "query($id: ID!) { leaveBalance(employeeId: $id, year: 2026) { year allowance taken pending remaining } }";
    assert_eq!(
        o.app.gql(Some(&ana_token), balance, json!({"id": ana["id"]})).await.ok()["leaveBalance"],
        json!({"year": 2026, "allowance": 22, "taken": 0, "pending": 22, "remaining": 0})
    );

    let decide = "mutation($id: ID!, $a: Boolean!) { decideLeaveRequest(id: $id, approve: $a, note: \"ok\") { status decidedBy { email } } }";
    let decided = o.app.gql(Some(&o.ops_manager), decide, json!({"id": week["id"], "a": true})).await;
    assert_eq!(
        decided.ok()["decideLeaveRequest"],
        json!({"status": "APPROVED", "decidedBy": {"email": "boss@example.com"}})
    );
    o.app.gql(Some(&o.ops_manager), decide, json!({"id": week["id"], "a": false})).await.expect_code("CONFLICT");
    assert_eq!(o.app.gql(Some(&o.hr), balance, json!({"id": ana["id"]})).await.ok()["leaveBalance"]["taken"], 5);
    o.app.gql(Some(&o.hr_other), balance, json!({"id": ana["id"]})).await.expect_code("NOT_FOUND");
}

#[tokio::test]
async fn nobody_decides_their_own_leave_and_other_departments_never_see_it() {
    let o = org().await;
    let hr_person = o.hire_ok("ops", "hr.person@example.com", "1", "2020-01-01").await;
    let (id, _) = (o.app.create_user_linked(&o.admin, "hr.self@example.com", hr_person["id"].as_str()).await, ());
    o.app.assign_role(&o.admin, &id, "HR_OFFICER", "ops").await;
    let hr_self = o.app.login("hr.self@example.com", PASSWORD).await;
    let own =
        request_leave(&o, &hr_self, json!({"type": "PERSONAL", "startDate": "2026-11-23", "endDate": "2026-11-23"}))
            .await;
    let own_id = own.ok()["requestLeave"]["id"].clone();
    let decide = "mutation($id: ID!) { decideLeaveRequest(id: $id, approve: true) { status } }";
    o.app.gql(Some(&hr_self), decide, json!({"id": own_id})).await.expect_code("FORBIDDEN");
    o.app.gql(Some(&o.hr_other), decide, json!({"id": own_id})).await.expect_code("NOT_FOUND");
    // HR requests leave for someone else; a no-role user without a record cannot.
    let other = o.hire_ok("ops", "other@example.com", "1", "2020-01-01").await;
    let for_other = request_leave(
        &o,
        &o.hr,
        json!({"employeeId": other["id"], "type": "SICK", "startDate": "2026-11-24", "endDate": "2026-11-24"}),
    )
    .await;
    assert_eq!(for_other.ok()["requestLeave"]["employee"]["email"], "other@example.com");
    let nobody_id = o.app.create_user(&o.admin, "nobody@example.com").await;
    let _ = nobody_id;
    let nobody = o.app.login("nobody@example.com", PASSWORD).await;
    request_leave(&o, &nobody, json!({"type": "SICK", "startDate": "2026-11-24", "endDate": "2026-11-24"}))
        .await
        .expect_code("FORBIDDEN");
    let out_of_scope = request_leave(
        &o,
        &nobody,
        json!({"employeeId": other["id"], "type": "SICK", "startDate": "2026-11-25", "endDate": "2026-11-25"}),
    )
    .await;
    // Someone else's record, out of scope: the same answer as an id that exists nowhere (§10).
    assert_eq!(out_of_scope.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.employeeId");

    let list = "{ leaveRequests { totalCount } }";
    assert_eq!(o.app.gql(Some(&o.ops_manager), list, json!({})).await.ok()["leaveRequests"]["totalCount"], 2);
    assert_eq!(o.app.gql(Some(&o.hr_other), list, json!({})).await.ok()["leaveRequests"]["totalCount"], 0);
    assert_eq!(
        o.app.gql(Some(&hr_self), "{ leaveRequests(filter: {status: PENDING}) { totalCount } }", json!({})).await.ok()
            ["leaveRequests"]["totalCount"],
        2
    );
}

#[tokio::test]
async fn candidates_move_forward_and_an_opening_closes_itself_at_headcount() {
    let o = org().await;
    let opening = o
        .app
        .gql(Some(&o.hr), "mutation { openJobOpening(input: {department: \"ops\", title: \"Picker\", headcount: 2}) { id status headcount } }", json!({}))
        .await;
    let opening = opening.ok()["openJobOpening"].clone();
    assert_eq!(opening["status"], "OPEN");
    let bad = o
        .app
        .gql(
            Some(&o.hr),
            "mutation { openJobOpening(input: {department: \"ops\", title: \"x\", headcount: 0}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(bad.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.headcount");

    let add = "mutation($o: ID!, $n: String!, $e: String!) { addCandidate(input: {openingId: $o, fullName: $n, email: $e}) { id stage opening { id } } }";
    let mut ids = Vec::new();
    for (name, email) in [("Ana", "a@example.com"), ("Bo", "b@example.com"), ("Cy", "c@example.com")] {
        ids.push(
            o.app.gql(Some(&o.hr), add, json!({"o": opening["id"], "n": name, "e": email})).await.ok()["addCandidate"]
                ["id"]
                .clone(),
        );
    }
    o.app
        .gql(Some(&o.hr), add, json!({"o": opening["id"], "n": "Ana again", "e": "A@example.com"}))
        .await
        .expect_code("CONFLICT");
    let mv = "mutation($id: ID!, $s: CandidateStage!) { moveCandidate(id: $id, stage: $s) { stage } }";
    let step = |id: &Value, stage: &str| o.app.gql(Some(&o.hr), mv, json!({"id": id, "s": stage}));
    assert_eq!(step(&ids[0], "INTERVIEW").await.ok()["moveCandidate"]["stage"], "INTERVIEW"); // skips SCREENING
    step(&ids[0], "SCREENING").await.expect_code("CONFLICT"); // backwards
    step(&ids[0], "INTERVIEW").await.expect_code("CONFLICT"); // not forward
    step(&ids[2], "REJECTED").await.ok();
    step(&ids[2], "OFFER").await.expect_code("CONFLICT"); // REJECTED is final
    step(&ids[0], "HIRED").await.ok();
    step(&ids[0], "REJECTED").await.expect_code("CONFLICT"); // HIRED is final
    step(&ids[1], "HIRED").await.ok(); // the headcount is reached

    let openings = o.app.gql(Some(&o.ops_manager), "{ jobOpenings { status candidates { stage } } }", json!({})).await;
    assert_eq!(openings.ok()["jobOpenings"][0]["status"], "CLOSED");
    let events = o.app.audit_events(&o.admin).await;
    let auto = events.iter().find(|e| e["action"] == "auto:closeJobOpening").expect("the automatic close is recorded");
    assert_eq!((auto["entityType"].as_str(), auto["after"]["status"].as_str()), (Some("JobOpening"), Some("CLOSED")));

    let late = o.app.gql(Some(&o.hr), add, json!({"o": opening["id"], "n": "Dee", "e": "d@example.com"})).await;
    late.expect_code("CONFLICT");
    o.app.gql(Some(&o.hr_other), "{ jobOpenings { id } }", json!({})).await.ok();
    o.app.gql(Some(&o.hr_other), mv, json!({"id": ids[2], "s": "HIRED"})).await.expect_code("NOT_FOUND");
}

#[tokio::test]
async fn hiring_into_a_closed_opening_is_a_conflict() {
    let o = org().await;
    let opening = o
        .app
        .gql(
            Some(&o.hr),
            "mutation { openJobOpening(input: {department: \"ops\", title: \"Driver\", headcount: 1}) { id } }",
            json!({}),
        )
        .await
        .ok()["openJobOpening"]["id"]
        .clone();
    let add =
        "mutation($o: ID!, $e: String!) { addCandidate(input: {openingId: $o, fullName: \"C\", email: $e}) { id } }";
    let a = o.app.gql(Some(&o.hr), add, json!({"o": opening, "e": "a@example.com"})).await.ok()["addCandidate"]["id"]
        .clone();
    let b = o.app.gql(Some(&o.hr), add, json!({"o": opening, "e": "b@example.com"})).await.ok()["addCandidate"]["id"]
        .clone();
    let mv = "mutation($id: ID!) { moveCandidate(id: $id, stage: HIRED) { stage } }";
    o.app.gql(Some(&o.hr), mv, json!({"id": a})).await.ok();
    o.app.gql(Some(&o.hr), mv, json!({"id": b})).await.expect_code("CONFLICT");
}

#[tokio::test]
async fn training_records_show_what_lapses_soon() {
    let o = org().await;
    let ana = o.hire_ok("ops", "ana@example.com", "1", "2020-01-01").await;
    let today = chrono::Utc::now().date_naive();
    let record = "mutation($i: RecordTrainingInput!) { recordTraining(input: $i) { title kind expiresOn } }";
    let input = |title: &str, kind: &str, expires: Option<chrono::NaiveDate>| json!({"i": {"employeeId": ana["id"], "title": title, "kind": kind, "completedOn": "2025-01-10", "expiresOn": expires.map(|d| d.to_string())}});
    o.app
        .gql(Some(&o.hr), record, input("Forklift licence", "CERTIFICATION", Some(today + chrono::Duration::days(10))))
        .await
        .ok();
    o.app
        .gql(Some(&o.hr), record, input("First aid", "CERTIFICATION", Some(today + chrono::Duration::days(200))))
        .await
        .ok();
    o.app.gql(Some(&o.hr), record, input("Fire drill", "TRAINING", Some(today - chrono::Duration::days(1)))).await.ok();
    o.app.gql(Some(&o.hr), record, input("Ethics", "TRAINING", None)).await.ok();
    let bad = o
        .app
        .gql(
            Some(&o.hr),
            record,
            input("Backwards", "TRAINING", Some(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap())),
        )
        .await;
    assert_eq!(bad.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.expiresOn");

    let soon = o.app.gql(Some(&o.ops_manager), "{ expiringTrainings(withinDays: 30) { title } }", json!({})).await;
    assert_eq!(soon.ok()["expiringTrainings"], json!([{"title": "Forklift licence"}]));
    let with_lapsed = o
        .app
        .gql(Some(&o.hr), "{ expiringTrainings(withinDays: 30, includeExpired: true) { title } }", json!({}))
        .await;
    assert_eq!(with_lapsed.ok()["expiringTrainings"], json!([{"title": "Fire drill"}, {"title": "Forklift licence"}]));
    let all = o
        .app
        .gql(Some(&o.hr), "query($id: ID!) { trainingRecords(employeeId: $id) { title } }", json!({"id": ana["id"]}))
        .await;
    assert_eq!(all.ok()["trainingRecords"].as_array().unwrap().len(), 4);
    assert_eq!(
        o.app.gql(Some(&o.hr_other), "{ expiringTrainings(withinDays: 365) { title } }", json!({})).await.ok()["expiringTrainings"],
        json!([])
    );
}
