//! Codes authd sends (by mail, SMS or WhatsApp) and checks against a
//! challenge. The second step of a login and phone verification both use
//! this one mechanism, so both follow the same rules: one current code per
//! challenge, queued in the outbox with the challenge and sealed there,
//! resent at most [`MAX_RESENDS`] times and not within the cooldown, five
//! tries per challenge that also count against the account's lockout, and
//! used once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::challenge::{Capped, CodeRules, MAX_RESENDS, Method, OtpChallenge, Purpose};
use super::code::OtpCode;
pub(crate) use super::destination::about;
pub use super::destination::{Destination, mask};
use super::link::LinkToken;
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after, retry_after, span};
use crate::error::{Error, Result};
use crate::notify::{Channel, Delivery, DeliveryStatus};
use crate::ports::{KeyedHasher, OtpRepo, Outbox, SecretSealer};
use crate::rng::Rng;
use crate::sms_guard::{Admitted, SmsGuard};
use crate::subject::Subject;
use crate::throttle::Throttle;

/// What the person waiting for a code may know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeStatus {
    /// The method the current code is answered with (for a login with
    /// nothing sent yet: the default method).
    pub method: Method,
    /// Where the current code's message is; `None` when nothing was sent.
    pub delivery: Option<DeliveryStatus>,
    pub remaining_attempts: u32,
    pub resends_left: u32,
    /// How long until a new code may be asked for.
    pub resend_after: Duration,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct SentCodes {
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) outbox: Arc<dyn Outbox>,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) sealer: Arc<dyn SecretSealer>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    pub(crate) throttle: Throttle,
    pub(crate) audit: Audit,
    pub(crate) resend_cooldown: Duration,
    /// The channels a sender is configured for; codes go out on no other.
    pub(crate) channels: Vec<Channel>,
    /// What a texted code passes on its way out (numbers, prefixes).
    pub(crate) guard: SmsGuard,
}

impl SentCodes {
    /// Whether a sender is configured for `channel`.
    pub(crate) fn sends_on(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    /// A new challenge `id` of `owner` for `purpose`, answered by `method`
    /// and living `ttl` from now, its codes made by `rules`. No code has gone
    /// out yet, so the first may be asked for at once; [`open`](Self::open)
    /// sends one when told where.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn challenge(
        &self,
        id: Uuid,
        owner: Subject,
        purpose: Purpose,
        method: Method,
        destination: Option<String>,
        ttl: Duration,
        rules: CodeRules,
    ) -> OtpChallenge {
        let now = self.clock.now();
        OtpChallenge {
            id,
            owner,
            purpose,
            method,
            destination,
            code_hash: Vec::new(),
            rules,
            attempts: 0,
            resends: 0,
            created_at: now,
            last_sent_at: now - span(self.resend_cooldown),
            expires_at: after(now, ttl),
            used_at: None,
            canceled_at: None,
            delivery_id: None,
            link_hash: None,
        }
    }

    /// Stores a new challenge; when `to` is given, with a first code sent
    /// there, the challenge and its message in one transaction. Answers
    /// the new code's status (its message just queued).
    pub(crate) async fn open(&self, challenge: &mut OtpChallenge, to: Option<Destination<'_>>) -> Result<CodeStatus> {
        let Some(to) = to else {
            self.otps.create(challenge, None).await?;
            return Ok(self.status_of(challenge, None));
        };
        let delivery = self.first_code(challenge, to).await?;
        self.otps.create(challenge, Some(&delivery)).await?;
        self.record_sent(challenge, to.channel, false).await?;
        Ok(self.status_of(challenge, Some(DeliveryStatus::Queued)))
    }

