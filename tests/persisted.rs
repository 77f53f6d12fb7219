//! Persisted operations (CONTRACT.md §12): Apollo's APQ by default, an allow-list that runs
//! nothing else, and `off`.

mod common;

use common::{LOGIN_DOCUMENT, TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

async fn post(app: &TestApp, token: &str, body: Value) -> Value {
    app.post_json(Some(token), &body).await.json().await.unwrap()
}

async fn get_by_hash(app: &TestApp, token: &str, hash: &str) -> (u16, Value) {
    let res = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(token)
        .query(&[("extensions", persisted(hash).to_string())])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn error(body: &Value) -> (String, String) {
    let error = &body["errors"][0];
    (
        error["message"].as_str().unwrap_or_default().into(),
        error["extensions"]["code"].as_str().unwrap_or_default().into(),
    )
}

const DEPARTMENTS: &str = "query Departments { departments { code } }";

#[tokio::test]
async fn apq_asks_once_for_the_text_then_runs_by_hash_over_post_and_get() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let hash = sha256(DEPARTMENTS);

    let unknown = post(&app, &admin, json!({"extensions": persisted(&hash)})).await;
    assert_eq!(error(&unknown), ("PersistedQueryNotFound".into(), "BAD_USER_INPUT".into()));
    assert_eq!(get_by_hash(&app, &admin, &hash).await.1["errors"][0]["message"], "PersistedQueryNotFound");

    let mismatch = post(&app, &admin, json!({"query": "{ me { id } }", "extensions": persisted(&hash)})).await;
    assert_eq!(error(&mismatch).1, "BAD_USER_INPUT", "{mismatch}");
    assert!(mismatch["data"].is_null());

    let registered = post(&app, &admin, json!({"query": DEPARTMENTS, "extensions": persisted(&hash)})).await;
    assert!(registered["data"]["departments"].is_array(), "{registered}");
    let by_post = post(&app, &admin, json!({"extensions": persisted(&hash.to_uppercase())})).await;
    assert_eq!(by_post["data"], registered["data"]);
    let (status, by_get) = get_by_hash(&app, &admin, &hash).await;
    assert_eq!((status, &by_get["data"]), (200, &registered["data"]));

    // A mutation named by hash is still a mutation: never over GET.
    let mutation = "mutation { logout(refreshToken: \"none\") }";
    let mutation_hash = sha256(mutation);
    post(&app, &admin, json!({"query": mutation, "extensions": persisted(&mutation_hash)})).await;
    assert_eq!(get_by_hash(&app, &admin, &mutation_hash).await.0, 405);

    // Documents are learnt only once they pass the limits: a broken one is never remembered.
    let broken = "{ departments { code ";
    let refused = post(&app, &admin, json!({"query": broken, "extensions": persisted(&sha256(broken))})).await;
    assert_eq!(error(&refused).1, "BAD_USER_INPUT");
    let again = post(&app, &admin, json!({"extensions": persisted(&sha256(broken))})).await;
    assert_eq!(error(&again).0, "PersistedQueryNotFound");

    for malformed in [json!({"persistedQuery": {"version": 1, "sha256Hash": "abc"}}), json!({"persistedQuery": "x"})] {
        let body = post(&app, &admin, json!({"query": DEPARTMENTS, "extensions": malformed})).await;
        assert_eq!(error(&body).1, "BAD_USER_INPUT", "{body}");
    }
}

#[tokio::test]
async fn the_allow_list_runs_its_operations_by_hash_or_identical_text_and_refuses_everything_else() {
    let dir = std::env::temp_dir().join(format!("trastienda-allowlist-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("manifest.json");
    let allowed = json!({ sha256(LOGIN_DOCUMENT): LOGIN_DOCUMENT, sha256(DEPARTMENTS): DEPARTMENTS });
    std::fs::write(&manifest, allowed.to_string()).unwrap();
    let app = spawn_app_with(&[
        ("PERSISTED_OPERATIONS", "allowlist"),
        ("PERSISTED_OPERATIONS_MANIFEST", manifest.to_str().unwrap()),
    ])
    .await;
    let admin = app.admin_token().await;

    let by_text = post(&app, &admin, json!({"query": DEPARTMENTS})).await;
    let before = by_text["data"]["departments"].as_array().expect("listed text runs").len();
    let by_hash = post(&app, &admin, json!({"extensions": persisted(&sha256(DEPARTMENTS))})).await;
    assert_eq!(by_hash["data"], by_text["data"]);
    assert_eq!(get_by_hash(&app, &admin, &sha256(DEPARTMENTS)).await.1["data"], by_text["data"]);

    // Not listed: FORBIDDEN, and nothing runs — not even a mutation by the administrator.
    let create = "mutation { createDepartment(input: {code: \"LEAK\", name: \"Leak\", kind: FINANCE}) { id } }";
    let near_miss = format!("{DEPARTMENTS} ");
    let sent_hashed = json!({"query": create, "extensions": persisted(&sha256(create))});
    let listed_hash_other_text = json!({"query": create, "extensions": persisted(&sha256(DEPARTMENTS))});
    for body in [json!({"query": create}), json!({"query": near_miss}), sent_hashed, listed_hash_other_text] {
        let refused = post(&app, &admin, body.clone()).await;
        assert_eq!(error(&refused).1, "FORBIDDEN", "{body} → {refused}");
        assert!(refused["data"].is_null(), "{refused}");
    }
    let (_, unknown) = get_by_hash(&app, &admin, &sha256("{ me { id } }")).await;
    assert_eq!(error(&unknown).1, "FORBIDDEN");
    let after = post(&app, &admin, json!({"query": DEPARTMENTS})).await;
    assert_eq!(after["data"]["departments"].as_array().unwrap().len(), before, "no department was created");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn off_runs_plain_text_only() {
    let app = spawn_app_with(&[("PERSISTED_OPERATIONS", "off")]).await;
    let admin = app.admin_token().await;
    let body = post(&app, &admin, json!({"query": DEPARTMENTS, "extensions": persisted(&sha256(DEPARTMENTS))})).await;
    assert_eq!(error(&body), ("PersistedQueryNotSupported".into(), "BAD_USER_INPUT".into()));
    assert!(post(&app, &admin, json!({"query": DEPARTMENTS})).await["data"]["departments"].is_array());
}
