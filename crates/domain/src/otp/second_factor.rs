//! The second step of a two-factor login. A challenge is issued with the
//! temporary token; it is answered with one of the user's methods (an
//! authenticator app's code, a recovery code, a code sent by mail, SMS or
//! WhatsApp, or a passkey's signature). Every wrong answer, whatever the
//! method, counts against the same challenge (five tries) and the same
//! account lockout.

use std::sync::Arc;
use std::time::Duration;

use super::challenge::{Method, OtpChallenge, Purpose};
use super::finish::{Finished, FinishedLogin};
use super::sent_codes::{CodeStatus, Destination, SentCodes};
use crate::assurance::{Amr, SecondFactorPolicy};
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::notify::{Channel, MessageKind};
use crate::passkey::PasskeyCeremonies;
use crate::passkey::ceremony::CeremonyPurpose;
use crate::ports::{KeyedHasher, LoginFinisher, OtpRepo, RecoveryCodeRepo, SecretSealer, TotpRepo, UserRepo};
use crate::rng::Rng;
use crate::session::{SessionKeys, Sessions};
use crate::subject::Subject;
use crate::throttle::{ClientAddress, RateScope, Throttle, user_key};
use crate::token::{TokenKind, TokenPair, Tokens};
use crate::totp::TotpCredential;
use crate::trusted_device::DeviceToken;
use crate::user::{User, UserId};

/// A second factor is due: this token lets the caller answer it.
#[derive(Debug)]
pub struct Pending {
    pub temporary_token: String,
    /// Seconds the temporary token (and the challenge) lives.
    pub expires_in: u64,
    /// What the user may answer with, the default first.
    pub methods: Vec<Method>,
}

/// A finished login; `pair` is what the open session hands out (a token
/// pair by default, a browser token for the web pages).
#[derive(Debug)]
pub struct Verified<K = TokenPair> {
    pub pair: K,
    /// After a recovery code: how many the user has left.
    pub recovery_codes_left: Option<u32>,
    /// When the client asked to trust this device (and the server trusts
    /// devices): the token its next password logins present to skip the
    /// second factor.
    pub device_token: Option<DeviceToken>,
}

/// What the user sent to answer a challenge.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answer<'a> {
    /// A code, typed: an app's, a recovery code, or one sent.
    Code(&'a str),
    /// A passkey's assertion, the JSON `PublicKeyCredential.toJSON()` gives.
    Passkey(&'a str),
}

/// Whether the client asks to trust the device the second factor was
/// proved on ("remember this device"), and what the device says it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Remember<'a> {
    pub device: bool,
    /// Its `User-Agent`, for the label the user sees in their list.
    pub user_agent: Option<&'a str>,
}

/// A second factor a user takes away from their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// Codes by mail (and to a verified phone): `is_2fa` off.
    MailedCodes,
    /// The authenticator app, with its recovery codes.
    App,
    /// One passkey.
    Passkey,
}

#[derive(Clone)]
pub struct SecondFactor {
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) totp: Arc<dyn TotpRepo>,
    pub(crate) recovery_codes: Arc<dyn RecoveryCodeRepo>,
    pub(crate) sealer: Arc<dyn SecretSealer>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    pub(crate) tokens: Tokens,
    pub(crate) sessions: Sessions,
    pub(crate) throttle: Throttle,
    pub(crate) audit: Audit,
    pub(crate) codes: SentCodes,
    /// Writes a right answer's outcome in one transaction.
    pub(crate) finisher: Arc<dyn LoginFinisher>,
    pub(crate) temporary_ttl: Duration,
    /// Whether a user with an authenticator app may also answer with a
    /// sent code (weaker: it makes the mailbox or phone a second factor).
    pub(crate) mail_fallback: bool,
    /// Passkeys' storage and ceremonies.
    pub(crate) passkeys: PasskeyCeremonies,
    /// Whether passkeys are offered (`AUTHD_PASSKEYS`).
    pub(crate) passkeys_on: bool,
    /// Who must have a second factor (`AUTHD_REQUIRE_2FA`).
    pub(crate) required: SecondFactorPolicy,
}

