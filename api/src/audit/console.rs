//! The auditor console (CONTRACT.md §13): `GET /console`, one static page compiled into the
//! binary (`console.html`: plain HTML, CSS and JavaScript, nothing fetched from elsewhere), and
//! `GET /console/export.jsonl`, the JSONL export it downloads — the same lines as `trastienda
//! audit export`, for a bearer of AUDITOR or ADMIN held in `*`.
//!
//! The page's Content-Security-Policy allows its one `<style>` and one `<script>` by SHA-256,
//! connections to this origin only, and nothing else: no inline handlers, no style attributes,
//! no frames, no form posts, no foreign script even if some text were ever rendered as HTML.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::{Engine, engine::general_purpose::STANDARD};
use futures::stream;
use sha2::{Digest, Sha256};

use super::service::{export_batch, export_line};
use crate::auth::service::authenticate;
use crate::authz::Perm;
use crate::http::Gateway;
use crate::kernel::Auth;

const PAGE: &str = include_str!("console.html");

/// Events per database read while streaming the export.
const EXPORT_BATCH: u64 = 1000;

/// Registers the console's routes (one line in `http::configure`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(page)).route("/console/export.jsonl", web::get().to(export));
}

/// The text between the first `<{tag}>` and `</{tag}>` of the page.
fn inline_block(tag: &str) -> &'static str {
    let open = format!("<{tag}>");
    let start = PAGE.find(&open).map(|i| i + open.len()).expect("the console has the block");
    let end = PAGE[start..].find(&format!("</{tag}>")).map(|i| start + i).expect("the block is closed");
    &PAGE[start..end]
}

fn sha256_source(text: &str) -> String {
    format!("'sha256-{}'", STANDARD.encode(Sha256::digest(text.as_bytes())))
}

/// The page's policy, computed once from the page itself, so editing the page never needs a
/// matching edit here.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self' data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        sha256_source(inline_block("script")),
        sha256_source(inline_block("style")),
    )
});

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY.as_str()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(PAGE)
}

fn refuse(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(message.to_string())
}

/// The whole log as JSON lines, oldest first, up to the head read when the request began (so
/// the export is a gapless prefix of the chain), streamed in batches.
async fn export(req: HttpRequest, gateway: web::Data<Gateway>) -> HttpResponse {
    let state = gateway.state.clone();
    let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let principal = match authenticate(&state, bearer).await {
        Ok(Auth::User(principal)) => principal,
        Ok(_) => return refuse(actix_web::http::StatusCode::UNAUTHORIZED, "authentication required"),
        Err(_) => return refuse(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    };
    if !state.authz.allows_everywhere(&principal, Perm::AUDIT_READ) {
        return refuse(actix_web::http::StatusCode::FORBIDDEN, "the export is for AUDITOR and ADMIN");
    }
    let head = match super::tree::size(&state.db.conn).await {
        Ok(head) => head,
        Err(_) => return refuse(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    };
    let batches = stream::unfold(Some(0i64), move |after| {
        let state = state.clone();
        async move {
            let after = after?;
            if after >= head {
                return None;
            }
            match export_batch(&state.db.conn, after, Some(head), (None, None), EXPORT_BATCH).await {
                Ok(events) if !events.is_empty() => {
                    let next = events.last().map(|e| e.seq);
                    let mut text = String::new();
                    for event in &events {
                        text.push_str(&export_line(event).to_string());
                        text.push('\n');
                    }
                    Some((Ok::<_, actix_web::Error>(web::Bytes::from(text)), next))
                }
                Ok(_) => None,
                Err(err) => {
                    tracing::error!(error = %err, "audit export failed");
                    Some((Err(actix_web::error::ErrorInternalServerError("internal error")), None))
                }
            }
        }
    });
    HttpResponse::Ok()
        .content_type("application/x-ndjson; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"audit-export.jsonl\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(batches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_page_s_own_script_and_style() {
        let policy = CONTENT_SECURITY_POLICY.as_str();
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(PAGE.matches("<script").count(), 1, "one script, inline");
        assert_eq!(PAGE.matches("<style").count(), 1, "one style block");
        assert!(!PAGE.contains(" style=") && !PAGE.contains(" onclick="), "attributes the policy would block");
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"), "nothing fetched from elsewhere");
        assert!(policy.contains(&sha256_source(inline_block("script"))));
    }
}
