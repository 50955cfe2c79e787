//! Wiring: settings → adapters → use cases → HTTP routes.

use std::sync::Arc;
use std::time::Duration;

use domain::{Ports, Services};
use infra::Database;
use infra::outbox::Doorbell;
use poem::PathPattern;
use poem::http::Method;
use poem::http::{HeaderName, HeaderValue, header};
use poem::middleware::Cors;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, handler};
use poem_openapi::OpenApiService;
use secrecy::ExposeSecret;
use tracing::Instrument;

use crate::body_limit::BodyLimits;
use crate::client_addr::TrustedProxies;
use crate::config::Settings;
use crate::error::problem_from_poem;
use crate::request_log;
use crate::v1::admin::AdminApi;
use crate::v1::apps::AppsApi;
use crate::v1::auth::AuthApi;
use crate::v1::phone::PhoneApi;
use crate::v1::second_factors::SecondFactorsApi;
use crate::v1::sessions::MySessionsApi;
use crate::v1::users::UsersApi;
use crate::v1::verifications::VerificationsApi;

/// One authd node: the use cases on the real adapters, the database pool
/// they share, and the doorbell that wakes this node's courier.
pub struct Node {
    pub services: Services,
    pub db: Database,
    pub doorbell: Doorbell,
    /// The revocation listener to start when serving (PostgreSQL with
    /// revocation push); until it runs, every check reads the database.
    pub listener: Option<infra::revocation_listener::Listener>,
    /// The EdDSA signing keys (`AUTHD_JWT_ALG=EdDSA`), to reload while serving.
    pub signing_keys: Option<Arc<infra::signing_keys::SigningKeys>>,
}

/// Opens the database (migrating it when allowed) and builds the use cases on
/// the real adapters.
pub async fn build_services(settings: &Settings) -> anyhow::Result<Node> {
    let (url, db) = crate::database::open(settings).await?;
    let secret = settings.jwt_secret_bytes()?;
    let secret = secret.expose_secret().as_bytes();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let doorbell = Doorbell::default();
    // Revocation push: on PostgreSQL unless turned off. SQLite has one node,
    // and its in-process database answers a check without a network trip.
    let listener = (settings.revocation_push && url.starts_with("postgres")).then(|| {
        let ping = Duration::from_millis(settings.revocation_ping_ms);
        infra::revocation_listener::Listener::new(
            &url,
            db.clone(),
            infra::revocation::Revocations::new(3 * ping),
            ping,
            Duration::from_millis(settings.revocation_retry_ms),
        )
    });
    let sealer = settings.sealer()?;
    let clock: Arc<dyn domain::clock::Clock> = Arc::new(infra::clock::SystemClock);
    let (tokens, signing_keys) = crate::signing::token_codec(settings, &db, sealer.clone(), clock.clone()).await?;
    // With revocation push, users and sessions answer from the node's memory.
    let (users, sessions): (Arc<dyn domain::ports::UserRepo>, Arc<dyn domain::ports::SessionRepo>) = {
        let (users, sessions) =
            (infra::users::SqlUserRepo::new(db.clone()), infra::sessions::SqlSessionRepo::new(db.clone()));
        match &listener {
            Some(l) => (
                Arc::new(infra::pushed_users::PushedUsers::new(users, l.memory())),
                Arc::new(infra::revocation::PushedSessions::new(sessions, l.memory())),
            ),
            None => (Arc::new(users), Arc::new(sessions)),
        }
    };
    let ports = Ports {
        users,
        sessions,
        otps: Arc::new(infra::otps::SqlOtpRepo::new(db.clone(), doorbell.clone())),
        finisher: Arc::new(infra::login_finish::SqlLoginFinisher::new(db.clone())),
        hasher: Arc::new(
            infra::hasher::Argon2Hasher::new(Default::default(), settings.hash_concurrency.unwrap_or(cores))?.max_wait(
                (settings.hash_queue_max_wait_ms > 0).then(|| Duration::from_millis(settings.hash_queue_max_wait_ms)),
            ),
        ),
        tokens,
        keyed_hasher: Arc::new(infra::keyed_hash::HmacKeyedHasher::derived_from(secret)),
        notifier: Arc::new(crate::senders::build(settings)?),
        outbox: Arc::new(infra::outbox::SqlOutbox::new(db.clone())),
        audit: Arc::new(infra::audit::SqlAuditLog::new(db.clone())),
        throttle: Arc::new(infra::throttle::SqlThrottleStore::new(db.clone())),
        purge: Arc::new(infra::purge::SqlPurgeStore::new(db.clone())),
        totp: Arc::new(infra::totp::SqlTotpRepo::new(db.clone())),
        recovery_codes: Arc::new(infra::recovery_codes::SqlRecoveryCodeRepo::new(db.clone())),
        apps: Arc::new(infra::apps::SqlAppRepo::new(db.clone())),
        sealer,
        clock,
        rng: Arc::new(infra::rng::OsRng),
    };
    Ok(Node { services: Services::new(ports, settings.policy()), db, doorbell, listener, signing_keys })
}

