//! The map of every URL: the JSON API under `/api/v1` with its document and
//! explorers, the pages under `/ui`, health, metrics and the JWKS, all
//! behind the one [`HttpLayer`].

use std::sync::Arc;
use std::time::Duration;

use infra::Database;
use poem::http::Method;
use poem::http::{HeaderValue, header};
use poem::middleware::Cors;
use poem::{Endpoint, EndpointExt, Response, Route, handler};

use crate::config::Settings;
use crate::http::body_limit::BodyLimits;
use crate::http::client_addr::TrustedProxies;
use crate::http::jwks::Published;
use crate::http::layer::HttpLayer;

/// Every route: the API, its spec and explorers, and health checks, with the
/// body limit, security headers and (when origins are configured) CORS.
pub fn routes(
    services: domain::Services,
    db: Database,
    signing_keys: Arc<infra::signing_keys::SigningKeys>,
    settings: &Settings,
) -> anyhow::Result<impl Endpoint<Output = Response> + use<>> {
    let server = &settings.server;
    let proxies = TrustedProxies(server.trusted_proxies().map_err(anyhow::Error::msg)?);
    // Before anything records: metrics recorded earlier would be lost.
    crate::http::metrics::handle();
    let origins = server.cors_origins();
    let cors = Cors::new()
        .allow_origins(origins.iter().map(String::as_str))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers(["authorization", "content-type", "x-api-key"])
        .max_age(600);
    let mut headers = vec![
        // Every answer may carry a token or personal data: never cache it.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ];
    if server.hsts_seconds > 0 {
        let hsts = format!("max-age={}; includeSubDomains", server.hsts_seconds);
        headers.push((header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_str(&hsts)?));
    }
    let body = BodyLimits { bytes: server.body_limit, time: Duration::from_millis(server.body_timeout_ms) };
    let api = crate::v1::openapi::service();
    let doc = Arc::new(crate::v1::openapi::Document::new(&api.spec(), "/api/v1")?);
    let pages_csp = HeaderValue::from_static(crate::ui::CSP);
    // Behind trusted proxies, each forwarded client's requests in flight
    // are bounded as a client's connections are (http::per_address).
    let forwarded = match proxies.0.is_empty() {
        true => None,
        false => Some(crate::boot::serve::per_address(server, crate::boot::server::max_connections(server))?),
    };
    let layer =
        Arc::new(HttpLayer { body, headers, proxies: proxies.clone(), forwarded, paths: doc.clone(), pages_csp });
    let spec = poem::endpoint::make_sync(move |_| {
        Response::builder().content_type("application/json; charset=utf-8").body(doc.json().to_owned())
    });
    let (swagger, scalar) = crate::http::explorers::endpoints(
        || crate::v1::openapi::service().swagger_ui_html(),
        || crate::v1::openapi::service().scalar_html(),
    );
    let published = Published { keys: signing_keys, max_age_seconds: settings.tokens.jwt_key_publish_seconds / 2 };
    let mut route = Route::new();
    if server.metrics_listen.is_none() {
        route = route.at("/metrics", crate::http::metrics::scrape.data(db.clone()));
    }
    if server.ui {
        let ui =
            crate::ui::UiConfig { csrf: crate::boot::secrets::form_signer(settings)?, production: server.production() };
        route = route
            .at("/oauth2/authorize", crate::ui::authorize_endpoint(ui.clone()))
            .at("/oauth2/logout", crate::ui::end_session_endpoint(ui.clone()))
            .nest("/ui", crate::ui::routes(ui));
        // The provider's endpoints for clients, beside the pages its users sign in at.
        let oauth2 = crate::oauth2::discovery::Discovery::new(&settings.policy().public_url);
        route = route
            .at("/oauth2/token", poem::post(crate::oauth2::token::token))
            .at("/oauth2/revoke", poem::post(crate::oauth2::revoke::revoke))
            .at("/oauth2/introspect", poem::post(crate::oauth2::revoke::introspect))
            .at(
                "/oauth2/userinfo",
                poem::get(crate::oauth2::userinfo::userinfo).post(crate::oauth2::userinfo::userinfo),
            )
            .at("/.well-known/openid-configuration", crate::oauth2::discovery::discovery.data(oauth2));
    }
    // `/` leads a person to the pages, or to the explorers when the pages are off.
    let start = if server.ui { "/ui" } else { "/docs" };
    Ok(route
        .at("/", poem::endpoint::make_sync(move |_| crate::http::start::see_other(start)))
        .at("/favicon.ico", crate::http::start::favicon)
        .nest("/api/v1", api)
        .at("/openapi.json", spec)
        .nest("/docs/swagger", swagger)
        .nest("/docs/scalar", scalar)
        .at("/docs", docs_index)
        .at("/health/live", crate::http::health::live)
        .at("/health/ready", crate::http::health::ready.data(db.clone()))
        .at("/.well-known/jwks.json", crate::http::jwks::jwks.data(published))
        .data(Arc::new(crate::http::state::AppState { services, proxies }))
        .around(move |ep, req| layer.clone().call(ep, req))
        .with_if(!origins.is_empty(), cors))
}

#[handler]
fn docs_index() -> poem::web::Html<&'static str> {
    poem::web::Html(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>authd API</title></head><body>
<h1>authd API</h1><ul><li><a href="/docs/swagger">Swagger UI</a></li><li><a href="/docs/scalar">Scalar</a></li><li><a href="/openapi.json">OpenAPI document</a></li></ul>
</body></html>"#,
    )
}
