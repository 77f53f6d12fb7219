//! The audit log over HTTP and on disk (CONTRACT.md §5): recording in the mutation's
//! transaction, DENIED events, the chain under concurrency, append-only storage, verification
//! by us and by an independent implementation.

mod common;

use std::process::Command;

use common::*;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};

fn events_after(events: &[Value], seq: i64) -> Vec<Value> {
    events.iter().filter(|e| e["seq"].as_i64().unwrap() > seq).cloned().collect()
}

#[tokio::test]
async fn a_mutation_writes_its_event_with_before_after_actor_and_request_id() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let head = app.audit_head(&admin).await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&admin)
        .header("x-request-id", "req-create-dept")
        .json(&json!({"query": "mutation { createDepartment(input: {code: \"fin\", name: \"Finance\", kind: FINANCE}) { id } }"}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let dept_id = body["data"]["createDepartment"]["id"].clone();

    let events = events_after(&app.audit_events(&admin).await, head);
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = &events[0];
    assert_eq!(e["action"], "createDepartment");
    assert_eq!(e["entityType"], "Department");
    assert_eq!(e["entityId"], dept_id);
    assert_eq!(e["department"], "fin");
    assert_eq!(e["outcome"], "SUCCESS");
    assert_eq!(e["requestId"], "req-create-dept");
    assert_eq!(e["actorEmail"], ADMIN_EMAIL);
    assert!(e["before"].is_null());
    assert_eq!(e["after"], json!({"id": dept_id, "code": "fin", "name": "Finance", "kind": "FINANCE"}));
    assert_eq!(e["seq"], head + 1);
    let occurred = e["occurredAt"].as_str().unwrap();
    assert_eq!(occurred.len(), "2026-11-26T10:00:00.123456Z".len(), "{occurred}");
    assert!(occurred.ends_with('Z'));
}

#[tokio::test]
async fn role_changes_are_events_on_the_user_with_roles_before_and_after() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "fin", "FINANCE").await;
    let user_id = app.create_user(&admin, "bob@example.com").await;
    let head = app.audit_head(&admin).await;
    app.assign_role(&admin, &user_id, "FINANCE_CLERK", "fin").await;

    let events = events_after(&app.audit_events(&admin).await, head);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e["action"].as_str(), e["entityType"].as_str(), e["entityId"].as_str()),
        (Some("assignRole"), Some("User"), Some(user_id.as_str()))
    );
    assert_eq!(e["before"]["roles"], json!([]));
    assert_eq!(e["after"]["roles"], json!([{"role": "FINANCE_CLERK", "department": "fin"}]));
}

#[tokio::test]
async fn a_forbidden_mutation_changes_nothing_and_adds_one_denied_event() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let victim = app.create_user(&admin, "victim@example.com").await;
    let (clerk_id, clerk) = app.user_with_role(&admin, "clerk@example.com", "AUDITOR", "*").await;
    let head = app.audit_head(&admin).await;

    let res =
        app.gql(Some(&clerk), "mutation($id: ID!) { deactivateUser(id: $id) { id } }", json!({"id": victim})).await;
    res.expect_code("FORBIDDEN");

    let events = events_after(&app.audit_events(&admin).await, head);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["outcome"], "DENIED");
    assert_eq!(e["action"], "deactivateUser");
    assert_eq!(e["entityType"], "User");
    assert_eq!(e["entityId"], victim);
    assert_eq!(e["actorId"], clerk_id);
    assert!(e["before"].is_null() && e["after"].is_null());
    let users = app.gql(Some(&admin), "{ users { nodes { email active } } }", json!({})).await;
    assert!(users.ok()["users"]["nodes"].as_array().unwrap().iter().all(|u| u["active"] == true));
}

#[tokio::test]
async fn failed_logins_are_denied_events_with_the_email_tried() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let ana = app.create_user(&admin, "ana@example.com").await;
    let head = app.audit_head(&admin).await;
    app.login_payload("ana@example.com", "wrong password!").await.expect_code("UNAUTHENTICATED");
    app.login_payload("ghost@example.com", "wrong password!").await.expect_code("UNAUTHENTICATED");
    app.login("ana@example.com", PASSWORD).await;

    let events = events_after(&app.audit_events(&admin).await, head);
    assert_eq!(events.len(), 3, "{events:#?}");
    let (known, unknown, ok) = (&events[0], &events[1], &events[2]);
    for (e, email, id) in [(known, "ana@example.com", json!(ana)), (unknown, "ghost@example.com", Value::Null)] {
        assert_eq!(e["outcome"], "DENIED");
        assert_eq!(e["action"], "login");
        assert_eq!(e["entityType"], "User");
        assert!(e["actorId"].is_null());
        assert_eq!(e["actorEmail"], email);
        assert_eq!(e["entityId"], id);
    }
    assert_eq!(
        (ok["outcome"].as_str(), ok["action"].as_str(), ok["actorId"].as_str()),
        (Some("SUCCESS"), Some("login"), Some(ana.as_str()))
    );
}

