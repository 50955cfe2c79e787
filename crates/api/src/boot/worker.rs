//! What every node does in the background: send queued messages (the
//! courier) and purge finished data (the janitor: sessions, codes, messages,
//! old events, idle throttle counters). Both are safe to run on every node at
//! once; neither holds a request.

use std::time::Duration;

use domain::Services;
use infra::outbox::Doorbell;

/// Starts the background tasks; they end with the process.
pub fn spawn(services: &Services, doorbell: Doorbell, poll: Duration, purge_every: Duration) {
    let courier = services.courier.clone();
    tokio::spawn(async move {
        loop {
            match courier.run_once().await {
                // A full batch: more may be due right now.
                Ok(round) if round.claimed > 0 && round.claimed as u32 >= courier.batch() => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "claiming queued messages failed"),
            }
            // Woken at once by a message queued on this node; messages
            // queued on other nodes and retries come due by the poll.
            tokio::select! {
                _ = doorbell.rung() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    });
    let janitor = services.janitor.clone();
    tokio::spawn(async move {
        // The first round runs at start, then one every `purge_every`.
        let mut every = tokio::time::interval(purge_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match janitor.run_once().await {
                Ok(p) if p.total() > 0 => tracing::info!(
                    sessions = p.sessions,
                    challenges = p.challenges,
                    messages = p.messages,
                    events = p.events,
                    throttles = p.throttles,
                    oidc_requests = p.authorize_requests,
                    oidc_codes = p.authorization_codes,
                    sms_prefixes = p.sms_prefixes,
                    "purged finished data"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purging finished data failed"),
            }
        }
    });
}
