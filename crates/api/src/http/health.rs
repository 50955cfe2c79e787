//! Health: `/health/live` (the process answers) and `/health/ready` (and its
//! database does), and `authd health`, the client a container's
//! HEALTHCHECK runs (the image has no curl).

use std::time::Duration;

use anyhow::{Context, bail};
use infra::Database;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::http::error::Problem;

#[handler]
pub fn live() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// How long `/health/ready` waits for the database: a load balancer's probe
/// gets its answer well within its own timeout.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

#[handler]
pub async fn ready(db: Data<&Database>) -> Response {
    if infra::db::ping(&db, READY_TIMEOUT).await {
        Json(serde_json::json!({ "status": "ok" })).into_response()
    } else {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", "The database does not answer.")
            .into_response()
    }
}

/// How long `authd health` waits for the whole answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Asks the server listening on `listen` (AUTHD_LISTEN; a wildcard address
/// is asked on loopback) for `/health/ready`; Ok when it answers 200.
pub async fn probe(listen: &str) -> anyhow::Result<()> {
    let addr: std::net::SocketAddr =
        listen.parse().with_context(|| format!("AUTHD_LISTEN={listen} is not an address and port"))?;
    let target = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::SocketAddr::from(([127, 0, 0, 1], addr.port())),
        ip if ip.is_unspecified() => std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())),
        _ => addr,
    };
    let answer = tokio::time::timeout(PROBE_TIMEOUT, async {
        let mut stream = tokio::net::TcpStream::connect(target).await?;
        let request = format!("GET /health/ready HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    })
    .await
    .with_context(|| format!("http://{target}/health/ready did not answer within {} s", PROBE_TIMEOUT.as_secs()))?
    .with_context(|| format!("cannot ask http://{target}/health/ready"))?;
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        bail!("http://{target}/health/ready answered {status_line:?}");
    }
    Ok(())
}