#[tokio::test]
async fn a_mutation_that_fails_half_way_leaves_no_event() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_user(&admin, "ana@example.com").await;
    let head = app.audit_head(&admin).await;
    // Validated, hashed, then refused by the unique index inside the transaction.
    let res = app
        .gql(
            Some(&admin),
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({"i": {"email": "ana@example.com", "password": PASSWORD, "displayName": "Twin"}}),
        )
        .await;
    res.expect_code("CONFLICT");
    assert_eq!(app.audit_head(&admin).await, head);
}

#[tokio::test]
async fn no_password_or_token_ever_reaches_the_log() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_user(&admin, "ana@example.com").await;
    let login = app.login_payload("ana@example.com", PASSWORD).await.ok()["login"].clone();
    let token = login["accessToken"].as_str().unwrap();
    app.gql(
        Some(token),
        "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }",
        json!({"r": login["refreshToken"]}),
    )
    .await;
    app.gql(Some(token), "mutation { changePassword(currentPassword: \"correct horse battery staple\", newPassword: \"another long password\") }", json!({})).await.ok();

    let log = serde_json::to_string(&app.audit_events(&admin).await).unwrap();
    for secret in
        [PASSWORD, "another long password", ADMIN_PASSWORD, "$argon2", login["refreshToken"].as_str().unwrap(), token]
    {
        assert!(!log.contains(secret), "{secret} leaked into the audit log");
    }
}

#[tokio::test]
async fn two_hundred_concurrent_mutations_give_two_hundred_consecutive_seqs() {
    let app = spawn_app_with(&[("DATABASE_MAX_CONNECTIONS", "10")]).await;
    let admin = app.admin_token().await;
    let head = app.audit_head(&admin).await;
    let requests = (0..200).map(|i| {
        app.gql(
            Some(&admin),
            "mutation($i: CreateDepartmentInput!) { createDepartment(input: $i) { code } }",
            json!({"i": {"code": format!("d{i}"), "name": "N", "kind": "OTHER"}}),
        )
    });
    for res in join_all(requests).await {
        res.ok();
    }
    let events = events_after(&app.audit_events(&admin).await, head);
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, ((head + 1)..=(head + 200)).collect::<Vec<_>>());
    for pair in events.windows(2) {
        assert_eq!(pair[1]["prevHash"], pair[0]["hash"]);
    }
    let report = app.gql(Some(&admin), "{ verifyAuditChain { valid eventsChecked headSeq } }", json!({})).await;
    assert_eq!(
        report.ok()["verifyAuditChain"],
        json!({"valid": true, "eventsChecked": head + 200, "headSeq": head + 200})
    );
}

async fn refused(app: &TestApp, sql: &str) -> bool {
    app.state.db.conn.execute_unprepared(sql).await.is_err()
}

#[tokio::test]
async fn the_database_itself_refuses_to_edit_or_delete_audit_events() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert!(app.audit_head(&admin).await >= 1);
    assert!(refused(&app, "UPDATE audit_events SET action = 'forged' WHERE seq = 1").await);
    assert!(refused(&app, "DELETE FROM audit_events WHERE seq = 1").await);
    assert!(refused(&app, "DELETE FROM audit_events").await);
    if app.state.db.backend() == DbBackend::Postgres {
        assert!(refused(&app, "TRUNCATE audit_events").await);
        // A table owner cannot switch the triggers off through replication mode either.
        use sea_orm::TransactionTrait;
        let txn = app.state.db.conn.begin().await.unwrap();
        txn.execute_unprepared("SET LOCAL session_replication_role = replica").await.unwrap();
        assert!(txn.execute_unprepared("DELETE FROM audit_events").await.is_err());
        txn.rollback().await.unwrap();
    }
    let report = app.gql(Some(&admin), "{ verifyAuditChain { valid } }", json!({})).await;
    assert_eq!(report.ok()["verifyAuditChain"]["valid"], true);
}

