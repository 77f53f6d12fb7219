//! The platform spine over HTTP: transport rules, limits, errors, request ids, introspection,
//! health and readiness (CONTRACT.md §1–2).

mod common;

use common::*;
use serde_json::{Value, json};

const INTROSPECTION_QUERY: &str = include_str!("fixtures/introspection_query.graphql");

/// After each refusal, the server must still answer a plain request.
async fn still_serves(app: &TestApp) {
    let res = app.gql(None, "{ __typename }", json!({})).await;
    assert_eq!(res.ok()["__typename"], "Query");
}

#[tokio::test]
async fn health_answers_while_the_process_runs_and_ready_follows_the_database() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    app.state.db.conn.close_by_ref().await.unwrap();
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn graphiql_is_served() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().to_lowercase().contains("graphiql"));
}

#[tokio::test]
async fn a_valid_request_id_is_echoed_and_put_into_errors() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("X-Request-Id", "client-id_1.2")
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "client-id_1.2");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["requestId"], "client-id_1.2");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_invalid_request_id_is_replaced_by_a_uuid() {
    let app = spawn_app().await;
    for bad in ["has space", &"x".repeat(129), "ümlaut"] {
        let res = app
            .client
            .get(app.url("/health"))
            .header("X-Request-Id", reqwest::header::HeaderValue::from_bytes(bad.as_bytes()).unwrap())
            .send()
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_ne!(id, bad);
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    }
    let res = app.client.get(app.url("/health")).send().await.unwrap();
    assert!(uuid::Uuid::parse_str(res.headers()["x-request-id"].to_str().unwrap()).is_ok());
}

#[tokio::test]
async fn malformed_json_is_a_400_with_bad_user_input() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{\"query\": \"{ __typename }\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    still_serves(&app).await;
}

#[tokio::test]
async fn an_unknown_field_is_bad_user_input() {
    let app = spawn_app().await;
    let res = app.gql(None, "{ noSuchField }", json!({})).await;
    res.expect_code("BAD_USER_INPUT");
    still_serves(&app).await;
}

#[tokio::test]
async fn a_too_deep_query_is_refused_before_it_runs() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // me.employee.manager.manager… : 13 levels of selection.
    let deep = format!("{{ me {{ employee {{ {} id {} }} }} }}", "manager { ".repeat(11), "} ".repeat(11));
    app.gql(Some(&admin), &deep, json!({})).await.expect_code("BAD_USER_INPUT");
    let ok = format!("{{ me {{ employee {{ {} id {} }} }} }}", "manager { ".repeat(9), "} ".repeat(9));
    app.gql(Some(&admin), &ok, json!({})).await.ok();
}

#[tokio::test]
async fn a_literal_nested_3000_deep_is_refused_and_the_server_survives() {
    let app = spawn_app().await;
    let bomb = format!("{{ users(first: {}1{}) {{ totalCount }} }}", "[".repeat(3000), "]".repeat(3000));
    app.gql(None, &bomb, json!({})).await.expect_code("BAD_USER_INPUT");
    let object_bomb = format!("query {{ a(x: {}1{}) }}", "{a:".repeat(3000), "}".repeat(3000));
    app.gql(None, &object_bomb, json!({})).await.expect_code("BAD_USER_INPUT");
    still_serves(&app).await;
}

#[tokio::test]
async fn five_hundred_aliases_are_refused() {
    let app = spawn_app().await;
    let aliases: String = (0..500).map(|i| format!("a{i}: __typename ")).collect();
    app.gql(None, &format!("{{ {aliases} }}"), json!({})).await.expect_code("BAD_USER_INPUT");
    let thirty: String = (0..30).map(|i| format!("a{i}: __typename ")).collect();
    app.gql(None, &format!("{{ {thirty} }}"), json!({})).await.ok();
    still_serves(&app).await;
}

#[tokio::test]
async fn a_field_repeated_thousands_of_times_is_refused() {
    let app = spawn_app().await;
    let repeated = format!("{{ {} }}", "__typename ".repeat(1500));
    app.gql(None, &repeated, json!({})).await.expect_code("BAD_USER_INPUT");
    still_serves(&app).await;
}

