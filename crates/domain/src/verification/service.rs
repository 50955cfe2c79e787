//! `Verifications`: an application sending a code, checking it, reading,
//! canceling and resending it. Every rule is the one sent codes follow
//! ([`SentCodes`]); what is added is the abuse limits, because every SMS
//! costs the operator money and number ranges are pumped for it (SMS
//! pumping): a window per application and minute, one per application and
//! destination and hour, and a cap on the codes pending at once for one
//! destination. Each refusal is a 429 with a time to wait.

use std::sync::Arc;

use uuid::Uuid;

use super::status::{Verification, VerificationStatus};
use crate::app::App;
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::notify::{Channel, MessageKind};
use crate::otp::sent_codes::{CodeStatus, Destination, SentCodes, about, mask};
use crate::otp::{CodeRules, Method, OtpChallenge, Purpose};
use crate::ports::OtpRepo;
use crate::rng::Rng;
use crate::subject::Subject;
use crate::throttle::{Counted, RateScope, Throttle};
use crate::user::{Email, Phone};

#[derive(Clone)]
pub struct Verifications {
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) codes: SentCodes,
    pub(crate) throttle: Throttle,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    /// Verifications of one app pending at once for one destination (the
    /// windows are in [`RateLimits`](crate::throttle::RateLimits)).
    pub(crate) max_pending: u32,
}

/// The lockout key of an app's destination: wrong codes for it count
/// together across its verifications, as a user's do across logins.
fn lock_key(app: &App, to: &str) -> String {
    format!("app:{}:to:{to}", app.id)
}

impl Verifications {
    /// Sends a code to `to` on `channel` for `app`: an email address for
    /// mail, an E.164 number otherwise; the channel must be one the app
    /// enabled and the server sends on.
    #[tracing::instrument(skip_all, fields(app_id = %app.id))]
    pub async fn send(&self, app: &App, to: &str, channel: Channel) -> Result<Verification> {
        if !app.sends_on(channel) || !self.codes.sends_on(channel) {
            return Err(Error::ChannelUnavailable);
        }
        let to = destination(to, channel)?;
        let now = self.clock.now();
        let rules = CodeRules { digits: app.code_length, max_attempts: app.max_attempts };
        let id = self.rng.uuid_v7(now);
        let owner = Subject::App(app.id);
        let method = Method::sent_by(channel);
        let mut challenge =
            self.codes.challenge(id, owner, Purpose::Verification, method, Some(to.clone()), app.code_ttl, rules);
        let cap = if self.max_pending == 0 { u32::MAX } else { self.max_pending };
        let send = self.codes.open_capped(&mut challenge, self.message(app, &to, channel), cap);
        let sent = self.counted(app, channel, &to, send).await?;
        Ok(self.view(&challenge, sent))
    }

    /// Checks `answer` against the verification's code. A right code
    /// approves it: one conditional UPDATE, so of concurrent right answers
    /// one is approved and the others learn it is. A wrong one counts
    /// against the verification's tries and the destination's lockout.
    #[tracing::instrument(skip_all, fields(app_id = %app.id))]
    pub async fn check(&self, app: &App, id: Uuid, answer: &str) -> Result<Verification> {
        let challenge = self.own(app, id).await?;
        let to = challenge.destination.clone().unwrap_or_default();
        let key = lock_key(app, &to);
        self.throttle.ensure_unlocked(&key).await?;
        if let Some(closed) = challenge.closed_reason(self.clock.now()) {
            return Err(as_closed(closed));
        }
        if !self.codes.matches(&challenge, answer, "code")? {
            return Err(as_closed(self.codes.wrong_answer(&challenge, challenge.method, &key).await));
        }
        self.codes.spend(&challenge).await.map_err(as_closed)?;
        self.throttle.reset(&key).await?;
        let mut detail =
            vec![("method", challenge.method.as_str().into()), ("purpose", Purpose::Verification.as_str().into())];
        detail.extend(about(&challenge));
        self.audit.record_about(Subject::App(app.id), None, EventKind::OtpVerified, &detail).await?;
        // The UPDATE that approved it is what was written: no need to read it back.
        self.answer(OtpChallenge { used_at: Some(self.clock.now()), ..challenge }).await
    }

    /// The verification as it is now.
    pub async fn status(&self, app: &App, id: Uuid) -> Result<Verification> {
        self.answer(self.own(app, id).await?).await
    }

    /// `challenge` as its app sees it, with where its message is now.
    async fn answer(&self, challenge: OtpChallenge) -> Result<Verification> {
        let sent = self.codes.status(&challenge).await?;
        Ok(self.view(&challenge, sent))
    }

    /// Cancels a pending verification: its code stops working and a
    /// message not yet sent is not sent. One conditional UPDATE.
    #[tracing::instrument(skip_all, fields(app_id = %app.id))]
    pub async fn cancel(&self, app: &App, id: Uuid) -> Result<Verification> {
        let challenge = self.own(app, id).await?;
        let now = self.clock.now();
        if !self.otps.cancel(id, now).await? {
            return Err(Error::VerificationNotPending);
        }
        self.audit
            .record_about(Subject::App(app.id), None, EventKind::VerificationCanceled, &about(&challenge))
            .await?;
        self.answer(OtpChallenge { canceled_at: Some(now), ..challenge }).await
    }