async fn drop_triggers(app: &TestApp) {
    let conn = &app.state.db.conn;
    let statements: &[&str] = if app.state.db.backend() == DbBackend::Postgres {
        &[
            "DROP TRIGGER audit_events_no_update_delete ON audit_events",
            "DROP TRIGGER audit_events_no_truncate ON audit_events",
        ]
    } else {
        &["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]
    };
    for sql in statements {
        conn.execute_unprepared(sql).await.unwrap();
    }
}

#[tokio::test]
async fn editing_a_row_behind_the_apis_back_is_caught_at_that_seq() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for code in ["a", "b", "c", "d"] {
        app.create_department(&admin, code, "OTHER").await;
    }
    let target = app.audit_head(&admin).await - 2;
    assert_eq!(app.cli(&["audit", "verify"]).status.code(), Some(0));

    drop_triggers(&app).await;
    app.state
        .db
        .conn
        .execute_unprepared(&format!("UPDATE audit_events SET after = '{{\"code\":\"zzz\"}}' WHERE seq = {target}"))
        .await
        .unwrap();

    let report = app.gql(Some(&admin), "{ verifyAuditChain { valid firstInvalidSeq } }", json!({})).await;
    assert_eq!(report.ok()["verifyAuditChain"], json!({"valid": false, "firstInvalidSeq": target}));
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("first broken seq: {target}")), "{stdout}");
}

#[tokio::test]
async fn deleting_the_newest_events_is_caught_too() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "a", "OTHER").await;
    let head = app.audit_head(&admin).await;
    drop_triggers(&app).await;
    app.state.db.conn.execute_unprepared(&format!("DELETE FROM audit_events WHERE seq = {head}")).await.unwrap();
    let report = app.gql(Some(&admin), "{ verifyAuditChain { valid firstInvalidSeq } }", json!({})).await;
    assert_eq!(report.ok()["verifyAuditChain"], json!({"valid": false, "firstInvalidSeq": head}));
}

#[tokio::test]
async fn an_export_verifies_with_an_independent_implementation() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "fin", "FINANCE").await;
    // Names that JSON must escape, and characters beyond ASCII and the BMP.
    let name = "Ñandú € 😀 \"quoted\" \\ tab\there";
    app.gql(
        Some(&admin),
        "mutation($n: String!) { createDepartment(input: {code: \"x\", name: $n, kind: OTHER}) { id } }",
        json!({"n": name}),
    )
    .await
    .ok();
    let user = app.create_user(&admin, "ana@example.com").await;
    app.assign_role(&admin, &user, "FINANCE_CLERK", "fin").await;
    app.login_payload("ana@example.com", "bad password!!").await;

    let out = app.cli(&["audit", "export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let export = std::env::temp_dir().join(format!("audit-{}.jsonl", uuid::Uuid::new_v4()));
    std::fs::write(&export, &out.stdout).unwrap();
    let lines = String::from_utf8(out.stdout.clone()).unwrap().lines().count() as i64;
    assert_eq!(lines, app.audit_head(&admin).await);

    let verify = |path: &std::path::Path| {
        Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/verify_audit_export.py"))
            .arg(path)
            .output()
            .expect("python3 runs")
    };
    let ok = verify(&export);
    assert!(ok.status.success(), "{}{}", String::from_utf8_lossy(&ok.stdout), String::from_utf8_lossy(&ok.stderr));

    // The same verifier notices a forged line.
    let forged: String = String::from_utf8(out.stdout).unwrap().replacen("\"fin\"", "\"ops\"", 1);
    std::fs::write(&export, forged).unwrap();
    let bad = verify(&export);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("first broken seq"));
    std::fs::remove_file(export).ok();
}

#[tokio::test]
async fn audit_queries_filter_paginate_and_are_for_auditors_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for code in ["a", "b", "c"] {
        app.create_department(&admin, code, "OTHER").await;
    }
    let log = "query($f: AuditFilter, $a: String) { auditLog(first: 2, after: $a, filter: $f) { totalCount pageInfo { hasNextPage endCursor } nodes { seq action department } } }";
    let page1 = app.gql(Some(&admin), log, json!({"f": {"action": "createDepartment"}})).await.ok()["auditLog"].clone();
    assert_eq!(page1["totalCount"], 3);
    assert_eq!(
        page1["nodes"].as_array().unwrap().iter().map(|n| n["department"].clone()).collect::<Vec<_>>(),
        [json!("c"), json!("b")],
        "newest first"
    );
    let page2 = app
        .gql(Some(&admin), log, json!({"f": {"action": "createDepartment"}, "a": page1["pageInfo"]["endCursor"]}))
        .await
        .ok()["auditLog"]
        .clone();
    assert_eq!(page2["nodes"][0]["department"], "a");
    assert_eq!(page2["pageInfo"]["hasNextPage"], false);

    let denied = app.gql(Some(&admin), log, json!({"f": {"outcome": "DENIED"}})).await;
    assert_eq!(denied.ok()["auditLog"]["totalCount"], 0);

    let dept = app.gql(Some(&admin), "{ departments { id code } }", json!({})).await.ok()["departments"][0].clone();
    let trail = app
        .gql(
            Some(&admin),
            "query($id: ID!) { auditTrail(entityType: \"Department\", entityId: $id) { action entityId after } }",
            json!({"id": dept["id"]}),
        )
        .await;
    assert_eq!(trail.ok()["auditTrail"].as_array().unwrap().len(), 1);

    app.create_department(&admin, "fin", "FINANCE").await;
    let (_, clerk) = app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "fin").await;
    for q in [
        "{ auditLog { totalCount } }",
        "{ verifyAuditChain { valid } }",
        "{ auditTrail(entityType: \"User\", entityId: \"x\") { seq } }",
    ] {
        app.gql(Some(&clerk), q, json!({})).await.expect_code("FORBIDDEN");
    }
}

