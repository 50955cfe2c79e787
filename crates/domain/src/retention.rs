//! Data lifecycle: what authd deletes once nothing can use it any more, and
//! how long it keeps security events. Every node runs [`Janitor::run_once`]
//! on a schedule; the store deletes a bounded batch per statement and
//! concurrent nodes pass over each other's rows, so they never fight.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::Result;
use crate::clock::{Clock, span};
use crate::ports::{PurgeStore, Purgeable};
use crate::throttle::Throttle;

/// How long finished data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Security events older than this are deleted; `None` keeps them forever.
    pub events: Option<Duration>,
    /// Rows deleted per statement: short transactions, short locks.
    pub batch: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self { events: Some(Duration::from_secs(365 * 24 * 3600)), batch: 1000 }
    }
}

/// How long after its code expired a message is kept: longer than any
/// courier's claim on it, so a row is never deleted under a send.
pub const MESSAGE_GRACE: Duration = Duration::from_secs(3600);

/// How long after it expired an authorization code is kept: a second
/// redemption within it is still told apart as a replay (and ends the
/// session the first one opened), not taken for an unknown code.
pub const CODE_REPLAY_GRACE: Duration = Duration::from_secs(3600);

/// What one round deleted, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub challenges: u64,
    pub ceremonies: u64,
    pub trusted_devices: u64,
    pub messages: u64,
    pub events: u64,
    pub throttles: u64,
    /// OpenID Connect authorization requests and codes.
    pub authorize_requests: u64,
    pub authorization_codes: u64,
    pub sms_prefixes: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.challenges
            + self.ceremonies
            + self.trusted_devices
            + self.messages
            + self.events
            + self.throttles
            + self.authorize_requests
            + self.authorization_codes
            + self.sms_prefixes
    }
}

/// How long an SMS guard prefix stays after its last code (and its block):
/// a day, so a prefix blocked again within a day is blocked for longer.
const PREFIX_IDLE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Deletes finished sessions, challenges, passkey ceremonies, expired
/// trusted devices, messages, old events, idle throttle counters, expired
/// OpenID Connect requests and codes, and idle SMS guard prefixes.
#[derive(Clone)]
pub struct Janitor {
    pub store: Arc<dyn PurgeStore>,
    pub throttle: Throttle,
    pub clock: Arc<dyn Clock>,
    pub retention: Retention,
}

impl Janitor {
    /// One round: each kind in batches until a batch comes back short.
    pub async fn run_once(&self) -> Result<Purged> {
        let now = self.clock.now();
        Ok(Purged {
            sessions: self.drain(Purgeable::Sessions, now).await?,
            challenges: self.drain(Purgeable::Challenges, now).await?,
            ceremonies: self.drain(Purgeable::Ceremonies, now).await?,
            trusted_devices: self.drain(Purgeable::TrustedDevices, now).await?,
            messages: self.drain(Purgeable::Messages, now - span(MESSAGE_GRACE)).await?,
            events: match self.retention.events {
                Some(keep) => self.drain(Purgeable::Events, now - span(keep)).await?,
                None => 0,
            },
            throttles: self.throttle.purge().await?,
            authorize_requests: self.drain(Purgeable::AuthorizeRequests, now).await?,
            authorization_codes: self.drain(Purgeable::AuthorizationCodes, now - span(CODE_REPLAY_GRACE)).await?,
            sms_prefixes: self.drain(Purgeable::SmsPrefixes, now - span(PREFIX_IDLE)).await?,
        })
    }

