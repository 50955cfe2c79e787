//! `/metrics`: Prometheus text whose counters move with what happens.

use serde_json::json;

use crate::harness::Server;

/// Every line is a comment (`# HELP`, `# TYPE`) or `name{labels} value`.
fn assert_exposition_format(text: &str) {
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(comment.starts_with("HELP ") || comment.starts_with("TYPE "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        assert!(value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value), "value of {line}");
        let name = series.split('{').next().unwrap();
        assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "{line}");
        assert!(!name.starts_with(|c: char| c.is_ascii_digit()), "{line}");
        if series.len() > name.len() {
            assert!(series.ends_with('}') && series.matches('{').count() == 1, "labels of {line}");
        }
    }
}

pub(crate) async fn scrape(s: &Server) -> prometheus_parse::Scrape {
    let r = s.http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let kind = r.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let text = r.text().await.unwrap();
    assert_exposition_format(&text);
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

/// The value of the series `name` with (at least) these labels; 0 when absent.
pub(crate) fn value(s: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.samples
        .iter()
        .filter(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            other => panic!("{name} is not a number: {other:?}"),
        })
        .sum()
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_their_counters_move_with_requests() {
    let s = Server::start().await;
    let user = s.register("metered", false).await;
    let before = scrape(&s).await;
    s.post("/auth/token", None, json!({"username": user.username, "password": "not-the-password-1"}))
        .await
        .problem(400, "invalid_credentials");
    s.tokens(&user).await;
    let after = scrape(&s).await;
    // Other tests may share a remote server: counters only ever grow, so "moved" is ≥.
    let moved = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    let token_route = [("method", "POST"), ("route", "/api/v1/auth/token")];
    assert!(moved("authd_http_requests_total", &[token_route[0], token_route[1], ("status", "200")]) >= 1.0);
    assert!(moved("authd_http_requests_total", &[token_route[0], token_route[1], ("status", "400")]) >= 1.0);
    assert!(moved("authd_events_total", &[("kind", "login_succeeded")]) >= 1.0);
    assert!(moved("authd_events_total", &[("kind", "login_failed")]) >= 1.0);
    assert!(moved("authd_refusals_total", &[("code", "invalid_credentials")]) >= 1.0);
    let latency = after
        .samples
        .iter()
        .find(|x| {
            x.metric == "authd_http_request_duration_seconds" && x.labels.get("route") == Some("/api/v1/auth/token")
        })
        .expect("a latency histogram per route");
    assert!(matches!(&latency.value, prometheus_parse::Value::Histogram(b) if b.len() >= 10), "{:?}", latency.value);
    assert!(
        after.samples.iter().any(|x| x.metric == "authd_db_pool_connections" && x.labels.get("state") == Some("idle"))
    );
    assert!(after.samples.iter().any(|x| x.metric == "authd_hash_queue_depth"), "the hashing queue is measured");
    assert!(
        after.samples.iter().all(|x| x.labels.get("route").is_none_or(|r| !r.contains(&user.id))),
        "ids never become labels"
    );
}

#[tokio::test]
async fn a_client_cannot_grow_the_request_series_with_made_up_methods_or_paths() {
    let s = Server::start().await;
    let before = scrape(&s).await;
    for i in 0..5 {
        let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
        s.http.request(method, s.url(&format!("/junk-{i}"))).send().await.unwrap();
        s.http.get(s.url(&format!("/api/v1/junk-{i}"))).send().await.unwrap();
    }
    let after = scrape(&s).await;
    let series = |x: &prometheus_parse::Sample| x.metric == "authd_http_requests_total";
    assert!(after.samples.iter().filter(|x| series(x)).all(|x| {
        let (method, route) = (x.labels.get("method").unwrap_or(""), x.labels.get("route").unwrap_or(""));
        !method.starts_with("BREW") && !route.contains("junk")
    }));
    let other = value(&after, "authd_http_requests_total", &[("method", "OTHER")])
        - value(&before, "authd_http_requests_total", &[("method", "OTHER")]);
    assert!(other >= 5.0, "made-up methods are counted under OTHER");
}

#[tokio::test]
async fn with_a_metrics_address_the_metrics_are_served_there_and_not_beside_the_api() {
    crate::harness::local_only!("needs AUTHD_METRICS_LISTEN");
    let s = Server::start_with(&[("AUTHD_METRICS_LISTEN", "127.0.0.1:0")]).await;
    let line = s
        .log_line("the metrics address", |l| {
            l["fields"]["message"].as_str().is_some_and(|m| m.starts_with("metrics on http://"))
        })
        .await;
    let url = line["fields"]["message"].as_str().unwrap().trim_start_matches("metrics on ").to_owned();
    assert_eq!(s.http.get(s.url("/metrics")).send().await.unwrap().status(), 404, "not on the API's address");
    s.tokens(&s.register("scraped", false).await).await;
    let text = s.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert_exposition_format(&text);
    assert!(text.contains("authd_events_total{kind=\"login_succeeded\""), "{text}");
}