    /// [`open`](Self::open) with a first code to `to`, unless the user
    /// already has an open challenge of the same purpose and destination:
    /// then another request (on any node) opened it first, and this one is
    /// a resend within its cooldown. The check and the insert are one step
    /// in storage, so concurrent requests send one code.
    pub(crate) async fn open_unless_open(
        &self,
        challenge: &mut OtpChallenge,
        to: Destination<'_>,
    ) -> Result<CodeStatus> {
        let now = self.clock.now();
        let delivery = self.first_code(challenge, to).await?;
        if !self.otps.create_unless_open(challenge, &delivery, now, challenge.rules.max_attempts).await? {
            let Subject::User(user) = challenge.owner else {
                return Err(Error::internal("only a user's challenge is opened unless one is open"));
            };
            let last = self.otps.latest(user, challenge.purpose).await?;
            let retry_after = last.map_or(Duration::ZERO, |c| self.wait_for_resend(&c, now));
            return Err(Error::ResendCooldown { retry_after });
        }
        self.record_sent(challenge, to.channel, false).await?;
        Ok(self.status_of(challenge, Some(DeliveryStatus::Queued)))
    }

    /// [`open`](Self::open) with a first code to `to`, unless `max_open`
    /// challenges of the same owner, purpose and destination are open
    /// already: then nothing is stored or sent, and the refusal says when the
    /// first of them expires. The count and the insert are one step in
    /// storage, so concurrent requests on any node never pass the cap.
    pub(crate) async fn open_capped(
        &self,
        challenge: &mut OtpChallenge,
        to: Destination<'_>,
        max_open: u32,
    ) -> Result<CodeStatus> {
        let now = self.clock.now();
        let delivery = self.first_code(challenge, to).await?;
        if let Capped::Full { frees_at } = self.otps.create_capped(challenge, &delivery, now, max_open).await? {
            return Err(Error::TooManyPending { retry_after: retry_after(now, frees_at) });
        }
        self.record_sent(challenge, to.channel, false).await?;
        Ok(self.status_of(challenge, Some(DeliveryStatus::Queued)))
    }

    /// Draws `challenge`'s first code, sent to `to`: sets its hash, method
    /// and send time, and returns the message carrying it.
    async fn first_code(&self, challenge: &mut OtpChallenge, to: Destination<'_>) -> Result<Delivery> {
        let code = OtpCode::generate_digits(&*self.rng, challenge.rules.digits);
        challenge.code_hash = self.keyed_hasher.hash(challenge.id, &code);
        challenge.link_hash = to.link.map(|token| self.keyed_hasher.hash_link(token));
        challenge.method = Method::sent_by(to.channel);
        let now = self.clock.now();
        challenge.last_sent_at = now;
        let delivery = self.delivery(challenge, to, &code, now).await?;
        challenge.delivery_id = Some(delivery.id);
        Ok(delivery)
    }

    /// Sends a fresh code for `challenge` to `to`, replacing the current
    /// one, unless the challenge is closed, out of resends or within the
    /// cooldown of its last code. The conditions are one conditional
    /// UPDATE, so concurrent resends on any node send one code. Answers
    /// the new code's status, as that UPDATE left the challenge.
    pub(crate) async fn resend(&self, challenge: &OtpChallenge, to: Destination<'_>) -> Result<CodeStatus> {
        let now = self.clock.now();
        // What the UPDATE is sure to refuse is refused before the guard
        // counts a send: a resend asked for within the cooldown is no send.
        if let Some(e) = challenge.closed_reason(now) {
            return Err(e);
        }
        if challenge.resends >= MAX_RESENDS {
            return Err(Error::ResendLimit);
        }
        if let Some(retry_after) = self.cooling_down(challenge, now) {
            return Err(Error::ResendCooldown { retry_after });
        }
        let code = OtpCode::generate_digits(&*self.rng, challenge.rules.digits);
        let hash = self.keyed_hasher.hash(challenge.id, &code);
        let delivery = self.delivery(challenge, to, &code, now).await?;
        let method = Method::sent_by(to.channel);
        let sent_before = now - span(self.resend_cooldown);
        let replaced = self
            .otps
            .replace_code(
                challenge.id,
                method,
                &hash,
                now,
                sent_before,
                challenge.rules.max_attempts,
                MAX_RESENDS,
                &delivery,
            )
            .await?;
        if !replaced {
            let current = self.otps.get(challenge.id).await?.ok_or(Error::TokenInvalid)?;
            if let Some(e) = current.closed_reason(now) {
                return Err(e);
            }
            if current.resends >= MAX_RESENDS {
                return Err(Error::ResendLimit);
            }
            return Err(Error::ResendCooldown { retry_after: self.wait_for_resend(&current, now) });
        }
        self.record_sent(challenge, to.channel, true).await?;
        let replaced = OtpChallenge { method, resends: challenge.resends + 1, last_sent_at: now, ..challenge.clone() };
        Ok(self.status_of(&replaced, Some(DeliveryStatus::Queued)))
    }

