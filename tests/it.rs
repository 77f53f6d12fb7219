//! IT over HTTP (CONTRACT.md §7–8): assets, licences, tickets with SLAs, access grants, and the
//! offboarding that termination triggers.

mod common;

use common::*;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};

struct Shop {
    app: TestApp,
    admin: String,
    tech: String,
    tech_id: String,
    it_manager: String,
    hr_manager: String,
    front: String,
    ops_manager: String,
}

async fn shop() -> Shop {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (code, kind) in [("ops", "OPERATIONS"), ("it", "IT"), ("sales", "OTHER")] {
        app.create_department(&admin, code, kind).await;
    }
    let (tech_id, tech) = app.user_with_role(&admin, "tech@example.com", "IT_TECHNICIAN", "ops").await;
    let (_, it_manager) = app.user_with_role(&admin, "itm@example.com", "IT_MANAGER", "ops").await;
    let (_, hr_manager) = app.user_with_role(&admin, "hrm@example.com", "HR_MANAGER", "ops").await;
    let (_, front) = app.user_with_role(&admin, "front@example.com", "FRONT_OFFICE", "sales").await;
    let (_, ops_manager) = app.user_with_role(&admin, "boss@example.com", "DEPARTMENT_MANAGER", "ops").await;
    Shop { app, admin, tech, tech_id, it_manager, hr_manager, front, ops_manager }
}

impl Shop {
    async fn hire(&self, email: &str) -> Value {
        let input = json!({"department": "ops", "firstName": "Ana", "lastName": "García", "email": email, "position": "Picker",
                           "hireDate": "2025-01-01", "annualSalary": "30000", "currency": "EUR"});
        self.app
            .gql(
                Some(&self.admin),
                "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { id } }",
                json!({"i": input}),
            )
            .await
            .ok()["hireEmployee"]
            .clone()
    }

    async fn register(&self, token: &str, tag: &str) -> Gql {
        self.app
            .gql(
                Some(token),
                "mutation($i: RegisterAssetInput!) { registerAsset(input: $i) { id tag status kind purchaseCost assignedTo { id } } }",
                json!({"i": {"department": "ops", "tag": tag, "kind": "LAPTOP", "model": "ThinkPad T14", "serialNumber": format!("SN-{tag}"), "purchaseDate": "2025-02-01", "purchaseCost": "1299.9", "warrantyEndsOn": "2028-02-01"}}),
            )
            .await
    }

    async fn open_ticket(&self, token: &str, input: Value) -> Gql {
        self.app
            .gql(Some(token), "mutation($i: OpenTicketInput!) { openTicket(input: $i) { id number status priority createdAt slaDueAt slaBreached resolvedAt department { code } requester { email } } }", json!({"i": input}))
            .await
    }

    async fn status(&self, token: &str, id: &Value, status: &str) -> Gql {
        self.app.gql(Some(token), "mutation($id: ID!, $s: TicketStatus!) { updateTicketStatus(id: $id, status: $s) { status resolvedAt } }", json!({"id": id, "s": status})).await
    }
}