impl SecondFactor {
    /// The second factors `user` can answer with, the default first; none
    /// means the password is enough. An active authenticator app always
    /// demands a second factor, whatever `is_2fa` says.
    pub async fn methods_for(&self, user: &User) -> Result<Vec<Method>> {
        let app = self.active_app(user.id).await?;
        let passkey = self.has_passkey(user.id).await?;
        Ok(self.methods(user, app.as_ref(), passkey))
    }

    /// [`methods_for`](Self::methods_for), given the user's active app as
    /// already read and whether they have a passkey. A passkey comes first
    /// and, like an app, always demands a second factor; without an app the
    /// codes that can be sent stand in for a lost passkey.
    pub(crate) fn methods(&self, user: &User, app: Option<&TotpCredential>, passkey: bool) -> Vec<Method> {
        let passkey = (passkey && self.passkeys_on).then_some(Method::Passkey);
        let held = [Method::Totp, Method::RecoveryCode];
        let others = match (app.is_some(), user.is_2fa || passkey.is_some()) {
            (true, _) if self.mail_fallback => held.into_iter().chain(self.sent_methods(user)).collect(),
            (true, _) => held.to_vec(),
            (false, true) => self.sent_methods(user),
            (false, false) => vec![],
        };
        passkey.into_iter().chain(others).collect()
    }

    /// How long a device trusted after this step skips it, when the server
    /// trusts devices ("remember this device").
    pub fn remembers_devices_for(&self) -> Option<Duration> {
        let devices = &self.sessions.trusted_devices;
        devices.enabled().then_some(devices.ttl)
    }

    /// Refuses taking `removal` away from `user` when the policy requires
    /// them to have a second factor and it would leave them none
    /// ([`Error::LastSecondFactor`]). Not a database rule: two removals at
    /// once from one account each see the other's factor still there.
    pub(crate) async fn may_remove(&self, user: &User, removal: Removal) -> Result<()> {
        if !self.required.covers(user) {
            return Ok(());
        }
        let app = self.active_app(user.id).await?;
        let passkeys = self.passkeys.repo.count(user.id).await?;
        let mut after = user.clone();
        let (app, passkey) = match removal {
            Removal::MailedCodes => {
                after.is_2fa = false;
                (app.as_ref(), passkeys > 0)
            }
            Removal::App => (None, passkeys > 0),
            Removal::Passkey => (app.as_ref(), passkeys > 1),
        };
        if self.methods(&after, app, passkey).is_empty() {
            return Err(Error::LastSecondFactor);
        }
        Ok(())
    }

    /// Whether the user has a passkey.
    pub(crate) async fn has_passkey(&self, user: UserId) -> Result<bool> {
        Ok(self.passkeys.repo.count(user).await? > 0)
    }

    /// The codes that can be sent to `user`: by SMS, then WhatsApp, to a
    /// verified phone when those channels are configured, and always by
    /// mail (production refuses to start without a mail sender).
    fn sent_methods(&self, user: &User) -> Vec<Method> {
        let phone = [Method::Sms, Method::Whatsapp]
            .into_iter()
            .filter(|m| user.verified_phone().is_some() && m.channel().is_some_and(|c| self.codes.sends_on(c)));
        phone.chain([Method::Email]).collect()
    }