    /// Whether `answer` is the challenge's current code. A malformed answer
    /// (not the challenge's number of digits) is an error naming `field`
    /// and costs no try.
    pub(crate) fn matches(&self, challenge: &OtpChallenge, answer: &str, field: &'static str) -> Result<bool> {
        let code = OtpCode::parse_digits(answer, challenge.rules.digits, field)?;
        Ok(self.keyed_hasher.verify(challenge.id, &code, &challenge.code_hash))
    }

    /// Counts a wrong answer (given as `method`) against the challenge and
    /// against `key`'s lockout; the error to answer with.
    pub(crate) async fn wrong_answer(&self, challenge: &OtpChallenge, method: Method, key: &str) -> Error {
        self.count_wrong(challenge, method, Some(key)).await
    }

    /// Counts a wrong answer against the challenge only: for a code whose
    /// challenges only the owner can open, so that a guesser gets five
    /// tries per mail the owner asked for and nothing else to lock.
    pub(crate) async fn wrong_code(&self, challenge: &OtpChallenge) -> Error {
        self.count_wrong(challenge, challenge.method, None).await
    }

    async fn count_wrong(&self, challenge: &OtpChallenge, method: Method, key: Option<&str>) -> Error {
        let counted = async {
            if !self.otps.record_failure(challenge.id, challenge.rules.max_attempts).await? {
                return Ok(self.closed_now(challenge.id).await);
            }
            // Concurrent wrong guesses may make this an overestimate; the
            // database alone decided whether this one counted.
            if let Some(key) = key {
                self.throttle.count_failure(key, challenge.owner.user()).await?;
            }
            let remaining = challenge.rules.max_attempts.saturating_sub(challenge.attempts + 1);
            let kind = if remaining == 0 { EventKind::OtpLocked } else { EventKind::OtpFailed };
            let mut detail = vec![
                ("remaining_attempts", remaining.into()),
                ("method", method.as_str().into()),
                ("purpose", challenge.purpose.as_str().into()),
            ];
            detail.extend(about(challenge));
            self.audit.record_about(challenge.owner, None, kind, &detail).await?;
            Ok(Error::OtpInvalid { remaining })
        };
        counted.await.unwrap_or_else(|e: Error| e)
    }

    /// Marks a rightly answered challenge used; of concurrent right answers,
    /// one wins and the others learn why the challenge is closed.
    /// A texted code's correct check counts for its prefix's conversion.
    pub(crate) async fn spend(&self, challenge: &OtpChallenge) -> Result<()> {
        if !self.otps.consume(challenge.id, self.clock.now(), challenge.rules.max_attempts).await? {
            return Err(self.closed_now(challenge.id).await);
        }
        let texted = matches!(challenge.method.channel(), Some(Channel::Sms | Channel::Whatsapp));
        let Some(delivery) = challenge.delivery_id.filter(|_| texted) else { return Ok(()) };
        if let Some(sent) = self.outbox.get(delivery).await? {
            self.guard.verified(&sent.to, challenge.last_sent_at).await?;
        }
        Ok(())
    }