#[tokio::test]
async fn assets_move_from_stock_to_an_employee_and_back_and_retire_for_good() {
    let s = shop().await;
    let ana = s.hire("ana@example.com").await;
    let laptop = s.register(&s.tech, "LAP-001").await.ok()["registerAsset"].clone();
    assert_eq!((laptop["status"].as_str(), laptop["purchaseCost"].as_str()), (Some("IN_STOCK"), Some("1299.90")));
    s.register(&s.tech, "LAP-001").await.expect_code("CONFLICT");
    s.register(&s.front, "LAP-002").await.expect_code("FORBIDDEN");

    let assign =
        "mutation($a: ID!, $e: ID!) { assignAsset(assetId: $a, employeeId: $e) { status assignedTo { email } } }";
    let assigned = s.app.gql(Some(&s.tech), assign, json!({"a": laptop["id"], "e": ana["id"]})).await;
    assert_eq!(assigned.ok()["assignAsset"], json!({"status": "ASSIGNED", "assignedTo": {"email": "ana@example.com"}}));
    s.app.gql(Some(&s.tech), assign, json!({"a": laptop["id"], "e": ana["id"]})).await.expect_code("CONFLICT");
    let retire = "mutation($a: ID!) { retireAsset(assetId: $a, reason: \"broken\") { status } }";
    s.app.gql(Some(&s.it_manager), retire, json!({"a": laptop["id"]})).await.expect_code("CONFLICT"); // assigned
    let back = s
        .app
        .gql(
            Some(&s.tech),
            "mutation($a: ID!) { returnAsset(assetId: $a) { status assignedTo { id } } }",
            json!({"a": laptop["id"]}),
        )
        .await;
    assert_eq!(back.ok()["returnAsset"], json!({"status": "IN_STOCK", "assignedTo": null}));
    s.app
        .gql(Some(&s.tech), "mutation($a: ID!) { returnAsset(assetId: $a) { status } }", json!({"a": laptop["id"]}))
        .await
        .expect_code("CONFLICT");
    s.app.gql(Some(&s.tech), retire, json!({"a": laptop["id"]})).await.expect_code("FORBIDDEN"); // technicians do not retire
    assert_eq!(
        s.app.gql(Some(&s.it_manager), retire, json!({"a": laptop["id"]})).await.ok()["retireAsset"]["status"],
        "RETIRED"
    );
    s.app.gql(Some(&s.it_manager), retire, json!({"a": laptop["id"]})).await.expect_code("CONFLICT");
    s.app.gql(Some(&s.tech), assign, json!({"a": laptop["id"], "e": ana["id"]})).await.expect_code("CONFLICT");

    let listed =
        s.app.gql(Some(&s.ops_manager), "{ assets(status: RETIRED) { totalCount nodes { tag } } }", json!({})).await;
    assert_eq!(listed.ok()["assets"], json!({"totalCount": 1, "nodes": [{"tag": "LAP-001"}]}));
    s.app.gql(Some(&s.front), "{ assets { totalCount } }", json!({})).await.expect_code("FORBIDDEN");
}

#[tokio::test]
async fn only_active_employees_get_assets_seats_and_access() {
    let s = shop().await;
    let ana = s.hire("ana@example.com").await;
    s.app
        .gql(Some(&s.hr_manager), "mutation($id: ID!) { terminateEmployee(id: $id, terminationDate: \"2026-01-31\", reason: \"left\") { id } }", json!({"id": ana["id"]}))
        .await
        .ok();
    let laptop = s.register(&s.tech, "LAP-009").await.ok()["registerAsset"]["id"].clone();
    s.app
        .gql(
            Some(&s.tech),
            "mutation($a: ID!, $e: ID!) { assignAsset(assetId: $a, employeeId: $e) { id } }",
            json!({"a": laptop, "e": ana["id"]}),
        )
        .await
        .expect_code("CONFLICT");
    let license = s.app.gql(Some(&s.it_manager), "mutation { addSoftwareLicense(input: {department: \"ops\", product: \"Office\", vendor: \"MS\", seats: 2}) { id } }", json!({})).await.ok()["addSoftwareLicense"]["id"].clone();
    s.app
        .gql(
            Some(&s.tech),
            "mutation($l: ID!, $e: ID!) { assignLicenseSeat(licenseId: $l, employeeId: $e) { id } }",
            json!({"l": license, "e": ana["id"]}),
        )
        .await
        .expect_code("CONFLICT");
    s.app
        .gql(
            Some(&s.tech),
            "mutation($e: ID!) { grantAccess(input: {employeeId: $e, system: \"ERP\", level: \"read\"}) { id } }",
            json!({"e": ana["id"]}),
        )
        .await
        .expect_code("CONFLICT");
}

