//! The API explorers under `/docs` (Swagger UI and Scalar, both compiled
//! into the binary): served with no request to anyone but this server, and
//! under a Content-Security-Policy that would block one. Their inline
//! scripts run by hash (CSP Level 3 `'sha256-…'`), not by `'unsafe-inline'`.
//! Each page (2 and 3.6 MB: the explorer's script and the OpenAPI document)
//! is made on its first request, not at start: a node whose docs no one
//! reads never holds them.

use std::sync::OnceLock;

use base64::Engine;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Response, Route};
use sha2::{Digest, Sha256};

/// Scalar loads its fonts from its vendor's site unless told not to
/// (`withDefaultFonts`); it then uses the system's.
const SCALAR_OFFLINE: &str = r#"id="api-reference" data-configuration="{&quot;withDefaultFonts&quot;:false}""#;

/// One explorer page with the policy its scripts need.
struct Explorer {
    html: bytes::Bytes,
    csp: HeaderValue,
}

impl Explorer {
    fn new(html: String) -> anyhow::Result<Self> {
        let csp = HeaderValue::from_str(&policy(&html))?;
        Ok(Explorer { html: html.into(), csp })
    }

    fn respond(&self) -> Response {
        Response::builder()
            .status(StatusCode::OK)
            .content_type("text/html; charset=utf-8")
            .header(header::CONTENT_SECURITY_POLICY, self.csp.clone())
            .body(self.html.clone())
    }
}

/// An explorer page made by `make` on its first request and kept.
struct Lazy {
    page: OnceLock<Option<Explorer>>,
    make: Box<dyn Fn() -> anyhow::Result<Explorer> + Send + Sync>,
}

impl Lazy {
    fn new(make: impl Fn() -> anyhow::Result<Explorer> + Send + Sync + 'static) -> Self {
        Self { page: OnceLock::new(), make: Box::new(make) }
    }

    fn respond(&self) -> Response {
        let page = self.page.get_or_init(|| {
            (self.make)().map_err(|e| tracing::error!(error = %e, "cannot make an API explorer page")).ok()
        });
        match page {
            Some(page) => page.respond(),
            None => StatusCode::INTERNAL_SERVER_ERROR.into(),
        }
    }
}

/// Only this origin, for everything; the page's own inline scripts by
/// hash; inline styles (both explorers set them from script); images and
/// fonts from this origin or inline (`data:`).
fn policy(html: &str) -> String {
    let hashes: Vec<String> = inline_scripts(html)
        .map(|s| format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s))))
        .collect();
    format!(
        "default-src 'none'; script-src {}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        hashes.join(" ")
    )
}

/// The text of each inline script a browser would run (not JSON data
/// blocks): as a browser reads it, up to the first `</script>` after its
/// tag, whatever the script itself contains.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let (_, from_tag) = rest.split_once("<script")?;
            let (tag, after) = from_tag.split_once('>')?;
            let (body, next) = after.split_once("</script>")?;
            rest = next;
            let data = tag.contains("application/json");
            if !data && !tag.contains("src=") && !body.is_empty() {
                return Some(body);
            }
        }
    })
}

/// `/docs/swagger` and `/docs/scalar`, from the pages poem-openapi renders
/// (`swagger`, `scalar`: called on each page's first request).
pub fn endpoints(swagger: fn() -> String, scalar: fn() -> String) -> (Route, Route) {
    let swagger = Lazy::new(move || Explorer::new(swagger()));
    let scalar = Lazy::new(move || Explorer::new(offline_scalar(scalar())?));
    let page = |e: Lazy| poem::endpoint::make_sync(move |_| e.respond());
    (Route::new().at("/", page(swagger)), Route::new().at("/", page(scalar)))
}

/// Scalar's page told to use the system's fonts.
fn offline_scalar(html: String) -> anyhow::Result<String> {
    let html = html.replacen(r#"id="api-reference""#, SCALAR_OFFLINE, 1);
    anyhow::ensure!(html.contains("withDefaultFonts"), "Scalar's page no longer has its api-reference element");
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explorers_policy_lets_only_their_own_inline_scripts_run_and_nothing_load_from_elsewhere() {
        let html =
            r#"<script type="application/json">{"a":1}</script><script>alert(1)</script><script src="/x.js"></script>"#;
        let csp = policy(html);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest("alert(1)"));
        assert!(csp.contains(&format!("script-src 'sha256-{expected}';")), "{csp}");
        assert_eq!(inline_scripts(html).count(), 1, "neither the JSON block nor the external script");
        assert!(!csp.contains("http"), "no other origin: {csp}");
    }
}