    /// Why a challenge that just refused a conditional update is closed.
    pub(crate) async fn closed_now(&self, id: Uuid) -> Error {
        match self.otps.get(id).await {
            Ok(Some(c)) => c.closed_reason(self.clock.now()).unwrap_or(Error::OtpLocked),
            Ok(None) => Error::TokenInvalid,
            Err(e) => e,
        }
    }

    /// What the person waiting for `challenge`'s code may know about it,
    /// its message's state read from the outbox.
    pub(crate) async fn status(&self, challenge: &OtpChallenge) -> Result<CodeStatus> {
        let delivery = match challenge.delivery_id {
            Some(id) => self.outbox.get(id).await?.map(|d| d.status),
            None => None,
        };
        Ok(self.status_of(challenge, delivery))
    }

    fn status_of(&self, challenge: &OtpChallenge, delivery: Option<DeliveryStatus>) -> CodeStatus {
        CodeStatus {
            method: challenge.method,
            delivery,
            remaining_attempts: challenge.rules.max_attempts.saturating_sub(challenge.attempts),
            resends_left: MAX_RESENDS.saturating_sub(challenge.resends),
            resend_after: self.wait_for_resend(challenge, self.clock.now()),
            expires_at: challenge.expires_at,
        }
    }

    /// How long until a new code may follow `challenge`'s last, while the
    /// cooldown lasts; `None` once it has passed.
    pub(crate) fn cooling_down(&self, challenge: &OtpChallenge, now: DateTime<Utc>) -> Option<Duration> {
        let next = after(challenge.last_sent_at, self.resend_cooldown);
        (now < next).then(|| retry_after(now, next))
    }

    fn wait_for_resend(&self, challenge: &OtpChallenge, now: DateTime<Utc>) -> Duration {
        retry_after(now, after(challenge.last_sent_at, self.resend_cooldown))
    }

    /// Whether a code may go to `to` on `channel`: a texted code only to a
    /// number the guard admits ([`NumberRules::admit`]), which answers what
    /// it read of it; mail always.
    pub(crate) fn admits(&self, channel: Channel, to: &str) -> Result<Option<Admitted>> {
        match channel {
            Channel::Email => Ok(None),
            Channel::Sms | Channel::Whatsapp => self.guard.numbers.admit(to).map(Some),
        }
    }

    /// The outbox row that carries `code` for `challenge`, the code sealed
    /// to the row so that a database dump shows no code waiting to go out.
    /// The guard is asked here, where every first code and resend is made,
    /// before anything is stored or queued: a texted code is counted
    /// against its prefix (or refused).
    /// `now` is the code's send time, the one its challenge records.
    async fn delivery(
        &self,
        challenge: &OtpChallenge,
        to: Destination<'_>,
        code: &OtpCode,
        now: DateTime<Utc>,
    ) -> Result<Delivery> {
        if to.channel != Channel::Email {
            self.guard.before_text(challenge.owner, to.to, now).await?;
        }
        let id = self.rng.uuid_v7(now);
        let payload = crate::notify::delivery::sealed_payload(Some(code.as_str()), to.link.map(LinkToken::expose));
        let sealed = self.sealer.seal(payload.as_bytes(), id.as_bytes())?;
        let user = challenge.owner.user();
        let mut d =
            Delivery::queued(id, user, to.channel, to.to.to_owned(), to.kind, sealed, challenge.expires_at, now);
        d.app_id = challenge.owner.app();
        d.sender = to.sender.map(str::to_owned);
        Ok(d)
    }

    /// Records that a code was queued for `challenge`; the courier records
    /// whether it reached the provider.
    async fn record_sent(&self, challenge: &OtpChallenge, channel: Channel, resend: bool) -> Result<()> {
        let mut detail = vec![
            ("method", Method::sent_by(channel).as_str().into()),
            ("purpose", challenge.purpose.as_str().into()),
            ("resend", resend.into()),
        ];
        detail.extend(about(challenge));
        self.audit.record_about(challenge.owner, None, EventKind::OtpSent, &detail).await
    }
}
