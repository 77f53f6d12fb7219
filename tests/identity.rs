//! Identity over HTTP (CONTRACT.md §3): login, lockout, throttling, tokens, refresh rotation,
//! logout, password changes, users and roles.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use entity::user;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const ME: &str = "{ me { id email } }";

async fn me_code(app: &TestApp, token: &str) -> Vec<String> {
    app.gql(Some(token), ME, json!({})).await.codes()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn login_returns_a_bearer_pair_and_the_user_with_their_roles() {
    let app = spawn_app().await;
    let res = app.login_payload(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let login = &res.ok()["login"];
    assert_eq!(login["tokenType"], "Bearer");
    assert_eq!(login["expiresIn"], 900);
    assert_eq!(login["user"]["email"], ADMIN_EMAIL);
    assert_eq!(login["user"]["roles"], json!([{"role": "ADMIN", "department": "*"}]));
    let refresh = login["refreshToken"].as_str().unwrap();
    assert!(URL_SAFE_NO_PAD.decode(refresh).unwrap().len() >= 32, "at least 256 random bits");

    let token = login["accessToken"].as_str().unwrap();
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    let claims = claims_of(token);
    for claim in ["sub", "iss", "aud", "iat", "nbf", "exp", "jti", "ver"] {
        assert!(!claims[claim].is_null(), "claim {claim} missing: {claims}");
    }
    assert_eq!(claims["iss"], "trastienda");
    assert_eq!(claims["aud"], "trastienda");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    assert_eq!(claims["sub"], login["user"]["id"]);
    let me = app.gql(Some(token), ME, json!({})).await;
    assert_eq!(me.ok()["me"]["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn every_login_failure_is_the_same_unauthenticated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.create_user(&admin, "gone@example.com").await;
    app.gql(Some(&admin), "mutation($id: ID!) { deactivateUser(id: $id) { active } }", json!({"id": id})).await.ok();

    let unknown = app.login_payload("nobody@example.com", PASSWORD).await;
    let wrong = app.login_payload(ADMIN_EMAIL, "wrong password here").await;
    let deactivated = app.login_payload("gone@example.com", PASSWORD).await;
    let shapes: Vec<Value> = [unknown, wrong, deactivated]
        .iter()
        .map(|r| {
            let err = r.expect_code("UNAUTHENTICATED");
            assert!(r.0["data"].is_null());
            json!({"message": err["message"], "code": err["extensions"]["code"]})
        })
        .collect();
    assert_eq!(shapes[0], shapes[1]);
    assert_eq!(shapes[1], shapes[2]);
}

#[tokio::test]
async fn five_failures_lock_the_account_even_against_the_right_password() {
    let app = spawn_app_with(&[("LOGIN_LOCKOUT_SECS", "2")]).await;
    let admin = app.admin_token().await;
    app.create_user(&admin, "ana@example.com").await;

    for _ in 0..5 {
        app.login_payload("ana@example.com", "not the password").await.expect_code("UNAUTHENTICATED");
    }
    let locked = app.login_payload("ana@example.com", PASSWORD).await;
    let err = locked.expect_code("UNAUTHENTICATED");
    let wrong = app.login_payload("ana@example.com", "not the password").await.expect_code("UNAUTHENTICATED");
    assert_eq!(err["message"], wrong["message"], "a lock looks like any failure");

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    app.login("ana@example.com", PASSWORD).await;
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_user(&admin, "ana@example.com").await;
    for _ in 0..4 {
        app.login_payload("ana@example.com", "not the password").await.expect_code("UNAUTHENTICATED");
    }
    app.login("ana@example.com", PASSWORD).await;
    for _ in 0..4 {
        app.login_payload("ana@example.com", "not the password").await.expect_code("UNAUTHENTICATED");
    }
    app.login("ana@example.com", PASSWORD).await; // 4 + 4 failures, never 5 in a row
}

#[tokio::test]
async fn too_many_logins_from_one_address_are_throttled_without_checking_the_password() {
    let app = spawn_app_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "3")]).await;
    for _ in 0..3 {
        app.login_payload(ADMIN_EMAIL, "not the password").await.expect_code("UNAUTHENTICATED");
    }
    app.login_payload(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect_code("TOO_MANY_REQUESTS");
}

fn forge(claims: &Value, alg: Algorithm, key: &str) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key.as_bytes())).unwrap()
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let claims = claims_of(&token);
    let now = chrono::Utc::now().timestamp();
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        c
    };
    let parts: Vec<&str> = token.split('.').collect();
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let tampered_claims = URL_SAFE_NO_PAD.encode(with("ver", json!(claims["ver"].as_i64().unwrap() + 1)).to_string());
    let cases = [
        ("alg none", format!("{none_header}.{}.", parts[1])),
        ("HS512", forge(&claims, Algorithm::HS512, JWT_SECRET)),
        ("wrong key", forge(&claims, Algorithm::HS256, "another-secret-another-secret-1234567")),
        ("tampered payload", format!("{}.{tampered_claims}.{}", parts[0], parts[2])),
        ("expired", forge(&with("exp", json!(now - 3600)), Algorithm::HS256, JWT_SECRET)),
        ("wrong audience", forge(&with("aud", json!("someone-else")), Algorithm::HS256, JWT_SECRET)),
        ("wrong issuer", forge(&with("iss", json!("someone-else")), Algorithm::HS256, JWT_SECRET)),
        ("garbage", "not.a.token".to_string()),
    ];
    for (name, forged) in cases {
        assert_eq!(me_code(&app, &forged).await, ["UNAUTHENTICATED"], "{name}");
    }
    assert!(me_code(&app, &token).await.is_empty(), "the genuine token still works");
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Basic {token}"))
        .json(&json!({"query": ME}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn without_a_token_only_login_and_refresh_answer() {
    let app = spawn_app().await;
    for query in [ME, "{ departments { code } }", "{ users { totalCount } }", "{ auditLog { totalCount } }"] {
        assert_eq!(app.gql(None, query, json!({})).await.codes(), ["UNAUTHENTICATED"], "{query}");
    }
    let res = app.gql(None, "mutation { refreshToken(refreshToken: \"nope\") { accessToken } }", json!({})).await;
    res.expect_code("UNAUTHENTICATED");
}

#[tokio::test]
async fn a_deactivated_users_tokens_stop_working_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, token) = app.user_with_role(&admin, "leaver@example.com", "AUDITOR", "*").await;
    let refresh = app.login_payload("leaver@example.com", PASSWORD).await.ok()["login"]["refreshToken"].clone();
    assert!(me_code(&app, &token).await.is_empty());

    app.gql(Some(&admin), "mutation($id: ID!) { deactivateUser(id: $id) { active } }", json!({"id": id})).await.ok();
    assert_eq!(me_code(&app, &token).await, ["UNAUTHENTICATED"]);
    let res = app
        .gql(None, "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }", json!({"r": refresh}))
        .await;
    res.expect_code("UNAUTHENTICATED");
}

