//! Authorization across the whole schema (CONTRACT.md §2 and §4): deny by default, scopes that
//! match departments exactly, and guarded fields on records others point to.

mod common;

use common::*;
use serde_json::{Map, Value, json};

const SCHEMA_QUERY: &str = "{ __schema { mutationType { fields { name args { name type { ...T } } type { ...T } } }
    types { name kind enumValues { name } inputFields { name type { ...T } } } } }
    fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// Mutations any signed-in user may call whatever their roles (their own session, tickets).
const SELF_SERVICE: [&str; 6] = ["login", "refreshToken", "logout", "changePassword", "openTicket", "commentOnTicket"];

struct Schema {
    mutations: Vec<Value>,
    types: Map<String, Value>,
}

async fn schema(app: &TestApp) -> Schema {
    let res = app.gql(None, SCHEMA_QUERY, json!({})).await;
    let s = &res.ok()["__schema"];
    let types =
        s["types"].as_array().unwrap().iter().map(|t| (t["name"].as_str().unwrap().to_string(), t.clone())).collect();
    Schema { mutations: s["mutationType"]["fields"].as_array().unwrap().clone(), types }
}

impl Schema {
    /// A value of the type that passes validation: every required field filled, nothing more.
    fn sample(&self, ty: &Value) -> Value {
        match ty["kind"].as_str().unwrap() {
            "NON_NULL" => self.sample(&ty["ofType"]),
            "LIST" => json!([self.sample(&ty["ofType"])]),
            "ENUM" => self.types[ty["name"].as_str().unwrap()]["enumValues"][0]["name"].clone(),
            "INPUT_OBJECT" => {
                let fields = self.types[ty["name"].as_str().unwrap()]["inputFields"].as_array().unwrap();
                let required = fields.iter().filter(|f| f["type"]["kind"] == "NON_NULL");
                Value::Object(
                    required.map(|f| (f["name"].as_str().unwrap().to_string(), self.sample(&f["type"]))).collect(),
                )
            }
            _ => match ty["name"].as_str().unwrap() {
                "Int" => json!(1),
                "Boolean" => json!(true),
                "Decimal" => json!("1"),
                "Date" => json!("2026-01-05"),
                "DateTime" => json!("2026-01-05T00:00:00Z"),
                _ => json!("x"),
            },
        }
    }

    fn type_ref(ty: &Value) -> String {
        match ty["kind"].as_str().unwrap() {
            "NON_NULL" => format!("{}!", Self::type_ref(&ty["ofType"])),
            "LIST" => format!("[{}]", Self::type_ref(&ty["ofType"])),
            _ => ty["name"].as_str().unwrap().to_string(),
        }
    }

    /// `mutation($a: T!) { field(a: $a) { __typename } }` with sample variables.
    fn call(&self, field: &Value) -> (String, String, Value) {
        let name = field["name"].as_str().unwrap().to_string();
        let args = field["args"].as_array().unwrap();
        let params: Vec<String> =
            args.iter().map(|a| format!("${}: {}", a["name"].as_str().unwrap(), Self::type_ref(&a["type"]))).collect();
        let pass: Vec<String> = args.iter().map(|a| format!("{0}: ${0}", a["name"].as_str().unwrap())).collect();
        let mut ret = &field["type"];
        while !ret["ofType"].is_null() {
            ret = &ret["ofType"];
        }
        let selection = if ret["kind"] == "OBJECT" { " { __typename }" } else { "" };
        let query = format!(
            "mutation {}{} {{ {name}{}{selection} }}",
            name,
            if params.is_empty() { String::new() } else { format!("({})", params.join(", ")) },
            if pass.is_empty() { String::new() } else { format!("({})", pass.join(", ")) },
        );
        let variables = Value::Object(
            args.iter().map(|a| (a["name"].as_str().unwrap().to_string(), self.sample(&a["type"]))).collect(),
        );
        (name, query, variables)
    }
}

