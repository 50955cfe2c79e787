//! Hears every session's end from PostgreSQL (`LISTEN` on the channel the
//! `sessions` triggers notify, migration `m20261201_000013`), and every
//! user row's change on the same channel (`user:<id>`, migration
//! `m20261201_000015`), and tells this node's [`Revocations`] memory.
//!
//! The listener proves it is caught up by pinging itself: every
//! `ping_every` it sends `NOTIFY` over the pool, and PostgreSQL delivers
//! notifications in commit order, so hearing the ping back means every
//! revocation committed before it was sent has been heard. The memory is
//! trusted only while such a proof is recent. A lost connection, an error
//! or a ping not back within `2 × ping_every` makes the node forget what it
//! knew and check the database on every request until it has reconnected,
//! listened again and heard a new ping.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::user::UserId;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::db::{Database, execute};
use crate::revocation::Revocations;

/// How long a reconnection may wait before trying again, at most.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// `authd_revocation_listener_connected`: 1 while the memory is trusted.
const CONNECTED: &str = "authd_revocation_listener_connected";
/// `authd_revocation_listener_lag_seconds`: the last ping's round trip.
const LAG: &str = "authd_revocation_listener_lag_seconds";

pub struct Listener {
    url: String,
    pool: Database,
    memory: Arc<Revocations>,
    ping_every: Duration,
    first_retry: Duration,
}

impl Listener {
    /// Listens on the database at `url` (PostgreSQL), pinging through `pool`.
    pub fn new(
        url: &str,
        pool: Database,
        memory: Arc<Revocations>,
        ping_every: Duration,
        first_retry: Duration,
    ) -> Self {
        Self { url: url.to_owned(), pool, memory, ping_every, first_retry }
    }

    /// The memory this listener keeps up to date.
    pub fn memory(&self) -> Arc<Revocations> {
        self.memory.clone()
    }

    /// The name the listener's connection carries in `pg_stat_activity`.
    pub fn application_name() -> String {
        format!("authd revocation listener {}", std::process::id())
    }

    /// Runs until the process ends, reconnecting with backoff.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        metrics::gauge!(CONNECTED).set(0.0);
        tokio::spawn(self.run())
    }

    async fn run(self) {
        let mut retry = self.first_retry;
        // The memory starts untrusted, and `spawn` set the gauge to 0.
        loop {
            let why = match self.connect().await {
                Ok(listener) => {
                    retry = self.first_retry;
                    self.watch(listener).await
                }
                Err(e) => format!("cannot listen: {e}"),
            };
            self.memory.forget();
            metrics::gauge!(CONNECTED).set(0.0);
            tracing::warn!(
                reason = %why,
                retry_in_ms = retry.as_millis() as u64,
                "revocation listener lost; checking the database on every request until it is back"
            );
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(MAX_RETRY);
        }
    }

    async fn connect(&self) -> Result<PgListener, sea_orm::sqlx::Error> {
        let options: PgConnectOptions = self.url.parse()?;
        let options = options.application_name(&Self::application_name());
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.ignore_pool_close_event(true);
        listener.eager_reconnect(false);
        listener.listen(migration::SESSION_ENDED_CHANNEL).await?;
        Ok(listener)
    }

    /// Applies what the listener hears until it is lost; returns why.
    async fn watch(&self, mut listener: PgListener) -> String {
        // The receiving runs in a task of its own that is never cancelled
        // mid-message; this loop reads its channel and keeps time.
        let (tx, mut rx) = mpsc::channel::<Result<String, String>>(1024);
        let receiver = tokio::spawn(async move {
            loop {
                let heard = match listener.try_recv().await {
                    Ok(Some(n)) => Ok(n.payload().to_owned()),
                    Ok(None) => Err("the connection was closed".to_owned()),
                    Err(e) => Err(e.to_string()),
                };
                let lost = heard.is_err();
                if tx.send(heard).await.is_err() || lost {
                    return;
                }
            }
        });
        let me = Uuid::new_v4();
        let mut seq = 0u64;
        let mut pending: Option<(String, Instant)> = None;
        let mut tick = tokio::time::interval(self.ping_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut caught_up_once = false;
        let why = loop {
            tokio::select! {
                heard = rx.recv() => match heard {
                    Some(Ok(payload)) => {
                        if let Ok(id) = Uuid::parse_str(&payload) {
                            self.memory.ended(id);
                        } else if let Some(Ok(id)) =
                            payload.strip_prefix(migration::USER_CHANGED_PREFIX).map(Uuid::parse_str)
                        {
                            self.memory.users().changed(UserId(id));
                        } else if let Some((expected, sent)) = &pending
                            && *expected == payload
                        {
                            self.memory.heard_up_to(*sent);
                            metrics::gauge!(LAG).set(sent.elapsed().as_secs_f64());
                            metrics::gauge!(CONNECTED).set(1.0);
                            if !caught_up_once {
                                caught_up_once = true;
                                tracing::info!("revocation listener caught up; token checks answer from memory");
                            }
                            pending = None;
                        }
                        // Another node's ping: nothing to do.
                    }
                    Some(Err(e)) => break e,
                    None => break "the receiver stopped".to_owned(),
                },
                _ = tick.tick() => match &pending {
                    Some((_, sent)) if sent.elapsed() > 2 * self.ping_every => {
                        break format!("no ping came back within {} ms", (2 * self.ping_every).as_millis());
                    }
                    Some(_) => {}
                    None => {
                        seq += 1;
                        let payload = format!("ping {me} {seq}");
                        let sent = Instant::now();
                        let sql = "SELECT pg_notify($1, $2)";
                        let values = vec![migration::SESSION_ENDED_CHANNEL.into(), payload.clone().into()];
                        match tokio::time::timeout(2 * self.ping_every, execute(&self.pool, sql, values)).await {
                            Ok(Ok(_)) => pending = Some((payload, sent)),
                            Ok(Err(e)) => break format!("cannot send a ping: {e}"),
                            Err(_) => break "sending a ping took too long".to_owned(),
                        }
                    }
                },
            }
        };
        receiver.abort();
        why
    }
}
