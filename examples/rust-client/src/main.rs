//! A typed Rust client of Trastienda: signs in, then lists invoices with their department.
//!
//! `graphql_client` generates the request and response types at compile time from
//! `../../schema.graphql` and the operations in `operations/`: an operation that no longer matches
//! the schema (a field removed or renamed, an argument's type changed) does not compile, so CI
//! catches a breaking schema change here before a client does.
//!
//! ```sh
//! TRASTIENDA_URL=http://127.0.0.1:8080 cargo run      # against `trastienda serve --demo`
//! ```
//!
//! `TRASTIENDA_EMAIL` and `TRASTIENDA_PASSWORD` default to the demo administrator's sign-in. It
//! exits non-zero when a request fails or the server lists no invoice.

use std::error::Error;

use graphql_client::{GraphQLQuery, Response};

// The schema's custom scalars, as JSON gives them: decimals travel as strings, never floats.
type Decimal = String;

// The derive reads the schema without telling Cargo: naming it here rebuilds this crate whenever
// schema.graphql changes, even in a warm target directory.
const _SCHEMA: &str = include_str!("../../../schema.graphql");

#[derive(GraphQLQuery)]
#[graphql(schema_path = "../../schema.graphql", query_path = "operations/SignIn.graphql", response_derives = "Debug")]
struct SignIn;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../schema.graphql",
    query_path = "operations/InvoicesWithDepartment.graphql",
    response_derives = "Debug"
)]
struct InvoicesWithDepartment;

fn main() -> Result<(), Box<dyn Error>> {
    let base = setting("TRASTIENDA_URL", "http://127.0.0.1:8080");
    let email = setting("TRASTIENDA_EMAIL", "admin@demo.trastienda");
    let password = setting("TRASTIENDA_PASSWORD", "demo-password-admin");
    let endpoint = format!("{}/graphql", base.trim_end_matches('/'));
    let client = reqwest::blocking::Client::new();

    let signed_in = execute::<SignIn>(&client, &endpoint, None, sign_in::Variables { email, password })?;
    let token = signed_in.login.access_token;
    println!("signed in (the token lasts {} s)", signed_in.login.expires_in);

    let variables = invoices_with_department::Variables { first: Some(10) };
    let listed = execute::<InvoicesWithDepartment>(&client, &endpoint, Some(&token), variables)?;
    let invoices = listed.invoices;
    println!("{} invoices; the first {}:", invoices.total_count, invoices.nodes.len());
    for invoice in &invoices.nodes {
        println!(
            "  {:<18} {:<15} {:>12} {} {:<28} {} ({})",
            invoice.number.as_deref().unwrap_or("(draft)"),
            format!("{:?}", invoice.status),
            invoice.total,
            invoice.currency,
            invoice.counterparty,
            invoice.department.code,
            invoice.department.name,
        );
    }
    if invoices.nodes.is_empty() {
        return Err("the server listed no invoice".into());
    }
    Ok(())
}

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

/// Sends one operation (its text exactly as in `operations/`, which is what an allow-list lists)
/// and returns its data, or the GraphQL errors with their codes.
fn execute<Q: GraphQLQuery>(
    client: &reqwest::blocking::Client,
    endpoint: &str,
    token: Option<&str>,
    variables: Q::Variables,
) -> Result<Q::ResponseData, Box<dyn Error>> {
    let body = Q::build_query(variables);
    let mut request = client.post(endpoint).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response: Response<Q::ResponseData> = request.send()?.error_for_status()?.json()?;
    if let Some(errors) = response.errors.filter(|e| !e.is_empty()) {
        let described: Vec<String> = errors
            .iter()
            .map(|e| {
                let code = e.extensions.as_ref().and_then(|x| x.get("code")).and_then(|c| c.as_str()).unwrap_or("?");
                format!("{code}: {}", e.message)
            })
            .collect();
        return Err(format!("{} failed: {}", body.operation_name, described.join("; ")).into());
    }
    response.data.ok_or_else(|| format!("{} returned no data", body.operation_name).into())
}