#[tokio::test]
async fn a_password_change_retires_older_tokens_and_sessions() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_user(&admin, "ana@example.com").await;
    let login = app.login_payload("ana@example.com", PASSWORD).await.ok()["login"].clone();
    let token = login["accessToken"].as_str().unwrap();
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    let wrong = app.gql(Some(token), change, json!({"c": "not my password", "n": "a brand new password"})).await;
    assert_eq!(wrong.expect_code("BAD_USER_INPUT")["extensions"]["field"], "currentPassword");
    let short = app.gql(Some(token), change, json!({"c": PASSWORD, "n": "short"})).await;
    assert_eq!(short.expect_code("BAD_USER_INPUT")["extensions"]["field"], "newPassword");
    assert!(me_code(&app, token).await.is_empty(), "refused changes changed nothing");

    let ok = app.gql(Some(token), change, json!({"c": PASSWORD, "n": "a brand new password"})).await;
    assert_eq!(ok.ok()["changePassword"], true);
    assert_eq!(me_code(&app, token).await, ["UNAUTHENTICATED"], "older token refused");
    let res = app
        .gql(
            None,
            "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }",
            json!({"r": login["refreshToken"]}),
        )
        .await;
    res.expect_code("UNAUTHENTICATED");
    app.login_payload("ana@example.com", PASSWORD).await.expect_code("UNAUTHENTICATED");
    app.login("ana@example.com", "a brand new password").await;
}