/// Two servers — the second a separate `trastienda` process — append to one database at once.
#[tokio::test]
async fn two_server_processes_on_one_database_keep_one_chain() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut second = Command::new(env!("CARGO_BIN_EXE_trastienda"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &app.database_url)
        .env("JWT_SECRET", JWT_SECRET)
        .env("LOGIN_RATE_LIMIT_PER_MINUTE", "0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let other = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while app.client.get(format!("{other}/health")).send().await.is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the second server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let head = app.audit_head(&admin).await;
    let mutation = "mutation($i: CreateDepartmentInput!) { createDepartment(input: $i) { code } }";
    let requests = (0..60).map(|i| {
        let url = if i % 2 == 0 { app.url("/graphql") } else { format!("{other}/graphql") };
        let body =
            json!({"query": mutation, "variables": {"i": {"code": format!("p{i}"), "name": "N", "kind": "OTHER"}}});
        let req = app.client.post(url).bearer_auth(&admin).json(&body);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    });
    let responses = join_all(requests).await;
    second.kill().ok();
    second.wait().ok();
    for r in &responses {
        assert!(r.get("errors").is_none(), "{r}");
    }
    let report = app.gql(Some(&admin), "{ verifyAuditChain { valid headSeq } }", json!({})).await;
    assert_eq!(report.ok()["verifyAuditChain"], json!({"valid": true, "headSeq": head + 60}));
}

#[tokio::test]
async fn every_audit_filter_narrows_the_log() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dept = app.create_department(&admin, "fin", "FINANCE").await;
    let (clerk_id, clerk) = app.user_with_role(&admin, "clerk@example.com", "AUDITOR", "*").await;
    app.gql(
        Some(&clerk),
        "mutation { createDepartment(input: {code: \"x\", name: \"X\", kind: OTHER}) { id } }",
        json!({}),
    )
    .await
    .expect_code("FORBIDDEN");
    let all = app.audit_events(&admin).await;
    let first_at = all[0]["occurredAt"].clone();
    let last_at = all.last().unwrap()["occurredAt"].clone();

    let count = |filter: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let res = app
                .gql(
                    Some(&admin),
                    "query($f: AuditFilter) { auditLog(first: 100, filter: $f) { totalCount } }",
                    json!({"f": filter}),
                )
                .await;
            res.ok()["auditLog"]["totalCount"].as_i64().unwrap()
        }
    };
    assert_eq!(count(json!({"entityType": "Department"})).await, 2, "the creation and the refused one");
    assert_eq!(count(json!({"entityType": "Department", "outcome": "SUCCESS"})).await, 1);
    assert_eq!(count(json!({"entityType": "Department", "entityId": dept["id"]})).await, 1);
    assert_eq!(count(json!({"department": "fin"})).await, 1);
    assert_eq!(count(json!({"outcome": "DENIED"})).await, 1);
    assert_eq!(count(json!({"actorId": clerk_id, "action": "createDepartment"})).await, 1);
    assert_eq!(count(json!({"from": first_at, "to": last_at})).await, all.len() as i64);
    assert_eq!(count(json!({"from": "2099-01-01T00:00:00Z"})).await, 0);
    assert_eq!(count(json!({"to": "2000-01-01T00:00:00Z"})).await, 0);
    let bad_cursor = app.gql(Some(&admin), "{ auditLog(after: \"bm90LWEtY3Vyc29y\") { totalCount } }", json!({})).await;
    assert_eq!(bad_cursor.expect_code("BAD_USER_INPUT")["extensions"]["field"], "after");
}