/// Every operation of the API.
type Operations = (AuthApi, UsersApi, MySessionsApi, PhoneApi, SecondFactorsApi, AdminApi, AppsApi, VerificationsApi);

pub fn openapi() -> OpenApiService<Operations, ()> {
    OpenApiService::new((AuthApi, UsersApi, MySessionsApi, PhoneApi, SecondFactorsApi, AdminApi, AppsApi, VerificationsApi), "authd", env!("CARGO_PKG_VERSION"))
        .description(
            "Two-factor authentication service: password login, authenticator apps, recovery codes and mailed one-time codes, access and refresh tokens.",
        )
        .server("/api/v1")
}

/// Every route: the API, its spec and explorers, and health checks, with the
/// body limit, security headers and (when origins are configured) CORS.
pub fn routes(
    services: Services,
    db: Database,
    signing_keys: Option<Arc<infra::signing_keys::SigningKeys>>,
    settings: &Settings,
) -> anyhow::Result<impl Endpoint<Output = Response> + use<>> {
    let proxies = TrustedProxies::parse(&settings.trusted_proxies)?;
    // Before anything records: metrics recorded earlier would be lost.
    crate::metrics::handle();
    let origins = settings.cors_origins();
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
    if settings.hsts_seconds > 0 {
        let hsts = format!("max-age={}; includeSubDomains", settings.hsts_seconds);
        headers.push((header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_str(&hsts)?));
    }
    let body = BodyLimits { bytes: settings.body_limit, time: Duration::from_millis(settings.body_timeout_ms) };
    let api = openapi();
    let doc = Arc::new(crate::v1::openapi::Document::new(&api.spec(), "/api/v1")?);
    let layer = Arc::new(HttpLayer { body, headers, proxies: proxies.clone(), doc: doc.clone() });
    let spec = poem::endpoint::make_sync(move |_| {
        Response::builder().content_type("application/json; charset=utf-8").body(doc.json().to_owned())
    });
    let swagger = api.swagger_ui();
    let scalar = api.scalar();
    let published =
        crate::signing::Published { keys: signing_keys, max_age_seconds: settings.jwt_key_publish_seconds / 2 };
    let mut route = Route::new();
    if settings.metrics_listen.is_none() {
        route = route.at("/metrics", crate::metrics::scrape.data(db.clone()));
    }
    if settings.ui {
        let secret = settings.jwt_secret_bytes()?;
        let ui = crate::ui::UiConfig {
            csrf: infra::csrf::CsrfKey::derived_from(secret.expose_secret().as_bytes()),
            production: settings.env == crate::config::RunEnv::Production,
        };
        route = route.nest("/ui", crate::ui::routes(ui));
    }
    Ok(route
        .nest("/api/v1", api)
        .at("/openapi.json", spec)
        .nest("/docs/swagger", swagger)
        .nest("/docs/scalar", scalar)
        .at("/docs", docs_index)
        .at("/health/live", crate::health::live)
        .at("/health/ready", crate::health::ready.data(db.clone()))
        .at("/.well-known/jwks.json", crate::signing::jwks.data(published))
        .data(Arc::new(crate::state::AppState { services, proxies }))
        .around(move |ep, req| layer.clone().call(ep, req))
        .with_if(!origins.is_empty(), cors))
}