#[tokio::test]
async fn refresh_tokens_are_single_use_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let first = app.login_payload(ADMIN_EMAIL, ADMIN_PASSWORD).await.ok()["login"]["refreshToken"].clone();
    let refresh = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken tokenType user { email } } }";

    let second = app.gql(None, refresh, json!({"r": first})).await;
    let second = second.ok()["refreshToken"].clone();
    assert_eq!(second["user"]["email"], ADMIN_EMAIL);
    assert_ne!(second["refreshToken"], first);
    assert!(me_code(&app, second["accessToken"].as_str().unwrap()).await.is_empty());

    // The first token again: refused, and the whole family with it.
    app.gql(None, refresh, json!({"r": first})).await.expect_code("UNAUTHENTICATED");
    app.gql(None, refresh, json!({"r": second["refreshToken"]})).await.expect_code("UNAUTHENTICATED");
    // Another login is another family.
    let other = app.login_payload(ADMIN_EMAIL, ADMIN_PASSWORD).await.ok()["login"]["refreshToken"].clone();
    app.gql(None, refresh, json!({"r": other})).await.ok();
}

#[tokio::test]
async fn refresh_tokens_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let refresh = app.login_payload(ADMIN_EMAIL, ADMIN_PASSWORD).await.ok()["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = entity::refresh_token::Entity::find().all(&app.state.db.conn).await.unwrap();
    assert!(!stored.is_empty());
    for row in stored {
        assert_ne!(row.token_hash, refresh);
        assert_eq!(row.token_hash.len(), 64);
    }
}

#[tokio::test]
async fn logout_revokes_that_refresh_token() {
    let app = spawn_app().await;
    let login = app.login_payload(ADMIN_EMAIL, ADMIN_PASSWORD).await.ok()["login"].clone();
    let token = login["accessToken"].as_str().unwrap();
    let logout = "mutation($r: String!) { logout(refreshToken: $r) }";
    assert_eq!(app.gql(Some(token), logout, json!({"r": login["refreshToken"]})).await.ok()["logout"], true);
    assert_eq!(app.gql(Some(token), logout, json!({"r": login["refreshToken"]})).await.ok()["logout"], false);
    let res = app
        .gql(
            None,
            "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }",
            json!({"r": login["refreshToken"]}),
        )
        .await;
    res.expect_code("UNAUTHENTICATED");
    app.gql(None, logout, json!({"r": "x"})).await.expect_code("UNAUTHENTICATED");
}

#[tokio::test]
async fn password_hashes_are_argon2id_with_at_least_owasp_parameters() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_user(&admin, "ana@example.com").await;
    let row = user::Entity::find()
        .filter(user::Column::Email.eq("ana@example.com"))
        .one(&app.state.db.conn)
        .await
        .unwrap()
        .unwrap();
    let phc = row.password_hash;
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    let params: std::collections::HashMap<&str, u32> = phc
        .split('$')
        .nth(3)
        .unwrap()
        .split(',')
        .map(|kv| kv.split_once('=').unwrap())
        .map(|(k, v)| (k, v.parse().unwrap()))
        .collect();
    assert!(params["m"] >= 19_456 && params["t"] >= 2 && params["p"] >= 1, "{phc}");
}

#[tokio::test]
async fn passwords_outside_12_to_256_characters_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
    for (password, why) in [("x".repeat(11), "short"), ("x".repeat(257), "long"), ("x".repeat(1_000_000), "a megabyte")]
    {
        let res = app
            .gql(
                Some(&admin),
                create,
                json!({"i": {"email": "ana@example.com", "password": password, "displayName": "Ana"}}),
            )
            .await;
        assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.password", "{why}");
    }
    let users = app.gql(Some(&admin), "{ users { totalCount } }", json!({})).await;
    assert_eq!(users.ok()["users"]["totalCount"], 1, "nothing created");
}