    /// Where a code of `method` goes for `user`, as a message of `kind`.
    pub(crate) fn destination(user: &User, method: Method, kind: MessageKind) -> Result<Destination<'_>> {
        let channel = method.channel().ok_or(Error::MethodUnavailable)?;
        let to = match channel {
            // The last address the user proved: a new, unproved one gets
            // no login code until it is proved.
            Channel::Email => user.mail_to(),
            Channel::Sms | Channel::Whatsapp => user.verified_phone().ok_or(Error::MethodUnavailable)?,
        };
        Ok(Destination { channel, to, kind, sender: None, link: None })
    }

    /// The user's authenticator app, if it is active.
    pub(crate) async fn active_app(&self, user: UserId) -> Result<Option<TotpCredential>> {
        Ok(self.totp.get(user).await?.filter(TotpCredential::is_active))
    }

    /// The challenge a temporary token belongs to, if it is still open.
    async fn open_challenge(&self, temporary_token: &str) -> Result<OtpChallenge> {
        let claims = self.tokens.check(temporary_token, TokenKind::Temporary)?;
        let challenge = self.otps.get(claims.sid).await?.ok_or(Error::TokenInvalid)?;
        if challenge.owner != Subject::User(claims.sub) || challenge.purpose != Purpose::Login {
            return Err(Error::TokenInvalid);
        }
        match challenge.closed_reason(self.clock.now()) {
            Some(e) => Err(e),
            None => Ok(challenge),
        }
    }

    /// The challenge's user, their active app and the methods they have
    /// now (an app removed since the login no longer counts): the app is
    /// read once, and its secret is what a TOTP answer is checked against.
    pub(crate) async fn factors(
        &self,
        challenge: &OtpChallenge,
    ) -> Result<(User, Option<TotpCredential>, Vec<Method>)> {
        let uid = challenge.owner.user().ok_or(Error::TokenInvalid)?;
        let user = self.users.user(uid).await?.ok_or(Error::TokenInvalid)?;
        let app = self.active_app(user.id).await?;
        let methods = self.methods(&user, app.as_ref(), self.has_passkey(user.id).await?);
        Ok((user, app, methods))
    }

    /// Options for `navigator.credentials.get` that let the login's user
    /// sign with one of their passkeys. Each call is a fresh ceremony that
    /// replaces the login's earlier one; an assertion, right or wrong,
    /// spends it.
    #[tracing::instrument(skip_all)]
    pub async fn passkey_options(&self, temporary_token: &str) -> Result<String> {
        if !self.passkeys_on {
            return Err(Error::PasskeysOff);
        }
        let challenge = self.open_challenge(temporary_token).await?;
        self.ceremony_for(&challenge).await
    }

    /// A fresh passkey ceremony answering `challenge` (a login's or a
    /// step-up's), replacing its earlier one; its options. The user's
    /// passkeys, read once, are what `allowCredentials` lists; none (or
    /// passkeys off) is no passkey method, as [`methods`](Self::methods) says.
    pub(crate) async fn ceremony_for(&self, challenge: &OtpChallenge) -> Result<String> {
        let uid = challenge.owner.user().ok_or(Error::TokenInvalid)?;
        let passkeys = if self.passkeys_on { self.passkeys.repo.list(uid).await? } else { vec![] };
        if passkeys.is_empty() {
            return Err(Error::MethodUnavailable);
        }
        let started = self.passkeys.webauthn.start_assertion(&passkeys)?;
        let (id, ends_by) = (Some(challenge.id), Some(challenge.expires_at));
        Ok(self.passkeys.keep(CeremonyPurpose::Login, id, id, started, ends_by).await?.options)
    }

    /// Checks the answer to a two-factor login and opens the session.
    /// `method` defaults to the one offered first at login. A malformed
    /// answer costs no try; a wrong one counts against the challenge and
    /// the account; every answer from `from` counts against the limit of
    /// answers per client address.
    pub async fn verify(
        &self,
        from: &ClientAddress,
        temporary_token: &str,
        answer: &str,
        method: Option<Method>,
    ) -> Result<Verified> {
        self.verify_as(from, temporary_token, answer, method, Remember::default()).await
    }

    /// Finishes a two-factor login with a passkey's assertion to the
    /// login's latest [`passkey_options`](Self::passkey_options). A wrong
    /// one counts as a wrong code does.
    pub async fn verify_passkey_as<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        temporary_token: &str,
        credential: &str,
        remember: Remember<'_>,
    ) -> Result<Verified<K>> {
        if !self.passkeys_on {
            return Err(Error::PasskeysOff);
        }
        self.answer_as(from, temporary_token, Answer::Passkey(credential), Some(Method::Passkey), remember).await
    }

    /// [`verify`](Self::verify), for a client that keeps its session as `K`.
    pub async fn verify_as<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        temporary_token: &str,
        answer: &str,
        method: Option<Method>,
        remember: Remember<'_>,
    ) -> Result<Verified<K>> {
        self.answer_as(from, temporary_token, Answer::Code(answer), method, remember).await
    }

    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    async fn answer_as<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        temporary_token: &str,
        answer: Answer<'_>,
        method: Option<Method>,
        remember: Remember<'_>,
    ) -> Result<Verified<K>> {
        self.throttle.check_rate(RateScope::VerifyOtp, &from.0).await?;
        let challenge = self.open_challenge(temporary_token).await?;
        let uid = challenge.owner.user().ok_or(Error::TokenInvalid)?;
        tracing::Span::current().record("user_id", tracing::field::display(uid));
        let proved = self.check(&challenge, answer, method).await?;
        let session = self.sessions.new_session(uid, Amr::two_factors(proved.method));
        let now = session.created_at;
        let factors = format!("password,{}", proved.method.as_str());
        let mut events = proved.events(&self.audit, uid);
        events.push(self.audit.event(uid, None, EventKind::LoginSucceeded, &crate::login::signed_in(&factors, from)));
        let finished = FinishedLogin {
            challenge: challenge.id,
            max_attempts: challenge.rules.max_attempts,
            now,
            session,
            throttle_key: user_key(uid),
            events,
        };
        match self.finisher.finish(&finished).await? {
            Finished::Done => {}
            Finished::ChallengeClosed => return Err(self.codes.closed_now(challenge.id).await),
            Finished::UserInactive => return Err(Error::TokenInvalid),
        }
        let pair = K::first(&self.sessions, &finished.session)?;
        let device_token = match remember.device {
            true => self.sessions.trusted_devices.remember(uid, finished.session.id, remember.user_agent).await?,
            false => None,
        };
        Ok(Verified { pair, recovery_codes_left: proved.codes_left, device_token })
    }

    /// Sends a fresh code for the same login by `method` (default: the
    /// method of the current code, else the first the user can be sent),
    /// replacing any earlier one, at most `MAX_RESENDS` times and not within
    /// the cooldown of the last one. Only a sent method the user may use.
    #[tracing::instrument(skip_all)]
    pub async fn resend(&self, temporary_token: &str, method: Option<Method>) -> Result<CodeStatus> {
        let challenge = self.open_challenge(temporary_token).await?;
        let (user, _, methods) = self.factors(&challenge).await?;
        let method = method
            .or(Some(challenge.method).filter(|m| m.channel().is_some()))
            .or_else(|| methods.iter().copied().find(|m| m.channel().is_some()))
            .ok_or(Error::MethodUnavailable)?;
        if !methods.contains(&method) {
            return Err(Error::MethodUnavailable);
        }
        self.codes.resend(&challenge, Self::destination(&user, method, MessageKind::LoginCode)?).await
    }

    /// Where the login's code is: how it was sent, whether it went out,
    /// the tries and resends left.
    pub async fn status(&self, temporary_token: &str) -> Result<CodeStatus> {
        let challenge = self.open_challenge(temporary_token).await?;
        self.codes.status(&challenge).await
    }

    /// [`status`](Self::status) and the methods the login can be answered
    /// with now, the default first: what a page asking for the code shows.
    pub async fn pending(&self, temporary_token: &str) -> Result<(CodeStatus, Vec<Method>)> {
        let challenge = self.open_challenge(temporary_token).await?;
        let (_, _, methods) = self.factors(&challenge).await?;
        Ok((self.codes.status(&challenge).await?, methods))
    }
}