/// What every request goes through, in one layer rather than a stack of
/// middlewares (each of which boxes and moves the whole request future): its
/// span and access-log line, the header and body limits, problem details for
/// framework errors (with `Allow` on a 405), the request id and security headers.
struct HttpLayer {
    body: BodyLimits,
    headers: Vec<(HeaderName, HeaderValue)>,
    proxies: TrustedProxies,
    doc: Arc<crate::v1::openapi::Document>,
}

impl HttpLayer {
    async fn call<E: Endpoint>(self: Arc<Self>, ep: Arc<E>, req: Request) -> poem::Result<Response> {
        // Boxed here, the request's future is moved as a pointer through
        // the layers above (task-local scope, `Around`, poem's dyn endpoint)
        // instead of being copied whole at each (about 6 KB; perf put those
        // copies at 9% of a token check).
        request_log::with_caller(Box::pin(self.serve(ep, req))).await
    }

    async fn serve<E: Endpoint>(&self, ep: Arc<E>, req: Request) -> poem::Result<Response> {
        let started = std::time::Instant::now();
        let method = req.method().clone();
        let id = request_log::request_id(&req, &self.proxies);
        let span = request_log::span(&req, &id);
        let docs = req.uri().path().starts_with("/docs");
        let pages = req.uri().path().starts_with("/ui");
        let uri = req.uri().clone();
        let (mut resp, route) = async {
            if let Some(refused) = headers_too_large(&req) {
                return (refused, None);
            }
            match crate::body_limit::limit_body(self.body, req).await {
                // Boxed as well: the route's future (about 3.6 KB) would
                // otherwise make up most of this one.
                Ok(req) => match Box::pin(ep.call(req)).await {
                    Ok(r) => {
                        let r = r.into_response();
                        let route = r.data::<PathPattern>().map(|p| p.0.clone());
                        (r, route)
                    }
                    Err(e) => {
                        let route = e.data::<PathPattern>().map(|p| p.0.clone());
                        (problem_from_poem(e), route)
                    }
                },
                Err(refused) => (refused, None),
            }
        }
        .instrument(span.clone())
        .await;
        request_log::answered(&span, &resp, route.as_deref(), started);
        crate::metrics::observe_request(&method, route.as_ref(), resp.status(), started.elapsed());
        if resp.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
            && let Some(allow) = self.doc.allow(uri.path())
        {
            resp.headers_mut().insert(header::ALLOW, allow.clone());
        }
        let h = resp.headers_mut();
        h.insert(request_log::REQUEST_ID, id);
        for (name, value) in &self.headers {
            // A route that may be cached (the JWKS) says so itself.
            if name == header::CACHE_CONTROL && h.contains_key(header::CACHE_CONTROL) {
                continue;
            }
            h.insert(name.clone(), value.clone());
        }
        // JSON answers load nothing and frame nothing; the pages load their
        // stylesheet; the explorers under /docs run scripts, so they go
        // without a policy.
        if pages {
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::ui::CSP));
            // Under `no-referrer` a browser posts forms with `Origin: null`;
            // `same-origin` lets the pages' forms name their origin (checked
            // with the CSRF token) and still tells other sites nothing.
            h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        } else if !docs {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
            );
        }
        Ok(resp)
    }
}

/// The most header bytes (names and values) a request may carry: generous
/// for a bearer token, a few cookies and a proxy's additions. Past it, a 431
/// problem; past hyper's own read buffer (about 400 KB) or 100 header
/// fields, hyper answers an empty 431 before the request reaches here.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The 431 for a request whose header fields are past [`MAX_HEADER_BYTES`].
fn headers_too_large(req: &Request) -> Option<Response> {
    let bytes: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if bytes <= MAX_HEADER_BYTES {
        return None;
    }
    let p = crate::error::Problem::new(
        poem::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
        format!("The request's header fields take {bytes} bytes; at most {MAX_HEADER_BYTES} are accepted."),
    );
    let mut resp = p.into_response();
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(resp)
}

#[handler]
fn docs_index() -> poem::web::Html<&'static str> {
    poem::web::Html(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>authd API</title></head><body>
<h1>authd API</h1><ul><li><a href="/docs/swagger">Swagger UI</a></li><li><a href="/docs/scalar">Scalar</a></li><li><a href="/openapi.json">OpenAPI document</a></li></ul>
</body></html>"#,
    )
}