#[tokio::test]
async fn users_and_departments_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let create_user = "mutation($i: CreateUserInput!) { createUser(input: $i) { id email } }";
    let res = app
        .gql(
            Some(&admin),
            create_user,
            json!({"i": {"email": "not-an-email", "password": PASSWORD, "displayName": "A"}}),
        )
        .await;
    assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.email");
    let res = app
        .gql(
            Some(&admin),
            create_user,
            json!({"i": {"email": "Ana@Example.com", "password": PASSWORD, "displayName": "A"}}),
        )
        .await;
    assert_eq!(res.ok()["createUser"]["email"], "ana@example.com");
    let res = app
        .gql(
            Some(&admin),
            create_user,
            json!({"i": {"email": "ana@example.COM", "password": PASSWORD, "displayName": "A"}}),
        )
        .await;
    res.expect_code("CONFLICT");

    let create_dept = "mutation($i: CreateDepartmentInput!) { createDepartment(input: $i) { code kind } }";
    for bad in ["", "*", "a b", "-x", &"x".repeat(33)] {
        let res = app.gql(Some(&admin), create_dept, json!({"i": {"code": bad, "name": "N", "kind": "OTHER"}})).await;
        assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.code", "{bad:?}");
    }
    app.gql(Some(&admin), create_dept, json!({"i": {"code": "fin", "name": "Finance", "kind": "FINANCE"}})).await.ok();
    let dup =
        app.gql(Some(&admin), create_dept, json!({"i": {"code": "FIN", "name": "Again", "kind": "FINANCE"}})).await;
    dup.expect_code("CONFLICT");

    let user_id = app.create_user(&admin, "bob@example.com").await;
    let assign = "mutation($i: RoleInput!) { assignRole(input: $i) { id } }";
    let res =
        app.gql(Some(&admin), assign, json!({"i": {"userId": user_id, "role": "AUDITOR", "department": "nope"}})).await;
    assert_eq!(res.expect_code("BAD_USER_INPUT")["extensions"]["field"], "input.department");
    let res = app
        .gql(Some(&admin), assign, json!({"i": {"userId": "no-such-user", "role": "AUDITOR", "department": "fin"}}))
        .await;
    res.expect_code("NOT_FOUND");
}

#[tokio::test]
async fn a_role_change_retires_older_tokens_and_counts_from_the_next_login() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "fin", "FINANCE").await;
    let (id, token) = app.user_with_role(&admin, "bob@example.com", "AUDITOR", "*").await;
    assert!(app.gql(Some(&token), "{ users { totalCount } }", json!({})).await.codes().is_empty());

    let revoke = "mutation($i: RoleInput!) { revokeRole(input: $i) { id roles { role } } }";
    let res = app.gql(Some(&admin), revoke, json!({"i": {"userId": id, "role": "AUDITOR", "department": "*"}})).await;
    assert_eq!(res.ok()["revokeRole"]["roles"], json!([]));
    assert_eq!(me_code(&app, &token).await, ["UNAUTHENTICATED"]);
    let token = app.login("bob@example.com", PASSWORD).await;
    app.gql(Some(&token), "{ users { totalCount } }", json!({})).await.expect_code("FORBIDDEN");
}