#[tokio::test]
async fn first_above_one_hundred_is_bad_user_input_and_runs_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app.gql(Some(&admin), "{ users(first: 1000) { totalCount } }", json!({})).await;
    let err = res.expect_code("BAD_USER_INPUT");
    assert_eq!(err["extensions"]["field"], "first");
    app.gql(Some(&admin), "{ users(first: 100) { totalCount } }", json!({})).await.ok();
}

#[tokio::test]
async fn a_two_mib_body_is_413() {
    let app = spawn_app().await;
    let padding = "x".repeat(2 * 1024 * 1024);
    let res = app.post_json(None, &json!({"query": "{ __typename }", "variables": {"pad": padding}})).await;
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    still_serves(&app).await;
}

#[tokio::test]
async fn a_query_longer_than_16_kib_is_refused() {
    let app = spawn_app().await;
    let long = format!("{{ __typename }} # {}", "x".repeat(17 * 1024));
    app.gql(None, &long, json!({})).await.expect_code("BAD_USER_INPUT");
}

#[tokio::test]
async fn only_application_json_posts_execute() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mutation =
        r#"{"query":"mutation { createDepartment(input: {code: \"x\", name: \"X\", kind: OTHER}) { id } }"}"#;
    for content_type in
        [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data; boundary=x"), None]
    {
        let mut req = app.client.post(app.url("/graphql")).bearer_auth(&admin).body(mutation);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 415, "{content_type:?}");
    }
    let departments = app.gql(Some(&admin), "{ departments { code } }", json!({})).await;
    assert_eq!(departments.ok()["departments"], json!([]), "nothing executed");
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_mutation_over_get_is_405_and_a_query_over_get_runs() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&admin)
        .query(&[("query", "mutation { createDepartment(input: {code: \"x\", name: \"X\", kind: OTHER}) { id } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let res = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&admin)
        .query(&[("query", "query Q { departments { code } }"), ("operationName", "Q")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["departments"], json!([]), "the mutation did not run");
}

#[tokio::test]
async fn batches_run_up_to_ten_and_refuse_more_whole() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let op = |code: &str| json!({"query": format!("mutation {{ createDepartment(input: {{code: \"{code}\", name: \"N\", kind: OTHER}}) {{ code }} }}")});
    let res = app.post_json(Some(&admin), &Value::Array((0..2).map(|i| op(&format!("b{i}"))).collect())).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 2);
    assert_eq!(body[1]["data"]["createDepartment"]["code"], "b1");

    let res = app.post_json(Some(&admin), &Value::Array((0..11).map(|i| op(&format!("c{i}"))).collect())).await;
    assert_eq!(res.status(), 400);
    let departments = app.gql(Some(&admin), "{ departments { code } }", json!({})).await;
    assert_eq!(departments.ok()["departments"].as_array().unwrap().len(), 2, "none of the 11 ran");
}

#[tokio::test]
async fn the_response_type_follows_accept() {
    let app = spawn_app().await;
    let ask = |accept: &'static str| {
        app.client.post(app.url("/graphql")).header("accept", accept).json(&json!({"query": "{ __typename }"})).send()
    };
    let res = ask("application/graphql-response+json").await.unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
    let res = ask("application/json").await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/json");
    let res = ask("application/json;q=0.5, application/graphql-response+json").await.unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
}

#[tokio::test]
async fn graphiql_introspection_passes_the_limits() {
    let app = spawn_app().await;
    let res = app.gql(None, INTROSPECTION_QUERY, json!({})).await;
    let types = res.ok()["__schema"]["types"].as_array().unwrap().len();
    assert!(types > 20, "{types}");
}

