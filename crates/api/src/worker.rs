//! What every node does in the background: send queued messages (the
//! courier) and purge idle throttle counters. Both are safe to run on every
//! node at once; neither holds a request.

use std::time::Duration;

use domain::Services;
use infra::outbox::Doorbell;

/// Starts the background tasks; they end with the process.
pub fn spawn(services: &Services, doorbell: Doorbell, poll: Duration) {
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
    let purger = services.throttle.clone();
    tokio::spawn(async move {
        // Idle throttle counters (unknown names tried once, old windows) go after a day.
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = purger.purge().await {
                tracing::warn!(error = %e, "purging throttle counters failed");
            }
        }
    });
}