#[tokio::test]
async fn the_users_list_is_for_admin_and_auditor_and_roles_are_guarded() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "fin", "FINANCE").await;
    let (_, auditor) = app.user_with_role(&admin, "olga@example.com", "AUDITOR", "*").await;
    let (_, clerk) = app.user_with_role(&admin, "carla@example.com", "FINANCE_CLERK", "fin").await;

    let list = "{ users(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { email roles { role department } } } }";
    let res = app.gql(Some(&auditor), list, json!({})).await;
    let users = &res.ok()["users"];
    assert_eq!(users["totalCount"], 3);
    assert_eq!(users["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(users["pageInfo"]["hasNextPage"], true);
    app.gql(Some(&clerk), list, json!({})).await.expect_code("FORBIDDEN");

    // Everyone reads themself, their own roles included, and the departments.
    let me = app.gql(Some(&clerk), "{ me { email roles { role department } } departments { code } }", json!({})).await;
    assert_eq!(me.ok()["me"]["roles"], json!([{"role": "FINANCE_CLERK", "department": "fin"}]));
    assert_eq!(me.ok()["departments"], json!([{"code": "fin"}]));
}

#[tokio::test]
async fn an_auditor_reads_everything_and_mutates_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, auditor) = app.user_with_role(&admin, "olga@example.com", "AUDITOR", "*").await;
    app.gql(Some(&auditor), "{ users { totalCount } auditLog { totalCount } verifyAuditChain { valid } }", json!({}))
        .await
        .ok();
    let head = app.audit_head(&admin).await;
    let attempts = [
        "mutation { createDepartment(input: {code: \"x\", name: \"X\", kind: OTHER}) { id } }",
        "mutation { createUser(input: {email: \"x@example.com\", password: \"long enough password\", displayName: \"X\"}) { id } }",
    ];
    for attempt in attempts {
        app.gql(Some(&auditor), attempt, json!({})).await.expect_code("FORBIDDEN");
    }
    let events = app.audit_events(&admin).await;
    let denied: Vec<_> = events.iter().filter(|e| e["seq"].as_i64().unwrap() > head).collect();
    assert_eq!(denied.len(), 2);
    assert!(denied.iter().all(|e| e["outcome"] == "DENIED"));
    assert_eq!(app.gql(Some(&admin), "{ departments { code } }", json!({})).await.ok()["departments"], json!([]));
}

#[tokio::test]
async fn the_bootstrap_admin_is_created_once() {
    let app = spawn_app().await;
    let again = spawn_on(&app.database_url, None, &[]).await;
    let admin = again.admin_token().await;
    let users = again.gql(Some(&admin), "{ users { totalCount } }", json!({})).await;
    assert_eq!(users.ok()["users"]["totalCount"], 1);
}

/// Statements run for one signed-in `{ __typename }` (nothing but authentication).
async fn auth_cost(app: &TestApp, token: &str) -> u64 {
    let before = app.state.db.statements_run();
    app.gql(Some(token), "{ __typename }", json!({})).await.ok();
    app.state.db.statements_run() - before
}

/// PostgreSQL: once a token's principal is cached, a request reads nothing to authenticate; a
/// change of roles (or deactivation, or password) is still refused from the very next request.
/// SQLite reads the principal every time (another process may share the file).
#[tokio::test]
async fn a_cached_principal_costs_no_statement_and_a_change_counts_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "fin", "FINANCE").await;
    let (id, token) = app.user_with_role(&admin, "cached@example.com", "FINANCE_CLERK", "fin").await;
    let postgres = app.database_url.starts_with("postgres");
    if postgres {
        // The cache serves once the notification feed is up (it comes up with the server).
        let mut cost = auth_cost(&app, &token).await;
        for _ in 0..50 {
            if cost == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            cost = auth_cost(&app, &token).await;
        }
        assert_eq!(cost, 0, "a cached principal reads nothing");
    } else {
        assert_eq!(auth_cost(&app, &token).await, 2, "the user and their roles");
    }
    let revoke =
        "mutation($u: ID!) { revokeRole(input: {userId: $u, role: FINANCE_CLERK, department: \"fin\"}) { id } }";
    app.gql(Some(&admin), revoke, json!({"u": id})).await.ok();
    app.gql(Some(&token), ME, json!({})).await.expect_code("UNAUTHENTICATED");
    let again = app.login("cached@example.com", PASSWORD).await;
    app.gql(Some(&again), ME, json!({})).await.ok();
    let deactivate = "mutation($id: ID!) { deactivateUser(id: $id) { active } }";
    app.gql(Some(&admin), deactivate, json!({"id": id})).await.ok();
    app.gql(Some(&again), ME, json!({})).await.expect_code("UNAUTHENTICATED");
}
