//! Proving who one is again from a live session (`POST
//! /auth/reauthenticate`): a password, a second factor, or both renew the
//! session's `auth_time` and set its `amr`/`acr` to what was proved now.
//! The factors are checked exactly as a login's second step checks them
//! ([`SecondFactor::check`]: the same tries, lockout and replay rules), on a
//! challenge of purpose `step_up` bound to the session.

use secrecy::SecretString;

use super::Amr;
use crate::account::Accounts;
use crate::audit::EventKind;
use crate::error::{Error, Result};
use crate::notify::Channel;
use crate::notify::MessageKind;
use crate::otp::answer::Proved;
use crate::otp::second_factor::Answer;
use crate::otp::sent_codes::CodeStatus;
use crate::otp::{CodeRules, Method, OtpChallenge, Purpose, SecondFactor};
use crate::session::{Caller, SessionKeys};
use crate::subject::Subject;
use crate::throttle::{ClientAddress, RateScope, user_key};
use crate::user::User;

/// A second factor presented at a step-up.
#[derive(Debug, Clone, Copy)]
pub enum Factor<'a> {
    /// A typed code: an app's, a recovery code, or the one sent for this
    /// step-up; `method` defaults to the sent code's, else the user's app.
    Code { method: Option<Method>, code: &'a str },
    /// A passkey's assertion to the latest [`StepUp::passkey_options`].
    Passkey(&'a str),
}

#[derive(Clone)]
pub struct StepUp {
    pub(crate) accounts: Accounts,
    pub(crate) second_factor: SecondFactor,
}

impl StepUp {
    /// Sends a code by `method` (mail, SMS, WhatsApp: one the user's
    /// logins may use) for the caller's session to step up with: a resend
    /// of the session's open step-up code (cooldown, resend limit), or a
    /// new one (of concurrent requests on any nodes, one sends it and the
    /// others are within its cooldown). Not to a locked account; each counts against the user's
    /// hourly codes on that channel (mail, or the phone), shared with the
    /// proofs of their address and number.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn send_code(&self, caller: &Caller, method: Method) -> Result<CodeStatus> {
        let sf = &self.second_factor;
        let user = self.user(caller).await?;
        let Some(channel) = method.channel() else {
            return Err(Error::MethodUnavailable);
        };
        if !sf.methods_for(&user).await?.contains(&method) {
            return Err(Error::MethodUnavailable);
        }
        sf.throttle.ensure_unlocked(&user_key(user.id)).await?;
        let scope = if channel == Channel::Email { RateScope::EmailCode } else { RateScope::PhoneCode };
        sf.throttle.check_rate(scope, &user.id.to_string()).await?;
        let to = SecondFactor::destination(&user, method, MessageKind::ReauthCode)?;
        match self.open_challenge(caller).await? {
            Some(open) => sf.codes.resend(&open, to).await,
            // One open step-up code per session on every node: the insert
            // is conditional on none being open (`create_unless_open`).
            None => sf.codes.open_unless_open(&mut self.new_challenge(caller, method), to).await,
        }
    }

    /// Options for `navigator.credentials.get` to step up with one of the
    /// caller's passkeys; each call replaces the session's earlier ceremony.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn passkey_options(&self, caller: &Caller) -> Result<String> {
        let sf = &self.second_factor;
        if !sf.passkeys_on {
            return Err(Error::PasskeysOff);
        }
        // Before a challenge is stored for it: one COUNT.
        if !sf.has_passkey(caller.user_id).await? {
            return Err(Error::MethodUnavailable);
        }
        let challenge = match self.open_challenge(caller).await? {
            Some(open) => open,
            None => self.held_challenge(caller, Method::Passkey).await?,
        };
        sf.ceremony_for(&challenge).await
    }

    /// Renews how recently the caller's user proved who they are, with
    /// their password, a second factor, or both, and hands out the
    /// session's new keys (the refresh token rotates). The session then
    /// says what was proved now ([`Amr::proved`]): a password alone is
    /// `aal1`, whatever the session said before. A wrong password counts
    /// against the account's lockout like a wrong code; every attempt from
    /// `from` counts against the limit of answers per address.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn reauthenticate<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        caller: &Caller,
        password: Option<&SecretString>,
        factor: Option<Factor<'_>>,
    ) -> Result<K> {
        let sf = &self.second_factor;
        sf.throttle.check_rate(RateScope::VerifyOtp, &from.0).await?;
        if password.is_none() && factor.is_none() {
            let reason = "give the password, a second factor, or both".to_owned();
            return Err(Error::InvalidField { field: "password", reason });
        }
        let uid = caller.user_id;
        if let Some(password) = password {
            let stored = sf.users.by_id(uid).await?.ok_or(Error::TokenInvalid)?;
            self.accounts.check_password(&stored, password).await?;
        }
        let proved = match factor {
            Some(factor) => Some(self.check(caller, factor).await?),
            None => None,
        };
        let amr = Amr::proved(password.is_some(), proved.as_ref().map(|p| p.method)).ok_or(Error::TokenInvalid)?;
        let keys = sf.sessions.reassure(caller, amr).await?;
        let mut events = proved.as_ref().map(|p| p.events(&sf.audit, uid)).unwrap_or_default();
        let factors = amr.words().join(" ");
        events.push(sf.audit.event(uid, None, EventKind::Reauthenticated, &[("amr", factors.into())]));
        for event in events {
            sf.audit.log.record(&event).await?;
        }
        Ok(keys)
    }

    /// Checks `factor` against the session's open step-up challenge (a
    /// fresh one for a factor the user holds, when none is open) and spends it.
    async fn check(&self, caller: &Caller, factor: Factor<'_>) -> Result<Proved> {
        let sf = &self.second_factor;
        let (answer, method) = match factor {
            Factor::Code { method, code } => (Answer::Code(code), method),
            Factor::Passkey(credential) => (Answer::Passkey(credential), Some(Method::Passkey)),
        };
        let challenge = match (self.open_challenge(caller).await?, method) {
            (Some(open), _) => open,
            // A passkey answers the ceremony its options began; a sent code
            // the challenge its sending opened.
            (None, Some(Method::Passkey)) => return Err(Error::PasskeyInvalid { remaining: None }),
            (None, Some(m)) if m.channel().is_some() => return Err(Error::NoCodePending),
            (None, Some(held)) => self.held_challenge(caller, held).await?,
            // A code with no method and none sent: the user's app's.
            (None, None) => {
                let user = self.user(caller).await?;
                let app = sf.methods_for(&user).await?.into_iter().find(|m| *m == Method::Totp);
                self.held_challenge(caller, app.ok_or(Error::NoCodePending)?).await?
            }
        };
        let proved = sf.check(&challenge, answer, method).await?;
        sf.codes.spend(&challenge).await?;
        Ok(proved)
    }

    /// The caller's session's step-up challenge, if one is open.
    async fn open_challenge(&self, caller: &Caller) -> Result<Option<OtpChallenge>> {
        let sf = &self.second_factor;
        let latest = sf.otps.latest(caller.user_id, Purpose::StepUp).await?;
        let session = caller.session_id.to_string();
        let now = sf.clock.now();
        Ok(latest.filter(|c| c.destination.as_deref() == Some(session.as_str()) && c.closed_reason(now).is_none()))
    }

    /// A step-up challenge of the caller's session answered by `method`, not stored.
    fn new_challenge(&self, caller: &Caller, method: Method) -> OtpChallenge {
        let sf = &self.second_factor;
        let id = sf.rng.uuid_v7(sf.clock.now());
        let (owner, session) = (Subject::User(caller.user_id), Some(caller.session_id.to_string()));
        sf.codes.challenge(id, owner, Purpose::StepUp, method, session, sf.temporary_ttl, CodeRules::SENT)
    }

    /// A stored step-up challenge with no code, for a factor the user holds
    /// (an app, a recovery code, a passkey): what its wrong answers count against.
    async fn held_challenge(&self, caller: &Caller, method: Method) -> Result<OtpChallenge> {
        let mut challenge = self.new_challenge(caller, method);
        self.second_factor.codes.open(&mut challenge, None).await?;
        Ok(challenge)
    }

    async fn user(&self, caller: &Caller) -> Result<User> {
        self.second_factor.users.user(caller.user_id).await?.ok_or(Error::TokenInvalid)
    }
}

#[cfg(test)]
mod tests;
