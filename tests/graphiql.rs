//! GraphiQL works offline (CONTRACT.md §12): the page loads only files this server serves itself,
//! each with its content type and cache headers, under a policy that allows this server only.

mod common;

use common::*;

/// Every `src`/`href` attribute value of the page.
fn references(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = page;
        while let Some(start) = rest.find(attr) {
            rest = &rest[start + attr.len()..];
            let end = rest.find('"').expect("a closing quote");
            found.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test]
async fn graphiql_loads_only_what_the_server_serves() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap().to_string();
    for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("http") && !csp.contains('*') && !csp.contains("unsafe"), "{csp}");
    let page = res.text().await.unwrap();

    // No URL to another host, nor a protocol-relative one.
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("\"//"), "{page}");
    let referenced = references(&page);
    let assets: Vec<&String> = referenced.iter().filter(|r| r.starts_with("/graphiql/")).collect();
    assert!(assets.len() >= 4, "{referenced:?}");
    for reference in &referenced {
        assert!(reference.starts_with("/graphiql/") || reference == "data:,", "{reference} is not served here");
    }
    for asset in assets {
        let res = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        let expected =
            if asset.ends_with(".js") { "text/javascript; charset=utf-8" } else { "text/css; charset=utf-8" };
        assert_eq!(res.headers()["content-type"], expected, "{asset}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{asset}");
        let cache = res.headers()["cache-control"].to_str().unwrap().to_string();
        if asset.contains(|c: char| c.is_ascii_digit()) {
            assert!(cache.contains("max-age=31536000") && cache.contains("immutable"), "{asset}: {cache}");
        } else {
            assert_eq!(cache, "no-cache", "{asset}");
        }
        assert!(!res.bytes().await.unwrap().is_empty(), "{asset}");
    }

    // The start script points GraphiQL at this server's endpoint.
    let start = app.client.get(app.url("/graphiql/trastienda-graphiql.js")).send().await.unwrap();
    let start = start.text().await.unwrap();
    assert!(start.contains("'/graphql'") && !start.contains("http"), "{start}");

    let missing = app.client.get(app.url("/graphiql/nothing-here.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}
