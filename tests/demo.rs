//! `serve --demo`: the README's first command must show the whole product.

mod common;

use api::demo::DEMO_USERS;
use common::*;
use serde_json::json;

#[tokio::test]
async fn every_demo_user_signs_in_and_finds_records_in_every_module() {
    let app = spawn_demo().await;
    for (email, password, _, role, _) in DEMO_USERS {
        let res = app.login_payload(email, password).await;
        assert_eq!(res.ok()["login"]["user"]["roles"][0]["role"], role.as_str(), "{email}");
    }
    let admin = app.login("admin@demo.trastienda", "demo-password-admin").await;
    let overview = app
        .gql(
            Some(&admin),
            "query($year: Int!) { departments { code } users { totalCount } invoices { totalCount } journalEntries { totalCount }
               inventoryItems { totalCount } purchaseRequests { status } budgetReport(department: \"fin\", year: $year) { budget }
               verifyAuditChain { valid } }",
            json!({"year": chrono::Datelike::year(&chrono::Utc::now())}),
        )
        .await;
    let data = overview.ok();
    assert_eq!(data["budgetReport"].as_array().unwrap().len(), 3);
    assert_eq!(data["departments"].as_array().unwrap().len(), 5);
    assert_eq!(data["users"]["totalCount"], DEMO_USERS.len() + 1, "the demo users and the bootstrap admin");
    assert!(data["invoices"]["totalCount"].as_i64().unwrap() >= 5);
    assert!(data["journalEntries"]["totalCount"].as_i64().unwrap() >= 5);
    assert_eq!(data["inventoryItems"]["totalCount"], 3);
    assert_eq!(data["purchaseRequests"], json!([{"status": "OPEN"}]), "toner is at its reorder point");
    assert_eq!(data["verifyAuditChain"]["valid"], true);

    let people_and_it = app
        .gql(
            Some(&admin),
            "{ employees { totalCount } payrollRuns { nodes { status department { code } } } leaveRequests { totalCount }
               jobOpenings { candidates { stage } } expiringTrainings(withinDays: 30) { title }
               assets { totalCount } softwareLicenses { seatsUsed } tickets { totalCount } accessGrants(activeOnly: true) { system } }",
            json!({}),
        )
        .await;
    let data = people_and_it.ok();
    assert_eq!(data["employees"]["totalCount"], 11);
    let mut runs: Vec<String> = data["payrollRuns"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect();
    runs.sort();
    assert_eq!(runs, ["DRAFT", "POSTED"]);
    assert_eq!(data["leaveRequests"]["totalCount"], 2);
    assert_eq!(data["jobOpenings"][0]["candidates"].as_array().unwrap().len(), 3);
    assert_eq!(data["expiringTrainings"], json!([{"title": "Forklift operator licence"}]));
    assert_eq!(data["assets"]["totalCount"], 4);
    assert_eq!(data["softwareLicenses"], json!([{"seatsUsed": 2}]), "the leaver's seat was released");
    assert!(data["tickets"]["totalCount"].as_i64().unwrap() >= 13, "onboarding, offboarding and support tickets");
    assert_eq!(data["accessGrants"].as_array().unwrap().len(), 2);

    // Demo users are linked to their employee records: self-service works out of the box.
    let clerk = app.login("finance.clerk@demo.trastienda", "demo-password-clerk").await;
    let me =
        app.gql(Some(&clerk), "{ me { employee { firstName annualSalary } } myPayslips { period } }", json!({})).await;
    assert_eq!(me.ok()["me"]["employee"]["firstName"], "Carla");
    assert_eq!(me.ok()["myPayslips"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_demo_company_is_seeded_once() {
    let app = spawn_demo().await;
    let admin = app.login("admin@demo.trastienda", "demo-password-admin").await;
    let before =
        app.gql(Some(&admin), "{ invoices { totalCount } users { totalCount } }", json!({})).await.ok().clone();
    let again = spawn_with_options(&app.database_url, None, &[], api::startup::ServeOptions { demo: true }).await;
    let admin = again.login("admin@demo.trastienda", "demo-password-admin").await;
    let after =
        again.gql(Some(&admin), "{ invoices { totalCount } users { totalCount } }", json!({})).await.ok().clone();
    assert_eq!(before, after);
}
