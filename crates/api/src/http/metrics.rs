//! Prometheus metrics at `/metrics`, in the text exposition format. One
//! recorder per process (the `metrics` facade's), so every part of authd
//! records with the `metrics` macros and this module only renders:
//!
//! - `authd_http_requests_total{method,route,status}` and
//!   `authd_http_request_duration_seconds{method,route}` (histogram), from
//!   the one HTTP layer (`app.rs`); `route` is the matched pattern
//!   (`/api/v1/users/:id`), or `unmatched`, so ids never become labels;
//! - `authd_events_total{kind,method}`: committed security events (logins by
//!   outcome, codes sent, verified and failed by method, lockouts,
//!   deliveries by channel), counted in `infra/src/audit.rs`;
//! - `authd_refusals_total{code}`: every refusal by its problem code (rate
//!   limits, locks, wrong codes), counted where domain errors are mapped;
//! - `authd_hash_queue_depth`, `authd_hash_queue_wait_seconds`: the password
//!   hashing queue (`infra/src/hasher.rs`);
//! - `authd_db_pool_connections{state="in_use"|"idle"}`: sampled at each scrape.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock, RwLock};
use std::time::Duration;

use metrics::SharedString;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::http::{Method, StatusCode};
use poem::{Response, handler};

/// Bucket bounds of the latency histograms, in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder on first use (every server started in
/// one process, as tests do, shares it) and returns what renders it.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the bucket list is not empty")
            .install_recorder()
            .expect("authd installs the only metrics recorder");
        describe();
        handle
    })
}

/// How often the histograms fold the samples recorded since into their
/// buckets. The recorder keeps every sample until then: without upkeep a
/// node that is never scraped would keep 8 bytes per request for ever.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Starts the histograms' upkeep; it ends with the process.
pub fn spawn_upkeep() {
    let handle = handle();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    });
}

/// The `# HELP` line of each metric.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("authd_http_requests_total", "Requests answered, by method, route pattern and status.");
    describe_histogram!(
        "authd_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request, by method and route pattern."
    );
    describe_counter!("authd_events_total", "Security events committed, by kind and the method or channel they name.");
    describe_counter!("authd_refusals_total", "Requests refused by a use case, by problem code.");
    describe_gauge!("authd_hash_queue_depth", "Password hashes queued or running.");
    describe_histogram!(
        "authd_hash_queue_wait_seconds",
        Unit::Seconds,
        "Time a password hash waited for a hashing thread."
    );
    describe_gauge!("authd_db_pool_connections", "Database pool connections, in use or idle, at the last scrape.");
    describe_gauge!(
        "authd_revocation_listener_connected",
        "1 while the revocation listener is caught up and token checks answer from memory; 0 while they read the database."
    );
    describe_gauge!(
        "authd_revocation_listener_lag_seconds",
        Unit::Seconds,
        "The revocation listener's last ping, from sending it to hearing it back."
    );
}

/// Counts one answered request and its latency, through handles made once
/// per method, route and status (the registry's own lookup built a key of
/// owned labels for every request). Every part of the key is bounded: the
/// route is a template (or `unmatched`) and a method outside HTTP's own is
/// `OTHER`, so no client can grow the series.
pub fn observe_request(method: &Method, route: Option<&Arc<str>>, status: StatusCode, took: Duration) {
    let key = (method_index(method), route.cloned(), status.as_u16());
    let found = REQUESTS.read().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
    let (duration, count) = match found {
        Some(handles) => handles,
        None => {
            let handles = request_handles(key.0, key.1.clone(), status);
            REQUESTS.write().unwrap_or_else(|e| e.into_inner()).insert(key, handles.clone());
            handles
        }
    };
    duration.record(took.as_secs_f64());
    count.increment(1);
}

type RequestKey = (usize, Option<Arc<str>>, u16);

static REQUESTS: LazyLock<RwLock<HashMap<RequestKey, (metrics::Histogram, metrics::Counter)>>> =
    LazyLock::new(Default::default);

const METHODS: [(Method, &str); 9] = [
    (Method::GET, "GET"),
    (Method::POST, "POST"),
    (Method::PATCH, "PATCH"),
    (Method::DELETE, "DELETE"),
    (Method::PUT, "PUT"),
    (Method::HEAD, "HEAD"),
    (Method::OPTIONS, "OPTIONS"),
    (Method::CONNECT, "CONNECT"),
    (Method::TRACE, "TRACE"),
];

/// The method's place in [`METHODS`]; `METHODS.len()` for any other.
fn method_index(method: &Method) -> usize {
    METHODS.iter().position(|(m, _)| m == method).unwrap_or(METHODS.len())
}

fn request_handles(
    method: usize,
    route: Option<Arc<str>>,
    status: StatusCode,
) -> (metrics::Histogram, metrics::Counter) {
    let method = SharedString::const_str(METHODS.get(method).map_or("OTHER", |(_, name)| name));
    let route: SharedString = route.map_or(SharedString::const_str("unmatched"), SharedString::from);
    let status = SharedString::from(status.as_str().to_owned());
    (
        metrics::histogram!("authd_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone()),
        metrics::counter!("authd_http_requests_total", "method" => method, "route" => route, "status" => status),
    )
}

/// What `AUTHD_METRICS_LISTEN` serves: `/metrics` alone.
pub fn routes(db: infra::Database) -> impl poem::Endpoint<Output = Response> {
    use poem::EndpointExt;
    poem::Route::new().at("/metrics", scrape).data(db).map_to_response()
}

/// `GET /metrics`.
#[handler]
pub fn scrape(db: poem::web::Data<&infra::Database>) -> Response {
    let (size, idle) = infra::db::pool_load(&db);
    metrics::gauge!("authd_db_pool_connections", "state" => "in_use").set(f64::from(size) - idle as f64);
    metrics::gauge!("authd_db_pool_connections", "state" => "idle").set(idle as f64);
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle().render())
}