    /// Sends a new code in place of the current one, on the same channel
    /// (cooldown and resend limit of every sent code).
    #[tracing::instrument(skip_all, fields(app_id = %app.id))]
    pub async fn resend(&self, app: &App, id: Uuid) -> Result<Verification> {
        let challenge = self.own(app, id).await?;
        let channel = challenge.method.channel().ok_or_else(|| Error::internal("a verification sent on no channel"))?;
        let to = challenge.destination.clone().unwrap_or_default();
        // What is sure to be refused is refused before the counters.
        let now = self.clock.now();
        if let Some(closed) = challenge.closed_reason(now) {
            return Err(as_closed(closed));
        }
        if challenge.resends >= crate::otp::challenge::MAX_RESENDS {
            return Err(Error::ResendLimit);
        }
        if let Some(retry_after) = self.codes.cooling_down(&challenge, now) {
            return Err(Error::ResendCooldown { retry_after });
        }
        let send = self.codes.resend(&challenge, self.message(app, &to, channel));
        match self.counted(app, channel, &to, send).await {
            Ok(sent) => Ok(self.view(&challenge, sent)),
            Err(e) => Err(as_closed(e)),
        }
    }

    /// Runs `send`, a code to `to`, counted against the app's caps (a
    /// resend as a first send). A number the guard or the app's countries
    /// refuse is refused before anything is counted; a send refused after
    /// it was counted (the destination's pending cap, the SMS guard, a
    /// verification closed meanwhile) is taken back from the windows. A
    /// refusal is never a send, so nobody can use up a victim's number.
    async fn counted<T>(
        &self,
        app: &App,
        channel: Channel,
        to: &str,
        send: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        if let Some(number) = self.codes.admits(channel, to)? {
            app.texts_to(channel, &number.country)?;
        }
        let per_app = self.throttle.count_rate(RateScope::AppVerifications, &app.id.to_string()).await?;
        let destination = format!("{}:{to}", app.id);
        let per_destination = match self.throttle.count_rate(RateScope::VerificationDestination, &destination).await {
            Ok(counted) => counted,
            Err(e) => return Err(self.taken_back(e, [per_app]).await),
        };
        match send.await {
            Ok(sent) => Ok(sent),
            Err(e) => Err(self.taken_back(e, [per_app, per_destination]).await),
        }
    }

    /// `refused`, once the windows `counted` for it are taken back.
    async fn taken_back(&self, refused: Error, counted: impl IntoIterator<Item = Option<Counted>>) -> Error {
        if let Err(e) = self.throttle.uncount(counted.into_iter().flatten()).await {
            tracing::warn!(error = %e, "a refused send could not be taken back from its rate windows");
        }
        refused
    }

    /// The app's own verification `id`; another app's, or a challenge that
    /// is no verification, is not found.
    async fn own(&self, app: &App, id: Uuid) -> Result<OtpChallenge> {
        match self.otps.get(id).await? {
            Some(c) if c.owner == Subject::App(app.id) && c.purpose == Purpose::Verification => Ok(c),
            _ => Err(Error::VerificationNotFound),
        }
    }

    fn message<'a>(&self, app: &'a App, to: &'a str, channel: Channel) -> Destination<'a> {
        Destination { channel, to, kind: MessageKind::Verification, sender: Some(&app.name), link: None }
    }

    fn view(&self, c: &OtpChallenge, sent: CodeStatus) -> Verification {
        Verification {
            id: c.id,
            status: VerificationStatus::of(c, self.clock.now()),
            channel: c.method.channel().unwrap_or(Channel::Email),
            to: mask(c.destination.as_deref().unwrap_or_default()),
            attempts: c.attempts,
            remaining_attempts: sent.remaining_attempts,
            resends_left: sent.resends_left,
            resend_after: sent.resend_after,
            delivery: sent.delivery,
            created_at: c.created_at,
            expires_at: c.expires_at,
        }
    }
}

/// Why a code can no longer be answered, in a verification's words (the
/// reasons of [`OtpChallenge::closed_reason`], which a login reads as a
/// token's): approved, canceled and expired are gone (410); too many wrong
/// codes stays a 429; a verification gone meanwhile (its app deleted) is not
/// found.
fn as_closed(e: Error) -> Error {
    match VerificationStatus::closed_by(&e) {
        Some(VerificationStatus::Failed) => e,
        Some(status) => Error::VerificationClosed { status },
        None if matches!(e, Error::TokenInvalid) => Error::VerificationNotFound,
        None => e,
    }
}

/// `to` as the channel needs it: a normalised email address for mail, an
/// E.164 number otherwise. The refusal names the field `to`.
fn destination(to: &str, channel: Channel) -> Result<String> {
    let parsed = match channel {
        Channel::Email => Email::parse(to).map(|e| e.as_str().to_owned()),
        Channel::Sms | Channel::Whatsapp => Phone::parse(to).map(|p| p.as_str().to_owned()),
    };
    parsed.map_err(|e| match e {
        Error::InvalidField { reason, .. } => Error::InvalidField { field: "to", reason },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_code_reads_as_the_verifications_state_and_a_vanished_one_as_not_found() {
        let closed = |e| match as_closed(e) {
            Error::VerificationClosed { status } => Some(status),
            _ => None,
        };
        assert_eq!(closed(Error::OtpUsed), Some(VerificationStatus::Approved));
        assert_eq!(closed(Error::OtpCanceled), Some(VerificationStatus::Canceled));
        assert_eq!(closed(Error::TokenExpired), Some(VerificationStatus::Expired));
        assert!(matches!(as_closed(Error::TokenInvalid), Error::VerificationNotFound));
        assert!(matches!(as_closed(Error::OtpLocked), Error::OtpLocked), "too many wrong codes stays a 429");
        assert!(matches!(as_closed(Error::OtpInvalid { remaining: 2 }), Error::OtpInvalid { remaining: 2 }));
    }
}