#[tokio::test]
async fn licence_seats_stop_at_the_limit_even_when_assigned_concurrently() {
    let s = shop().await;
    let add = "mutation($n: Int!) { addSoftwareLicense(input: {department: \"ops\", product: \"Figma\", vendor: \"Figma Inc\", seats: $n, expiresOn: \"2027-01-01\"}) { id seats seatsUsed } }";
    s.app.gql(Some(&s.tech), add, json!({"n": 2})).await.expect_code("FORBIDDEN"); // adding is for IT managers
    let bad = s.app.gql(Some(&s.it_manager), add, json!({"n": 0})).await;
    assert_eq!(bad.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.seats");
    let license = s.app.gql(Some(&s.it_manager), add, json!({"n": 2})).await.ok()["addSoftwareLicense"].clone();
    assert_eq!(license["seatsUsed"], 0);

    let mut people = Vec::new();
    for i in 0..5 {
        people.push(s.hire(&format!("p{i}@example.com")).await["id"].clone());
    }
    let assign = "mutation($l: ID!, $e: ID!) { assignLicenseSeat(licenseId: $l, employeeId: $e) { seatsUsed assignees { email } } }";
    let first = s.app.gql(Some(&s.tech), assign, json!({"l": license["id"], "e": people[0]})).await;
    assert_eq!(first.ok()["assignLicenseSeat"]["seatsUsed"], 1);
    s.app.gql(Some(&s.tech), assign, json!({"l": license["id"], "e": people[0]})).await.expect_code("CONFLICT"); // already holds one

    // Four employees race for the one seat left.
    let results =
        join_all(people[1..].iter().map(|p| s.app.gql(Some(&s.tech), assign, json!({"l": license["id"], "e": p}))))
            .await;
    let won = results.iter().filter(|r| r.codes().is_empty()).count();
    let lost = results.iter().filter(|r| r.codes() == ["CONFLICT"]).count();
    assert_eq!((won, lost), (1, 3));
    let listed =
        s.app.gql(Some(&s.tech), "{ softwareLicenses { seats seatsUsed assignees { email } } }", json!({})).await;
    assert_eq!(listed.ok()["softwareLicenses"][0]["seatsUsed"], 2);

    let release = "mutation($l: ID!, $e: ID!) { releaseLicenseSeat(licenseId: $l, employeeId: $e) { seatsUsed } }";
    assert_eq!(
        s.app.gql(Some(&s.tech), release, json!({"l": license["id"], "e": people[0]})).await.ok()["releaseLicenseSeat"]
            ["seatsUsed"],
        1
    );
    s.app.gql(Some(&s.tech), release, json!({"l": license["id"], "e": people[0]})).await.expect_code("CONFLICT");
}

#[tokio::test]
async fn anyone_opens_tickets_and_follows_their_own_while_it_works_them_through_the_status_machine() {
    let s = shop().await;
    let ticket = s.open_ticket(&s.front, json!({"department": "ops", "title": "Printer jam", "description": "Tray 2", "category": "HARDWARE", "priority": "P2"})).await;
    let ticket = ticket.ok()["openTicket"].clone();
    assert_eq!(ticket["number"], "TCK-000001");
    assert_eq!((ticket["status"].as_str(), ticket["slaBreached"].as_bool()), (Some("OPEN"), Some(false)));
    let created = chrono::DateTime::parse_from_rfc3339(ticket["createdAt"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(ticket["slaDueAt"].as_str().unwrap()).unwrap();
    assert_eq!(due - created, chrono::Duration::hours(8));
    let second = s.open_ticket(&s.ops_manager, json!({"department": "ops", "title": "VPN", "description": "Down", "category": "NETWORK", "priority": "P4"})).await;
    assert_eq!(second.ok()["openTicket"]["number"], "TCK-000002");
    let res = s
        .open_ticket(
            &s.front,
            json!({"title": "No department", "description": "x", "category": "OTHER", "priority": "P4"}),
        )
        .await;
    assert_eq!(
        res.expect_code("BAD_USER_INPUT")["extensions"]["field"],
        "input.department",
        "no employee record to default to"
    );

    let mine = s.app.gql(Some(&s.front), "{ tickets { totalCount nodes { number } } }", json!({})).await;
    assert_eq!(
        mine.ok()["tickets"],
        json!({"totalCount": 1, "nodes": [{"number": "TCK-000001"}]}),
        "requesters see their own tickets"
    );
    let all = s.app.gql(Some(&s.tech), "{ tickets { totalCount } }", json!({})).await;
    assert_eq!(all.ok()["tickets"]["totalCount"], 2);
    s.app
        .gql(
            Some(&s.front),
            "query($id: ID!) { ticket(id: $id) { comments { body } } }",
            json!({"id": second.ok()["openTicket"]["id"]}),
        )
        .await
        .expect_code("NOT_FOUND");

    s.status(&s.front, &ticket["id"], "IN_PROGRESS").await.expect_code("FORBIDDEN");
    s.status(&s.tech, &ticket["id"], "RESOLVED").await.expect_code("CONFLICT"); // not from OPEN
    s.status(&s.tech, &ticket["id"], "IN_PROGRESS").await.ok();
    let resolved = s.status(&s.tech, &ticket["id"], "RESOLVED").await;
    assert!(resolved.ok()["updateTicketStatus"]["resolvedAt"].is_string());
    let reopened = s.status(&s.tech, &ticket["id"], "IN_PROGRESS").await;
    assert_eq!(
        reopened.ok()["updateTicketStatus"],
        json!({"status": "IN_PROGRESS", "resolvedAt": null}),
        "reopening clears resolvedAt"
    );
    s.status(&s.tech, &ticket["id"], "RESOLVED").await.ok();
    assert_eq!(s.status(&s.tech, &ticket["id"], "CLOSED").await.ok()["updateTicketStatus"]["status"], "CLOSED");
    s.status(&s.tech, &ticket["id"], "OPEN").await.expect_code("CONFLICT");

    let comment =
        "mutation($id: ID!, $b: String!) { commentOnTicket(id: $id, body: $b) { comments { body author { email } } } }";
    let res = s.app.gql(Some(&s.front), comment, json!({"id": ticket["id"], "b": "Thanks!"})).await;
    assert_eq!(
        res.ok()["commentOnTicket"]["comments"],
        json!([{"body": "Thanks!", "author": {"email": "front@example.com"}}])
    );
    s.app.gql(Some(&s.ops_manager), comment, json!({"id": ticket["id"], "b": "Me too"})).await.expect_code("FORBIDDEN");
}

#[tokio::test]
async fn the_assignee_must_hold_an_it_role_in_the_tickets_department() {
    let s = shop().await;
    let ticket = s.open_ticket(&s.front, json!({"department": "ops", "title": "Mouse", "description": "Broken", "category": "HARDWARE", "priority": "P3"})).await.ok()["openTicket"]["id"].clone();
    let (sales_tech, _) = s.app.user_with_role(&s.admin, "salestech@example.com", "IT_TECHNICIAN", "sales").await;
    let clerk = s.app.create_user(&s.admin, "clerk@example.com").await;
    let assign = "mutation($id: ID!, $a: ID!) { assignTicket(id: $id, assigneeId: $a) { assignee { email } } }";
    for wrong in [sales_tech, clerk, "no-such-user".to_string()] {
        let res = s.app.gql(Some(&s.tech), assign, json!({"id": ticket, "a": wrong})).await;
        assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], "assigneeId");
    }
    let ok = s.app.gql(Some(&s.tech), assign, json!({"id": ticket, "a": s.tech_id})).await;
    assert_eq!(ok.ok()["assignTicket"]["assignee"]["email"], "tech@example.com");
}

#[tokio::test]
async fn sla_breaches_are_unresolved_past_due_or_resolved_late() {
    let s = shop().await;
    let open = |title: &'static str| {
        s.open_ticket(
            &s.tech,
            json!({"department": "ops", "title": title, "description": "x", "category": "SOFTWARE", "priority": "P1"}),
        )
    };
    let late_open = open("late and open").await.ok()["openTicket"]["id"].clone();
    let late_resolved = open("late and resolved").await.ok()["openTicket"]["id"].clone();
    let on_time = open("on time").await.ok()["openTicket"]["id"].clone();
    for id in [&late_resolved, &on_time] {
        s.status(&s.tech, id, "IN_PROGRESS").await.ok();
        s.status(&s.tech, id, "RESOLVED").await.ok();
    }
    // Move two SLA clocks five hours into the past, as if the tickets were opened then.
    let past = (chrono::Utc::now() - chrono::Duration::hours(5)).format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string();
    let conn = &s.app.state.db.conn;
    for id in [&late_open, &late_resolved] {
        let sql = match s.app.state.db.backend() {
            DbBackend::Postgres => {
                format!("UPDATE tickets SET sla_due_at = '{past}'::timestamptz WHERE id = '{}'", id.as_str().unwrap())
            }
            _ => format!("UPDATE tickets SET sla_due_at = '{past}' WHERE id = '{}'", id.as_str().unwrap()),
        };
        conn.execute_unprepared(&sql).await.unwrap();
    }
    let breached = s
        .app
        .gql(Some(&s.tech), "{ tickets(filter: {slaBreached: true}) { nodes { title slaBreached } } }", json!({}))
        .await;
    let mut titles: Vec<String> = breached.ok()["tickets"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    assert_eq!(titles, ["late and open", "late and resolved"]);
    let fine = s
        .app
        .gql(Some(&s.tech), "{ tickets(filter: {slaBreached: false}) { nodes { title slaBreached } } }", json!({}))
        .await;
    assert_eq!(fine.ok()["tickets"]["nodes"], json!([{"title": "on time", "slaBreached": false}]));
}

#[tokio::test]
async fn access_is_granted_once_per_system_and_revoked_once() {
    let s = shop().await;
    let ana = s.hire("ana@example.com").await;
    let grant = "mutation($e: ID!, $s: String!) { grantAccess(input: {employeeId: $e, system: $s, level: \"admin\"}) { id system level grantedBy { email } revokedAt } }";
    let erp = s.app.gql(Some(&s.tech), grant, json!({"e": ana["id"], "s": "ERP"})).await.ok()["grantAccess"].clone();
    assert_eq!(erp["grantedBy"]["email"], "tech@example.com");
    s.app.gql(Some(&s.tech), grant, json!({"e": ana["id"], "s": "ERP"})).await.expect_code("CONFLICT");
    s.app.gql(Some(&s.tech), grant, json!({"e": ana["id"], "s": "CRM"})).await.ok();
    let revoke = "mutation($id: ID!) { revokeAccess(id: $id) { revokedAt revokedBy { email } } }";
    let revoked = s.app.gql(Some(&s.tech), revoke, json!({"id": erp["id"]})).await;
    assert_eq!(revoked.ok()["revokeAccess"]["revokedBy"]["email"], "tech@example.com");
    s.app.gql(Some(&s.tech), revoke, json!({"id": erp["id"]})).await.expect_code("CONFLICT");
    let list = "query($e: ID, $a: Boolean) { accessGrants(employeeId: $e, activeOnly: $a) { system } }";
    assert_eq!(
        s.app.gql(Some(&s.tech), list, json!({"e": ana["id"], "a": true})).await.ok()["accessGrants"],
        json!([{"system": "CRM"}])
    );
    assert_eq!(
        s.app.gql(Some(&s.tech), list, json!({"e": ana["id"]})).await.ok()["accessGrants"].as_array().unwrap().len(),
        2
    );
    s.app.gql(Some(&s.front), list, json!({})).await.expect_code("FORBIDDEN");
}

/// One employee with everything IT can give: a linked user, two grants, a seat, two assets.
async fn equipped(s: &Shop) -> (Value, String, Value) {
    let ana = s.hire("ana@example.com").await;
    s.app.create_user_linked(&s.admin, "ana.user@example.com", ana["id"].as_str()).await;
    let token = s.app.login("ana.user@example.com", PASSWORD).await;
    for system in ["ERP", "VPN"] {
        s.app.gql(Some(&s.tech), "mutation($e: ID!, $s: String!) { grantAccess(input: {employeeId: $e, system: $s, level: \"user\"}) { id } }", json!({"e": ana["id"], "s": system})).await.ok();
    }
    let license = s.app.gql(Some(&s.it_manager), "mutation { addSoftwareLicense(input: {department: \"ops\", product: \"Office\", vendor: \"MS\", seats: 5}) { id } }", json!({})).await.ok()["addSoftwareLicense"]["id"].clone();
    s.app
        .gql(
            Some(&s.tech),
            "mutation($l: ID!, $e: ID!) { assignLicenseSeat(licenseId: $l, employeeId: $e) { id } }",
            json!({"l": license, "e": ana["id"]}),
        )
        .await
        .ok();
    for tag in ["LAP-100", "MON-200"] {
        let asset = s.register(&s.tech, tag).await.ok()["registerAsset"]["id"].clone();
        s.app
            .gql(
                Some(&s.tech),
                "mutation($a: ID!, $e: ID!) { assignAsset(assetId: $a, employeeId: $e) { id } }",
                json!({"a": asset, "e": ana["id"]}),
            )
            .await
            .ok();
    }
    (ana, token, license)
}

const TERMINATE: &str = "mutation($id: ID!) { terminateEmployee(id: $id, terminationDate: \"2026-11-30\", reason: \"end of contract\") { status } }";

#[tokio::test]
async fn termination_offboards_in_one_transaction_with_one_event_per_consequence() {
    let s = shop().await;
    let (ana, token, license) = equipped(&s).await;
    assert!(s.app.gql(Some(&token), "{ me { email } }", json!({})).await.codes().is_empty());
    let head = s.app.audit_head(&s.admin).await;

    let res = s.app.gql(Some(&s.hr_manager), TERMINATE, json!({"id": ana["id"]})).await;
    assert_eq!(res.ok()["terminateEmployee"]["status"], "TERMINATED");
    let events: Vec<Value> =
        s.app.audit_events(&s.admin).await.into_iter().filter(|e| e["seq"].as_i64().unwrap() > head).collect();
    let request_id = events[0]["requestId"].clone();
    assert!(events.iter().all(|e| e["requestId"] == request_id), "one request id for the whole offboarding");
    let mut summary: Vec<(String, String)> = events
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["entityType"].as_str().unwrap().to_string()))
        .collect();
    summary.sort();
    let pair = |a: &str, t: &str| (a.to_string(), t.to_string());

    assert_eq!(
        s.app.gql(Some(&token), "{ me { email } }", json!({})).await.codes(),
        ["UNAUTHENTICATED"],
        "the token stops at once"
    );
    s.app.login_payload("ana.user@example.com", PASSWORD).await.expect_code("UNAUTHENTICATED");
    let grants = s
        .app
        .gql(
            Some(&s.tech),
            "query($e: ID) { accessGrants(employeeId: $e, activeOnly: true) { system } }",
            json!({"e": ana["id"]}),
        )
        .await;
    assert_eq!(grants.ok()["accessGrants"], json!([]));
    let seats = s.app.gql(Some(&s.tech), "{ softwareLicenses { id seatsUsed } }", json!({})).await;
    assert_eq!(seats.ok()["softwareLicenses"], json!([{"id": license, "seatsUsed": 0}]));
    let tickets = s
        .app
        .gql(Some(&s.tech), "{ tickets(filter: {priority: P3}) { nodes { title category description } } }", json!({}))
        .await;
    let offboarding = tickets.ok()["tickets"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"].as_str().unwrap().starts_with("Offboarding:"))
        .cloned()
        .expect("an offboarding ticket");
    assert_eq!(offboarding["category"], "HARDWARE");
    for tag in ["LAP-100", "MON-200"] {
        assert!(offboarding["title"].as_str().unwrap().contains(tag), "{offboarding}");
    }

    assert_eq!(
        summary,
        [
            pair("auto:deactivateUser", "User"),
            pair("auto:openTicket", "Ticket"),
            pair("auto:releaseLicenseSeat", "SoftwareLicense"),
            pair("auto:revokeAccess", "AccessGrant"),
            pair("auto:revokeAccess", "AccessGrant"),
            pair("terminateEmployee", "Employee"),
        ]
    );
}