#[tokio::test]
async fn introspection_can_be_limited_to_signed_in_users_or_turned_off() {
    let app = spawn_app_with(&[("GRAPHQL_INTROSPECTION", "authenticated")]).await;
    app.gql(None, "{ __schema { queryType { name } } }", json!({})).await.expect_code("UNAUTHENTICATED");
    let admin = app.admin_token().await;
    app.gql(Some(&admin), "{ __schema { queryType { name } } }", json!({})).await.ok();

    let app = spawn_app_with(&[("GRAPHQL_INTROSPECTION", "off")]).await;
    let admin = app.admin_token().await;
    let res = app.gql(Some(&admin), "{ __schema { queryType { name } } }", json!({})).await;
    res.expect_code("BAD_USER_INPUT");
    assert!(res.0["data"].is_null(), "an error, not a silent null");
    // No "did you mean" that would leak field names.
    let res = app.gql(Some(&admin), "{ departmnts { code } }", json!({})).await;
    let message = res.expect_code("BAD_USER_INPUT")["message"].as_str().unwrap().to_string();
    assert!(!message.contains("departments"), "{message}");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://office.example")]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,authorization")
            .send()
    };
    let res = preflight("https://office.example").await.unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "https://office.example");
    let res = preflight("https://evil.example").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn errors_never_carry_internals() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.state.db.conn.close_by_ref().await.unwrap();
    let res = app.gql(Some(&admin), "{ departments { code } }", json!({})).await;
    // The token cannot even be checked without a database: a generic internal error.
    let err = res.expect_code("INTERNAL");
    let text = err.to_string().to_lowercase();
    for leak in ["sqlite", "sqlx", "pool", "select", "postgres", "closed"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

#[tokio::test]
async fn schema_graphql_is_the_output_of_trastienda_schema() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(committed == api::graphql::sdl(), "schema.graphql is stale: run `cargo run -- schema > schema.graphql`");
}

/// CI runs the suite once per engine and says which: a run must never fall back silently.
#[tokio::test]
async fn the_engine_under_test_is_the_one_ci_asked_for() {
    let app = spawn_app().await;
    match std::env::var("TRASTIENDA_TEST_ENGINE").as_deref() {
        Ok("postgres") => assert!(app.database_url.starts_with("postgres://"), "{}", app.database_url),
        Ok("sqlite") => assert!(app.database_url.starts_with("sqlite://"), "{}", app.database_url),
        _ => {}
    }
}

/// At volume (m0008): every reference column is a foreign key on PostgreSQL, and the scoped
/// lists and audit filters have their composite indexes on both engines.
#[tokio::test]
async fn reference_columns_have_foreign_keys_and_lists_their_indexes() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let conn = &app.state.db.conn;
    let backend = conn.get_database_backend();
    let names = |sql: &str| {
        let statement = Statement::from_string(backend, sql.to_string());
        async move {
            conn.query_all_raw(statement)
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get_by_index::<String>(0).unwrap())
                .collect::<Vec<_>>()
        }
    };
    let indexes = match backend {
        DbBackend::Postgres => names("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'").await,
        _ => names("SELECT name FROM sqlite_master WHERE type = 'index'").await,
    };
    for index in [
        "ix_invoices_department_status_id",
        "ix_invoices_overdue",
        "ix_employees_department_id",
        "ix_leave_requests_department_status_id",
        "ix_assets_department_status_id",
        "ix_access_grants_department_id",
        "ix_purchase_requests_department_status_id",
        "ix_tickets_department_status_id",
        "ix_audit_events_action_seq",
        "ix_audit_events_department_seq",
        "ix_audit_events_entity_seq",
        "ix_audit_events_outcome_seq",
        "ix_audit_events_actor_seq",
    ] {
        assert!(indexes.iter().any(|i| i == index), "{index} is missing");
    }
    if backend != DbBackend::Postgres {
        return; // SQLite cannot add constraints to existing tables (m0008).
    }
    // Columns that name a row of another table but are deliberately free: the audit log outlives
    // what it describes, a national id and a token family are not references.
    let unconstrained = names(
        "SELECT c.table_name || '.' || c.column_name FROM information_schema.columns c \
         WHERE c.table_schema = 'public' AND c.column_name <> 'id' \
           AND (c.column_name LIKE '%\\_id' OR c.column_name LIKE '%\\_by' OR c.column_name = 'assigned_to') \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_attribute a \
                 ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey) \
               WHERE k.contype = 'f' AND k.conrelid = quote_ident(c.table_name)::regclass \
                 AND a.attname = c.column_name) \
         ORDER BY 1",
    )
    .await;
    let free = [
        "audit_events.actor_id",
        "audit_events.entity_id",
        "audit_events.request_id",
        "employees.national_id",
        "refresh_tokens.family_id",
    ];
    let missing: Vec<_> = unconstrained.iter().filter(|c| !free.contains(&c.as_str())).collect();
    assert!(missing.is_empty(), "reference columns without a foreign key: {missing:?}");
}
