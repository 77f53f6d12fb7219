//! GraphiQL, offline (CONTRACT.md §12): `GET /graphiql` and every file it loads come from the
//! binary, so the IDE works where the back office has no internet. The files are GraphiQL's and
//! React's published production builds, unmodified, in `api/static/graphiql/` (versions, licences
//! and checksums in its README), plus our page, stylesheet and start script.
//!
//! The page's Content-Security-Policy allows this server only (`'self'`; `data:` for the fonts
//! GraphiQL's stylesheet embeds), so no script, style or request can reach another host, and the
//! start script is a file rather than inline. Vendored files carry their version in their name
//! and are cached for a year; ours are revalidated.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

/// The Content-Security-Policy of the page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

const PAGE: &str = include_str!("../../static/graphiql/index.html");

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Versioned in its name, so a browser may keep it forever.
    immutable: bool,
}

macro_rules! asset {
    ($name:literal, $content_type:expr, $immutable:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../static/graphiql/", $name)),
            immutable: $immutable,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file under `/graphiql/`; `index.html` names them.
const ASSETS: [Asset; 6] = [
    asset!("react-18.3.1.production.min.js", JS, true),
    asset!("react-dom-18.3.1.production.min.js", JS, true),
    asset!("graphiql-3.8.3.min.js", JS, true),
    asset!("graphiql-3.8.3.min.css", CSS, true),
    asset!("trastienda-graphiql.js", JS, false),
    asset!("trastienda-graphiql.css", CSS, false),
];

/// `GET /graphiql`.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE)
}

/// `GET /graphiql/{name}`.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let cache = if asset.immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static(cache)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_asset_and_nothing_else() {
        let referenced: Vec<&str> =
            PAGE.split(['"', '\'']).filter_map(|part| part.strip_prefix("/graphiql/")).collect();
        let mut served: Vec<&str> = ASSETS.iter().map(|a| a.name).collect();
        let mut named = referenced.clone();
        named.sort();
        served.sort();
        assert_eq!(named, served);
        for asset in &ASSETS {
            let expected = if asset.name.ends_with(".js") { JS } else { CSS };
            assert_eq!(asset.content_type, expected, "{}", asset.name);
            assert!(!asset.body.is_empty());
        }
    }
}
