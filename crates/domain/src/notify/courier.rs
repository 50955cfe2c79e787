//! Sends what the outbox holds. Every node runs a courier; each due row is
//! claimed by one of them (the [`Outbox`] claim is one conditional
//! statement), sent, and settled as sent, to be retried after a back-off,
//! or failed. A login only queues its message, so it never waits on a
//! provider, and a provider outage delays a code without losing it.

use std::sync::Arc;

use super::delivery::{Delivery, DeliveryPolicy, Settlement, open_payload};
use super::message::{Link, Message, SendFailure};
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after};
use crate::error::Result;
use crate::otp::OtpCode;
use crate::ports::{Notifier, Outbox, SecretSealer};
use crate::subject::Subject;

#[derive(Clone)]
pub struct Courier {
    pub(crate) outbox: Arc<dyn Outbox>,
    pub(crate) notifier: Arc<dyn Notifier>,
    pub(crate) sealer: Arc<dyn SecretSealer>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) audit: Audit,
    pub(crate) policy: DeliveryPolicy,
    /// Where people reach authd (`AUTHD_PUBLIC_URL`): every mailed link
    /// starts with it, never with a request's Host.
    pub(crate) public_url: String,
    /// A texted message whose prefix was blocked after it was queued is
    /// given up, not sent.
    pub(crate) guard: crate::sms_guard::SmsGuard,
}

/// What one round of the courier did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Courier {
    /// Rows one round claims at most.
    pub fn batch(&self) -> u32 {
        self.policy.batch
    }

    /// Claims the due messages (up to a batch), sends them all at once and
    /// records each outcome. A full batch means more may be waiting.
    #[tracing::instrument(skip_all)]
    pub async fn run_once(&self) -> Result<Round> {
        let now = self.clock.now();
        let lease_until = after(now, self.policy.claim_lease);
        let due = self.outbox.claim(now, lease_until, self.policy.batch).await?;
        let mut round = Round { claimed: due.len(), ..Round::default() };
        let outcomes = futures::future::join_all(due.iter().map(|d| self.deliver(d))).await;
        for (delivery, outcome) in due.iter().zip(outcomes) {
            match outcome {
                Ok(Settlement::Sent { .. }) => round.sent += 1,
                Ok(Settlement::Retry { .. }) => round.retrying += 1,
                Ok(Settlement::Failed { .. }) => round.failed += 1,
                // Unsettled, the row is retried when its lease lapses.
                Err(e) => tracing::error!(delivery = %delivery.id, error = %e, "recording a delivery failed"),
            }
        }
        Ok(round)
    }

    /// One attempt at one claimed row, and its record.
    async fn deliver(&self, d: &Delivery) -> Result<Settlement> {
        let blocked = match d.channel {
            crate::notify::Channel::Email => None,
            _ => self.guard.blocked_until(&d.to).await?,
        };
        let outcome = match self.message(d) {
            _ if blocked.is_some() => Settlement::Failed {
                error: "the number's prefix is blocked by the SMS guard (its codes were not being used)".into(),
            },
            Err(reason) => Settlement::Failed { error: reason },
            Ok(message) => match self.notifier.send(&message).await {
                Ok(receipt) => Settlement::Sent { provider_id: receipt.provider_id },
                Err(failure) => self.after_failure(d, failure),
            },
        };
        let now = self.clock.now();
        if !self.outbox.settle(d.id, d.attempts, &outcome, now).await? {
            // Another node retook the row after our lease lapsed; its
            // attempt decides. Nothing to record twice.
            tracing::warn!(delivery = %d.id, "a delivery's claim lapsed before it was settled");
            return Ok(outcome);
        }
        self.record(d, &outcome).await?;
        Ok(outcome)
    }

    /// The message a row asks for, or why it cannot be sent any more.
    fn message(&self, d: &Delivery) -> std::result::Result<Message, String> {
        if self.clock.now() >= d.expires_at {
            return Err("the code expired before it could be sent".into());
        }
        let sealed = d.sealed_code.as_deref().ok_or("the code is gone")?;
        let unreadable = "the sealed code cannot be opened (was AUTHD_ENCRYPTION_KEY changed?)";
        let payload = self
            .sealer
            .open(sealed, d.id.as_bytes())
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .ok_or(unreadable)?;
        let (code, token) = open_payload(&payload);
        let code = match code {
            Some(code) => Some(OtpCode::parse_digits(code, code.len() as u32, "code").map_err(|_| unreadable)?),
            None if d.kind.carries_code() => return Err(unreadable.into()),
            None => None,
        };
        let base = self.public_url.trim_end_matches('/');
        let link = match (d.kind.link(), token) {
            (Link::WithToken(path), Some(token)) => Some(format!("{base}{path}?token={token}")),
            (Link::Page(path), None) => Some(format!("{base}{path}")),
            (Link::None, None) => None,
            _ => return Err("the message's link does not match its kind".into()),
        };
        let sender = d.sender.clone();
        Ok(Message { channel: d.channel, to: d.to.clone(), kind: d.kind, code, link, expires_at: d.expires_at, sender })
    }

    fn after_failure(&self, d: &Delivery, failure: SendFailure) -> Settlement {
        let error = failure.reason.clone();
        if !failure.retryable {
            return Settlement::Failed { error };
        }
        if d.attempts >= self.policy.max_attempts {
            return Settlement::Failed { error: format!("{error} (gave up after {} attempts)", d.attempts) };
        }
        let wait = self.policy.retry_delay(d.attempts, failure.retry_after);
        let at = after(self.clock.now(), wait);
        if at >= d.expires_at {
            return Settlement::Failed { error: format!("{error} (the code expires before the next attempt)") };
        }
        tracing::warn!(delivery = %d.id, channel = d.channel.as_str(), attempt = d.attempts, error = %error, retry_in_ms = wait.as_millis() as u64, "a message could not be sent; retrying");
        Settlement::Retry { at, error }
    }

    /// The user's (or the application's) security events show each message's fate.
    async fn record(&self, d: &Delivery, outcome: &Settlement) -> Result<()> {
        let subject = match (d.user_id, d.app_id) {
            (Some(user), _) => Subject::User(user),
            (None, Some(app)) => Subject::App(app),
            (None, None) => return Ok(()),
        };
        let mut detail = vec![
            ("delivery", d.id.to_string().into()),
            ("channel", d.channel.as_str().to_owned().into()),
            ("kind", d.kind.as_str().to_owned().into()),
            ("attempts", d.attempts.into()),
        ];
        let kind = match outcome {
            Settlement::Sent { provider_id } => {
                detail.extend(provider_id.clone().map(|id| ("provider_id", id.into())));
                EventKind::DeliverySent
            }
            Settlement::Failed { error } => {
                tracing::warn!(delivery = %d.id, channel = d.channel.as_str(), error = %error, "a message was given up");
                detail.push(("error", error.clone().into()));
                EventKind::DeliveryFailed
            }
            Settlement::Retry { .. } => return Ok(()),
        };
        self.audit.record_about(subject, None, kind, &detail).await
    }
}
