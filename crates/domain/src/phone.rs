//! Proving a phone number: a code goes to the number by SMS or WhatsApp,
//! and typing it back marks the number verified. Only a verified number
//! receives codes for a login. The code follows the rules of every sent
//! code ([`SentCodes`]): one challenge, five tries that also count against
//! the account's lockout, resends within the cooldown, used once.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::notify::{Channel, MessageKind};
use crate::otp::sent_codes::{CodeStatus, Destination, SentCodes};
use crate::otp::{CodeRules, Method, Purpose};
use crate::ports::{OtpRepo, UserRepo};
use crate::rng::Rng;
use crate::session::Caller;
use crate::subject::Subject;
use crate::throttle::{RateScope, Throttle, user_key};
use crate::user::{User, UserId};

#[derive(Clone)]
pub struct Phones {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) codes: SentCodes,
    pub(crate) throttle: Throttle,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    /// How long a code lives: as long as a login's.
    pub(crate) code_ttl: Duration,
}

impl Phones {
    /// Sends a code to the caller's unverified number by `channel` (SMS by
    /// default). While the last code's challenge is open and was sent to the
    /// same number, this is a resend of it (cooldown, resend limit);
    /// otherwise a new challenge starts, unless a concurrent request (on any
    /// node) just started one: one open challenge per number. Each request counts against the
    /// caller's hourly limit of phone codes, since every SMS costs money.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn send_code(&self, caller: &Caller, channel: Option<Channel>) -> Result<CodeStatus> {
        let channel = channel.unwrap_or(Channel::Sms);
        if channel == Channel::Email || !self.codes.sends_on(channel) {
            return Err(Error::ChannelUnavailable);
        }
        let user = self.user(caller.user_id).await?;
        let phone = user.phone.as_deref().ok_or(Error::NoPhone)?;
        if user.phone_verified_at.is_some() {
            return Err(Error::PhoneVerified);
        }
        self.throttle.check_rate(RateScope::PhoneCode, &user.id.to_string()).await?;
        let to = Destination { channel, to: phone, kind: MessageKind::PhoneVerification, sender: None, link: None };
        let now = self.clock.now();
        match self.otps.latest(user.id, Purpose::Phone).await? {
            Some(open) if open.closed_reason(now).is_none() && open.destination.as_deref() == Some(phone) => {
                self.codes.resend(&open, to).await
            }
            _ => {
                let id = self.rng.uuid_v7(now);
                let number = Some(phone.to_owned());
                let method = Method::sent_by(channel);
                let owner = Subject::User(user.id);
                let ttl = self.code_ttl;
                let mut fresh = self.codes.challenge(id, owner, Purpose::Phone, method, number, ttl, CodeRules::SENT);
                self.codes.open_unless_open(&mut fresh, to).await
            }
        }
    }

    /// The channels a phone code can go by on this server (SMS first).
    pub fn channels(&self) -> Vec<Channel> {
        [Channel::Sms, Channel::Whatsapp].into_iter().filter(|c| self.codes.sends_on(*c)).collect()
    }

    /// Where the caller's latest phone code is.
    pub async fn code_status(&self, caller: &Caller) -> Result<CodeStatus> {
        let challenge = self.otps.latest(caller.user_id, Purpose::Phone).await?.ok_or(Error::NoCodePending)?;
        self.codes.status(&challenge).await
    }

    /// Checks the code sent last and, if right, marks the number it was
    /// sent to verified, provided it is still the caller's number: the
    /// UPDATE is conditional on it. A wrong code counts against the
    /// challenge and the account's lockout, like a login's.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn confirm(&self, caller: &Caller, answer: &str) -> Result<User> {
        let uid = caller.user_id;
        let key = user_key(uid);
        self.throttle.ensure_unlocked(&key).await?;
        let challenge = self.otps.latest(uid, Purpose::Phone).await?.ok_or(Error::NoCodePending)?;
        if let Some(closed) = challenge.closed_reason(self.clock.now()) {
            return Err(as_phone_error(closed));
        }
        if !self.codes.matches(&challenge, answer, "otp")? {
            return Err(self.codes.wrong_answer(&challenge, challenge.method, &key).await);
        }
        self.codes.spend(&challenge).await.map_err(as_phone_error)?;
        let phone =
            challenge.destination.as_deref().ok_or_else(|| Error::internal("phone challenge without a number"))?;
        if !self.users.confirm_phone(uid, phone, self.clock.now()).await? {
            return Err(Error::PhoneChanged);
        }
        let detail = [("channel", challenge.method.as_str().into())];
        self.audit.record(uid, None, EventKind::PhoneVerified, &detail).await?;
        self.user(uid).await
    }

    async fn user(&self, id: UserId) -> Result<User> {
        self.users.user(id).await?.ok_or(Error::TokenInvalid)
    }
}

/// Why a phone code can no longer be confirmed, in a phone's words: a
/// used or expired code (which a login calls an expired token) means
/// "ask for a new one"; too many wrong codes stays that.
fn as_phone_error(closed: Error) -> Error {
    match closed {
        Error::OtpLocked | Error::Internal(_) => closed,
        _ => Error::NoCodePending,
    }
}

#[cfg(test)]
mod tests;
