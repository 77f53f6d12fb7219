//! Every mutation of the schema, run successfully once, writes its SUCCESS audit event under
//! its own request id (CONTRACT.md §5). A new mutation without an event, or without a step
//! here, fails this test.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::*;
use serde_json::{Value, json};

struct Script {
    app: TestApp,
    /// mutation name -> the request id it ran under
    ran: HashMap<String, String>,
}

impl Script {
    /// Runs one mutation, expecting success, and remembers its request id.
    async fn step(&mut self, token: Option<&str>, name: &str, query: &str, variables: Value) -> Value {
        let request_id = format!("cov-{name}");
        let mut req = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-request-id", &request_id)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let body: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(body.get("errors").is_none(), "{name}: {body:#}");
        self.ran.insert(name.to_string(), request_id);
        body["data"][name].clone()
    }
}

fn id(v: &Value) -> Value {
    v["id"].clone()
}

#[tokio::test]
async fn every_mutation_writes_its_success_event() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut s = Script { app, ran: HashMap::new() };
    let a = Some(admin.as_str());

    // Organisation and identity.
    s.step(
        a,
        "createDepartment",
        "mutation { createDepartment(input: {code: \"ops\", name: \"Ops\", kind: OPERATIONS}) { id } }",
        json!({}),
    )
    .await;
    let user = s.step(a, "createUser", "mutation($p: String!) { createUser(input: {email: \"u@example.com\", password: $p, displayName: \"U\"}) { id } }", json!({"p": PASSWORD})).await;
    s.step(
        a,
        "assignRole",
        "mutation($u: ID!) { assignRole(input: {userId: $u, role: AUDITOR, department: \"*\"}) { id } }",
        json!({"u": id(&user)}),
    )
    .await;
    s.step(
        a,
        "revokeRole",
        "mutation($u: ID!) { revokeRole(input: {userId: $u, role: AUDITOR, department: \"*\"}) { id } }",
        json!({"u": id(&user)}),
    )
    .await;
    let login = s
        .step(
            None,
            "login",
            "mutation($p: String!) { login(email: \"u@example.com\", password: $p) { accessToken refreshToken } }",
            json!({"p": PASSWORD}),
        )
        .await;
    let refreshed = s
        .step(
            None,
            "refreshToken",
            "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }",
            json!({"r": login["refreshToken"]}),
        )
        .await;
    let user_token = refreshed["accessToken"].as_str().unwrap().to_string();
    s.step(
        Some(&user_token),
        "logout",
        "mutation($r: String!) { logout(refreshToken: $r) }",
        json!({"r": refreshed["refreshToken"]}),
    )
    .await;
    s.step(
        Some(&user_token),
        "changePassword",
        "mutation($p: String!) { changePassword(currentPassword: $p, newPassword: \"another long password\") }",
        json!({"p": PASSWORD}),
    )
    .await;
    s.step(a, "deactivateUser", "mutation($u: ID!) { deactivateUser(id: $u) { id } }", json!({"u": id(&user)})).await;
    let (_, clerk) = s.app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "ops").await;
    let (_, hr) = s.app.user_with_role(&admin, "hr@example.com", "HR_OFFICER", "ops").await;

    // Finance.
    let entry = s
        .step(a, "postJournalEntry", "mutation { postJournalEntry(input: {department: \"ops\", date: \"2026-01-05\", memo: \"Capital\", lines: [{accountCode: \"1000\", debit: \"10\", credit: \"0\"}, {accountCode: \"3000\", debit: \"0\", credit: \"10\"}]}) { id } }", json!({}))
        .await;
    s.step(
        a,
        "reverseJournalEntry",
        "mutation($id: ID!) { reverseJournalEntry(id: $id, date: \"2026-01-06\") { id } }",
        json!({"id": id(&entry)}),
    )
    .await;
    let invoice_input = "{department: \"ops\", kind: PAYABLE, counterparty: \"A\", currency: \"EUR\", issueDate: \"2026-01-05\", dueDate: \"2026-01-05\", lines: [{description: \"x\", quantity: \"1\", unitPrice: \"100\", taxRate: \"0\"}]}";
    let invoice = s
        .step(
            Some(&clerk),
            "createInvoice",
            &format!("mutation {{ createInvoice(input: {invoice_input}) {{ id }} }}"),
            json!({}),
        )
        .await;
    s.step(a, "approveInvoice", "mutation($id: ID!) { approveInvoice(id: $id) { id } }", json!({"id": id(&invoice)}))
        .await;
    s.step(
        a,
        "recordPayment",
        "mutation($id: ID!) { recordPayment(input: {invoiceId: $id, amount: \"10\", paidOn: \"2026-01-07\"}) { id } }",
        json!({"id": id(&invoice)}),
    )
    .await;
    let other = s
        .app
        .gql(Some(&clerk), &format!("mutation {{ createInvoice(input: {invoice_input}) {{ id }} }}"), json!({}))
        .await
        .ok()["createInvoice"]
        .clone();
    s.step(
        a,
        "voidInvoice",
        "mutation($id: ID!) { voidInvoice(id: $id, reason: \"dup\") { id } }",
        json!({"id": id(&other)}),
    )
    .await;
    s.step(a, "setBudget", "mutation { setBudget(input: {department: \"ops\", year: 2026, accountCode: \"5000\", amount: \"100\"}) { id } }", json!({})).await;
    let item = s.step(a, "createInventoryItem", "mutation { createInventoryItem(input: {department: \"ops\", sku: \"S\", name: \"N\", unit: \"u\", reorderPoint: \"1\", reorderQuantity: \"5\", unitCost: \"1\"}) { id } }", json!({})).await;
    s.step(
        a,
        "recordStockMovement",
        "mutation($id: ID!) { recordStockMovement(input: {itemId: $id, kind: RECEIPT, quantity: \"3\"}) { id } }",
        json!({"id": id(&item)}),
    )
    .await;

    // Human resources.
    let hire = "mutation($e: String!) { hireEmployee(input: {department: \"ops\", firstName: \"A\", lastName: \"B\", email: $e, position: \"P\", hireDate: \"2025-01-01\", annualSalary: \"12000\", currency: \"EUR\"}) { id } }";
    let ana = s.step(a, "hireEmployee", hire, json!({"e": "ana@example.com"})).await;
    s.step(
        a,
        "updateEmployee",
        "mutation($id: ID!) { updateEmployee(id: $id, input: {position: \"Q\"}) { id } }",
        json!({"id": id(&ana)}),
    )
    .await;
    let run = s
        .step(
            Some(&hr),
            "createPayrollRun",
            "mutation { createPayrollRun(department: \"ops\", period: \"2026-01\") { id } }",
            json!({}),
        )
        .await;
    s.step(a, "approvePayrollRun", "mutation($id: ID!) { approvePayrollRun(id: $id) { id } }", json!({"id": id(&run)}))
        .await;
    s.step(a, "postPayrollRun", "mutation($id: ID!) { postPayrollRun(id: $id) { id } }", json!({"id": id(&run)})).await;
    let leave = s.step(Some(&hr), "requestLeave", "mutation($id: ID!) { requestLeave(input: {employeeId: $id, type: SICK, startDate: \"2026-01-05\", endDate: \"2026-01-05\"}) { id } }", json!({"id": id(&ana)})).await;
    s.step(
        a,
        "decideLeaveRequest",
        "mutation($id: ID!) { decideLeaveRequest(id: $id, approve: true) { id } }",
        json!({"id": id(&leave)}),
    )
    .await;
    let opening = s
        .step(
            a,
            "openJobOpening",
            "mutation { openJobOpening(input: {department: \"ops\", title: \"T\", headcount: 1}) { id } }",
            json!({}),
        )
        .await;
    let candidate = s.step(a, "addCandidate", "mutation($id: ID!) { addCandidate(input: {openingId: $id, fullName: \"C\", email: \"c@example.com\"}) { id } }", json!({"id": id(&opening)})).await;
    s.step(
        a,
        "moveCandidate",
        "mutation($id: ID!) { moveCandidate(id: $id, stage: HIRED) { id } }",
        json!({"id": id(&candidate)}),
    )
    .await;
    s.step(a, "recordTraining", "mutation($id: ID!) { recordTraining(input: {employeeId: $id, title: \"T\", kind: TRAINING, completedOn: \"2026-01-05\"}) { id } }", json!({"id": id(&ana)})).await;

    // IT.
    let asset = s.step(a, "registerAsset", "mutation { registerAsset(input: {department: \"ops\", tag: \"L1\", kind: LAPTOP, model: \"M\", serialNumber: \"S\"}) { id } }", json!({})).await;
    s.step(
        a,
        "assignAsset",
        "mutation($a: ID!, $e: ID!) { assignAsset(assetId: $a, employeeId: $e) { id } }",
        json!({"a": id(&asset), "e": id(&ana)}),
    )
    .await;
    s.step(a, "returnAsset", "mutation($a: ID!) { returnAsset(assetId: $a) { id } }", json!({"a": id(&asset)})).await;
    s.step(
        a,
        "retireAsset",
        "mutation($a: ID!) { retireAsset(assetId: $a, reason: \"old\") { id } }",
        json!({"a": id(&asset)}),
    )
    .await;
    let license = s.step(a, "addSoftwareLicense", "mutation { addSoftwareLicense(input: {department: \"ops\", product: \"P\", vendor: \"V\", seats: 1}) { id } }", json!({})).await;
    s.step(
        a,
        "assignLicenseSeat",
        "mutation($l: ID!, $e: ID!) { assignLicenseSeat(licenseId: $l, employeeId: $e) { id } }",
        json!({"l": id(&license), "e": id(&ana)}),
    )
    .await;
    s.step(
        a,
        "releaseLicenseSeat",
        "mutation($l: ID!, $e: ID!) { releaseLicenseSeat(licenseId: $l, employeeId: $e) { id } }",
        json!({"l": id(&license), "e": id(&ana)}),
    )
    .await;
    let ticket = s.step(a, "openTicket", "mutation { openTicket(input: {department: \"ops\", title: \"T\", description: \"D\", category: OTHER, priority: P4}) { id } }", json!({})).await;
    let (tech_id, _) = s.app.user_with_role(&admin, "tech@example.com", "IT_TECHNICIAN", "ops").await;
    s.step(
        a,
        "assignTicket",
        "mutation($id: ID!, $u: ID!) { assignTicket(id: $id, assigneeId: $u) { id } }",
        json!({"id": id(&ticket), "u": tech_id}),
    )
    .await;
    s.step(
        a,
        "updateTicketStatus",
        "mutation($id: ID!) { updateTicketStatus(id: $id, status: IN_PROGRESS) { id } }",
        json!({"id": id(&ticket)}),
    )
    .await;
    s.step(
        a,
        "commentOnTicket",
        "mutation($id: ID!) { commentOnTicket(id: $id, body: \"B\") { id } }",
        json!({"id": id(&ticket)}),
    )
    .await;
    let grant = s
        .step(
            a,
            "grantAccess",
            "mutation($e: ID!) { grantAccess(input: {employeeId: $e, system: \"ERP\", level: \"user\"}) { id } }",
            json!({"e": id(&ana)}),
        )
        .await;
    s.step(a, "revokeAccess", "mutation($id: ID!) { revokeAccess(id: $id) { id } }", json!({"id": id(&grant)})).await;
    s.step(
        a,
        "terminateEmployee",
        "mutation($id: ID!) { terminateEmployee(id: $id, terminationDate: \"2026-02-01\", reason: \"r\") { id } }",
        json!({"id": id(&ana)}),
    )
    .await;

    // Every mutation of the schema ran, and each wrote a SUCCESS event named after it.
    let fields = s.app.gql(None, "{ __schema { mutationType { fields { name } } } }", json!({})).await;
    let schema: BTreeSet<String> = fields.ok()["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    // §13: signing a checkpoint changes no record and is not an audit event (tests/evidence.rs).
    let schema: BTreeSet<String> = schema.into_iter().filter(|name| name != "createAuditCheckpoint").collect();
    let covered: BTreeSet<String> = s.ran.keys().cloned().collect();
    assert_eq!(schema.difference(&covered).collect::<Vec<_>>(), Vec::<&String>::new(), "mutations without a step here");

    let events = s.app.audit_events(&admin).await;
    for (name, request_id) in &s.ran {
        let own: Vec<&Value> = events.iter().filter(|e| &e["requestId"] == request_id).collect();
        assert!(
            own.iter().any(|e| e["action"] == name.as_str() && e["outcome"] == "SUCCESS"),
            "{name} wrote no SUCCESS event of its own: {own:#?}"
        );
        assert!(
            own.iter().all(|e| e["action"] == name.as_str() || e["action"].as_str().unwrap().starts_with("auto:")),
            "{name}: {own:#?}"
        );
    }
    let report = s.app.gql(Some(&admin), "{ verifyAuditChain { valid } }", json!({})).await;
    assert_eq!(report.ok()["verifyAuditChain"]["valid"], true);
}