    /// Deletes `what` finished before `before`, a batch at a time.
    async fn drain(&self, what: Purgeable, before: DateTime<Utc>) -> Result<u64> {
        let mut deleted = 0;
        loop {
            let n = self.store.purge(what, before, self.retention.batch).await?;
            deleted += n;
            if n < u64::from(self.retention.batch) {
                return Ok(deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::policy::Policy;
    use crate::testing::world::{GOOD_PASSWORD, World};

    fn world(events: Option<Duration>) -> World {
        // A batch of 2 makes every round loop over several batches.
        World::with_policy(Policy { retention: Retention { events, batch: 2 }, ..Policy::default() })
    }

    async fn login(w: &World, name: &str) {
        w.login.login(&w.from, name, &GOOD_PASSWORD.into()).await.unwrap();
    }

    fn counts(w: &World) -> (usize, usize, usize, usize) {
        let t = w.db.tables();
        (t.sessions.len(), t.otps.len(), t.deliveries.len(), t.audit.len())
    }

    #[tokio::test]
    async fn a_purge_round_deletes_what_nothing_can_use_any_more_and_keeps_the_rest() {
        let w = world(Some(Duration::from_secs(40 * 24 * 3600)));
        w.register("ada", true).await;
        let bob = w.register("bob", false).await;
        for _ in 0..5 {
            login(&w, "bob").await;
        }
        login(&w, "ada").await;
        w.sessions.revoke_all(bob.id, None).await.unwrap();
        login(&w, "bob").await;
        let events = counts(&w).3;
        assert_eq!(counts(&w), (6, 1, 1, events));

        w.clock.advance(Duration::from_secs(1));
        let round = w.janitor.run_once().await.unwrap();
        assert_eq!((round.sessions, round.challenges, round.messages, round.events), (5, 0, 0, 0), "the revoked");
        assert_eq!(counts(&w), (1, 1, 1, events), "the live session and the open code stay");

        w.clock.advance(Duration::from_secs(5 * 60));
        assert_eq!(w.janitor.run_once().await.unwrap().challenges, 1, "the expired code");
        assert_eq!(counts(&w).2, 1, "its message is kept for the grace period");
        w.clock.advance(MESSAGE_GRACE);
        assert_eq!(w.janitor.run_once().await.unwrap().messages, 1);

        w.clock.advance(Duration::from_secs(30 * 24 * 3600));
        assert_eq!(w.janitor.run_once().await.unwrap().sessions, 1, "expired at the end of its refresh lifetime");
        assert_eq!(counts(&w), (0, 0, 0, events), "events are kept for their retention");
        w.clock.advance(Duration::from_secs(10 * 24 * 3600));
        assert_eq!(w.janitor.run_once().await.unwrap().events as usize, events);
        assert_eq!(counts(&w), (0, 0, 0, 0));
    }

    #[tokio::test]
    async fn an_expired_code_is_kept_an_hour_for_replay_detection_and_an_expired_request_goes_at_once() {
        use crate::clock::Clock;
        use crate::oidc::code::CodeGrant;
        use crate::oidc::{AuthorizeRequest, ClientId, CodeChallenge, Prompt, Scope};
        use crate::ports::AuthorizationRepo;
        let w = world(None);
        let now = w.clock.now();
        let challenge = CodeChallenge::stored("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into());
        let request = AuthorizeRequest {
            client_id: ClientId(uuid::Uuid::nil()),
            redirect_uri: "https://app.example.com/cb".into(),
            scopes: vec![Scope::Openid],
            state: None,
            nonce: None,
            challenge: challenge.clone(),
            prompt: Prompt::default(),
            max_age: None,
            wants_aal2: false,
            login_hint: None,
            created_at: now,
        };
        w.db.save_request(uuid::Uuid::new_v4(), &request, now + chrono::Duration::seconds(60)).await.unwrap();
        let code = CodeGrant {
            hash: vec![1; 32],
            client_id: request.client_id,
            user_id: crate::user::UserId(uuid::Uuid::nil()),
            browser_session: uuid::Uuid::nil(),
            redirect_uri: request.redirect_uri.clone(),
            scopes: vec![Scope::Openid],
            nonce: None,
            challenge,
            assurance: crate::assurance::Assurance::UNKNOWN,
            created_at: now,
            expires_at: now + chrono::Duration::seconds(60),
        };
        w.db.insert_code(&code).await.unwrap();
        w.clock.advance(Duration::from_secs(61));
        let round = w.janitor.run_once().await.unwrap();
        assert_eq!((round.authorize_requests, round.authorization_codes), (1, 0), "the code stays within the grace");
        w.clock.advance(CODE_REPLAY_GRACE);
        assert_eq!(w.janitor.run_once().await.unwrap().authorization_codes, 1);
    }

    #[tokio::test]
    async fn an_sms_guard_prefix_is_forgotten_a_day_after_its_last_code() {
        use crate::clock::Clock;
        use crate::ports::SmsGuardStore;
        let w = World::new();
        let limits = crate::ports::SendLimits { window: Duration::from_secs(3600), per_prefix: 0, in_all: 0 };
        w.db.count_send("+2376712", "CM", w.clock.now(), limits).await.unwrap();
        w.clock.advance(PREFIX_IDLE - Duration::from_secs(60));
        assert_eq!(w.janitor.run_once().await.unwrap().sms_prefixes, 0, "within the day");
        w.clock.advance(Duration::from_secs(61));
        assert_eq!(w.janitor.run_once().await.unwrap().sms_prefixes, 1);
    }

    #[test]
    fn a_rounds_total_counts_every_kind() {
        let p = Purged {
            sessions: 1,
            challenges: 20,
            ceremonies: 600_000,
            trusted_devices: 7_000_000,
            messages: 300,
            events: 4000,
            throttles: 50000,
            authorize_requests: 80_000_000,
            authorization_codes: 900_000_000,
            sms_prefixes: 1_000_000_000,
        };
        assert_eq!(p.total(), 1_987_654_321);
    }

    #[tokio::test]
    async fn events_are_kept_forever_when_their_retention_is_off() {
        let w = world(None);
        w.register("ada", false).await;
        login(&w, "ada").await;
        let events = counts(&w).3;
        assert!(events > 0);
        w.clock.advance(Duration::from_secs(100 * 365 * 24 * 3600));
        let round = w.janitor.run_once().await.unwrap();
        assert_eq!((round.sessions, round.events), (1, 0));
        assert_eq!(counts(&w).3, events);
    }

    #[tokio::test]
    async fn a_round_purges_idle_throttle_counters_too() {
        let w = world(None);
        w.register("ada", false).await;
        assert!(w.login.login(&w.from, "ada", &"wrong-password-1".into()).await.is_err());
        w.clock.advance(Duration::from_secs(25 * 3600));
        // ada's failure counter, and the address's counters of registrations and logins.
        assert_eq!(w.janitor.run_once().await.unwrap().throttles, 3);
    }
}
