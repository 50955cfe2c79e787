//! `authd serve`: the node's listeners, workers and first administrator,
//! until SIGTERM or Ctrl-C, then the drain.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::admin::Bootstrap;
use poem::EndpointExt;

use crate::config::Settings;
use crate::http::per_address::PerAddress;

/// Serves until SIGTERM or Ctrl-C: starts the node's listeners and
/// workers, makes the first administrator when asked, then drains.
pub async fn serve(mut settings: Settings) -> anyhow::Result<()> {
    // Bound first, so that links in mail name the port it got (port 0).
    let socket = tokio::net::TcpListener::bind(settings.server.listen.as_str())
        .await
        .with_context(|| format!("cannot listen on {} (AUTHD_LISTEN)", settings.server.listen))?;
    let addr = socket.local_addr()?;
    settings.server.public_url = Some(settings.server.public_url(Some(addr.port())));
    let crate::boot::node::Node { services, db, doorbell, listener, signing_keys } =
        crate::boot::node::build_services(&settings).await?;
    if let Some(listener) = listener {
        listener.spawn();
    }
    signing_keys.spawn_reload(Duration::from_millis(settings.tokens.jwt_keys_reload_ms));
    if let Some(form) = settings.bootstrap.admin() {
        let outcome = services
            .admin
            .bootstrap_admin(form, true)
            .await
            .context("AUTHD_BOOTSTRAP_ADMIN_* could not make the first administrator")?;
        match outcome {
            Bootstrap::Created(u) => tracing::info!(user = %u.username, "created the first administrator"),
            Bootstrap::Promoted(u) => tracing::info!(user = %u.username, "promoted the first administrator"),
            Bootstrap::AdminExists => tracing::debug!("an administrator exists; AUTHD_BOOTSTRAP_ADMIN_* left alone"),
        }
    }
    crate::boot::worker::spawn(
        &services,
        doorbell,
        Duration::from_millis(settings.delivery.delivery_poll_ms),
        Duration::from_millis(settings.database.purge_interval_ms),
    );
    crate::http::metrics::spawn_upkeep();
    let app = crate::routes::routes(services, db.clone(), signing_keys, &settings)?;
    let limits = crate::boot::server::Limits {
        header_timeout: Duration::from_millis(settings.server.header_timeout_ms),
        keep_alive_timeout: Duration::from_millis(settings.server.keep_alive_timeout_ms),
        max_connections: crate::boot::server::max_connections(&settings.server),
        shutdown_grace: Duration::from_millis(settings.server.shutdown_grace_ms),
    };
    let per_address = |limits: &crate::boot::server::Limits| per_address(&settings.server, limits.max_connections);
    tracing::info!(
        max_connections = limits.max_connections,
        "authd listening on http://{addr} (API explorer: http://{addr}/docs)"
    );
    // `/metrics` on an address of its own, when one is set, under the same
    // limits and drained by the same signal.
    let metrics = match &settings.server.metrics_listen {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address.as_str())
                .await
                .with_context(|| format!("cannot listen on {address} (AUTHD_METRICS_LISTEN)"))?;
            tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
            let ep = crate::http::metrics::routes(db).boxed();
            Some(tokio::spawn(crate::boot::server::serve(
                listener,
                ep,
                limits,
                per_address(&limits)?,
                shutdown_signal(),
            )))
        }
        None => None,
    };
    crate::boot::server::serve(socket, app.boxed(), limits, per_address(&limits)?, shutdown_signal()).await?;
    if let Some(metrics) = metrics {
        metrics.await??;
    }
    Ok(())
}

/// The per-address bound of the settings (`AUTHD_MAX_CONNECTIONS_PER_ADDRESS`,
/// its reserve) out of `max_connections`, trusted proxies exempt: for the
/// connections of each listener, and for the requests forwarded by those
/// proxies (`routes`).
pub fn per_address(server: &crate::config::Server, max_connections: usize) -> anyhow::Result<Arc<PerAddress>> {
    use crate::http::per_address::{default_per_address, reserve};
    let limit = server.max_connections_per_address.unwrap_or(default_per_address(max_connections));
    let proxies = server.trusted_proxies().map_err(anyhow::Error::msg)?;
    Ok(PerAddress::with_capacity(limit, reserve(max_connections), max_connections, proxies))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