async fn break_ticket_inserts(app: &TestApp) {
    let conn = &app.state.db.conn;
    if app.state.db.backend() == DbBackend::Postgres {
        conn.execute_unprepared("CREATE FUNCTION refuse_ticket() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'ticket system down'; END $$").await.unwrap();
        conn.execute_unprepared(
            "CREATE TRIGGER refuse_ticket BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION refuse_ticket()",
        )
        .await
        .unwrap();
    } else {
        conn.execute_unprepared("CREATE TRIGGER refuse_ticket BEFORE INSERT ON tickets BEGIN SELECT RAISE(ABORT, 'ticket system down'); END").await.unwrap();
    }
}

#[tokio::test]
async fn an_offboarding_that_fails_half_way_keeps_nothing() {
    let s = shop().await;
    let (ana, token, _) = equipped(&s).await;
    let head = s.app.audit_head(&s.admin).await;
    // Grants are revoked and seats released before the collection ticket is opened: make that fail.
    break_ticket_inserts(&s.app).await;

    let res = s.app.gql(Some(&s.hr_manager), TERMINATE, json!({"id": ana["id"]})).await;
    let err = res.expect_code("INTERNAL");
    assert!(!err["message"].as_str().unwrap().contains("ticket system down"), "no internals leak");

    assert_eq!(s.app.audit_head(&s.admin).await, head, "no event kept");
    let employee = s
        .app
        .gql(
            Some(&s.admin),
            "query($id: ID!) { employee(id: $id) { status terminationDate } }",
            json!({"id": ana["id"]}),
        )
        .await;
    assert_eq!(employee.ok()["employee"], json!({"status": "ACTIVE", "terminationDate": null}));
    let grants = s
        .app
        .gql(
            Some(&s.tech),
            "query($e: ID) { accessGrants(employeeId: $e, activeOnly: true) { system } }",
            json!({"e": ana["id"]}),
        )
        .await;
    assert_eq!(grants.ok()["accessGrants"].as_array().unwrap().len(), 2);
    let seats = s.app.gql(Some(&s.tech), "{ softwareLicenses { seatsUsed } }", json!({})).await;
    assert_eq!(seats.ok()["softwareLicenses"][0]["seatsUsed"], 1);
    assert!(
        s.app.gql(Some(&token), "{ me { email } }", json!({})).await.codes().is_empty(),
        "the user is still active"
    );
}