#[tokio::test]
async fn every_mutation_refuses_a_user_without_roles_and_one_without_a_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_user(&admin, "nobody@example.com").await;
    let nobody = app.login("nobody@example.com", PASSWORD).await;
    let schema = schema(&app).await;
    assert!(schema.mutations.len() >= 40, "walked the whole schema");
    let head = app.audit_head(&admin).await;

    let mut forbidden = 0;
    for field in &schema.mutations {
        let (name, query, variables) = schema.call(field);
        let anonymous = app.gql(None, &query, variables.clone()).await;
        if name != "login" && name != "refreshToken" {
            assert_eq!(anonymous.codes(), ["UNAUTHENTICATED"], "{name} without a token: {:#}", anonymous.0);
        }
        let res = app.gql(Some(&nobody), &query, variables).await;
        if SELF_SERVICE.contains(&name.as_str()) {
            // Allowed to anyone signed in; with these arguments they find nothing to change.
            assert!(!res.codes().contains(&"FORBIDDEN".to_string()), "{name}: {:#}", res.0);
        } else {
            assert_eq!(res.codes(), ["FORBIDDEN"], "{name}: {:#}", res.0);
            forbidden += 1;
        }
    }

    // Nothing changed: the only new events are the refusals, one per forbidden mutation.
    let events: Vec<Value> =
        app.audit_events(&admin).await.into_iter().filter(|e| e["seq"].as_i64().unwrap() > head).collect();
    let denied = events.iter().filter(|e| e["outcome"] == "DENIED" && e["actorEmail"] == "nobody@example.com").count();
    assert_eq!(denied, forbidden);
    assert!(events.iter().all(|e| e["outcome"] == "DENIED"), "{events:#?}");
}

#[tokio::test]
async fn departments_match_exactly_never_by_prefix() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for code in ["fin", "fin-eu", "1", "10"] {
        app.create_department(&admin, code, "FINANCE").await;
    }
    let create = "mutation($d: String!) { createInvoice(input: {department: $d, kind: PAYABLE, counterparty: \"A\", currency: \"EUR\", issueDate: \"2026-01-05\", dueDate: \"2026-01-05\", lines: [{description: \"x\", quantity: \"1\", unitPrice: \"1\", taxRate: \"0\"}]}) { id department { code } } }";
    let mut ids = std::collections::HashMap::new();
    for code in ["fin", "fin-eu", "1", "10"] {
        let res = app.gql(Some(&admin), create, json!({"d": code})).await;
        ids.insert(code, res.ok()["createInvoice"]["id"].clone());
    }
    let (_, clerk) = app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "fin").await;
    let (_, one) = app.user_with_role(&admin, "one@example.com", "FINANCE_CLERK", "1").await;
    for (token, own, twin) in [(&clerk, "fin", "fin-eu"), (&one, "1", "10")] {
        let list = app.gql(Some(token), "{ invoices { nodes { department { code } } } }", json!({})).await;
        assert_eq!(list.ok()["invoices"]["nodes"], json!([{"department": {"code": own}}]));
        app.gql(Some(token), "query($id: ID!) { invoice(id: $id) { id } }", json!({"id": ids[twin]}))
            .await
            .expect_code("NOT_FOUND");
        app.gql(Some(token), create, json!({"d": twin})).await.expect_code("FORBIDDEN");
    }
}

#[tokio::test]
async fn roles_of_a_user_pointed_to_are_for_admins_auditors_and_themself() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "fin", "FINANCE").await;
    let (_, author) = app.user_with_role(&admin, "author@example.com", "FINANCE_CLERK", "fin").await;
    let (_, colleague) = app.user_with_role(&admin, "colleague@example.com", "FINANCE_CLERK", "fin").await;
    let (_, auditor) = app.user_with_role(&admin, "auditor@example.com", "AUDITOR", "*").await;
    app.gql(
        Some(&author),
        "mutation { createInvoice(input: {department: \"fin\", kind: PAYABLE, counterparty: \"A\", currency: \"EUR\", issueDate: \"2026-01-05\", dueDate: \"2026-01-05\", lines: [{description: \"x\", quantity: \"1\", unitPrice: \"1\", taxRate: \"0\"}]}) { id } }",
        json!({}),
    )
    .await
    .ok();
    let query = "{ invoices { nodes { counterparty createdBy { email roles { role } } } } }";
    let seen_by_colleague = app.gql(Some(&colleague), query, json!({})).await;
    let err = seen_by_colleague.expect_code("FORBIDDEN");
    assert_eq!(err["path"], json!(["invoices", "nodes", 0, "createdBy", "roles"]));
    assert_eq!(
        seen_by_colleague.data()["invoices"]["nodes"][0],
        json!({"counterparty": "A", "createdBy": {"email": "author@example.com", "roles": null}})
    );
    for token in [&author, &auditor, &admin] {
        let res = app.gql(Some(token), query, json!({})).await;
        assert_eq!(res.ok()["invoices"]["nodes"][0]["createdBy"]["roles"], json!([{"role": "FINANCE_CLERK"}]));
    }
}
