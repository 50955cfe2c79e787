//! Checking one answer to a second-factor challenge, whatever the method
//! (an app's code, a recovery code, a sent code, a passkey's signature):
//! the one check a login's second step and a step-up share, with the
//! challenge's tries, the account lockout and the TOTP replay rule.

use super::challenge::{Method, OtpChallenge};
use super::code::OtpCode;
use super::second_factor::{Answer, SecondFactor};
use crate::audit::event::AuditEvent;
use crate::audit::{Audit, EventKind};
use crate::error::{Error, Result};
use crate::passkey::Checked;
use crate::passkey::ceremony::CeremonyPurpose;
use crate::recovery_code::RecoveryCode;
use crate::throttle::user_key;
use crate::totp::TotpSecret;
use crate::user::UserId;

/// What a right answer proved.
#[derive(Debug)]
pub(crate) struct Proved {
    /// The method: for a sent code, the channel the code took.
    pub method: Method,
    /// The passkey that signed, for a passkey's answer.
    pub passkey: Option<crate::passkey::Passkey>,
    /// After a recovery code: how many the user has left.
    pub codes_left: Option<u32>,
}

impl Proved {
    /// The events a right answer records: the factor verified, and the
    /// passkey used.
    pub(crate) fn events(&self, audit: &Audit, user: UserId) -> Vec<AuditEvent> {
        let mut events =
            vec![audit.event(user, None, EventKind::OtpVerified, &[("method", self.method.as_str().into())])];
        if let Some(used) = &self.passkey {
            events.push(audit.event(user, None, EventKind::PasskeyUsed, &crate::passkey::about(used)));
        }
        events
    }
}

impl SecondFactor {
    /// Checks `answer` to the open `challenge` of a user: by `method`
    /// (default: the challenge's, or the first a typed code answers), one
    /// of the methods the user has now. A malformed answer costs no try; a
    /// wrong one counts against the challenge and the account. Used by a
    /// login's second step and by a step-up, which then write what follows.
    pub(crate) async fn check(
        &self,
        challenge: &OtpChallenge,
        answer: Answer<'_>,
        method: Option<Method>,
    ) -> Result<Proved> {
        let uid = challenge.owner.user().ok_or(Error::TokenInvalid)?;
        let (_, app, methods) = self.factors(challenge).await?;
        // A typed code with no method answers the challenge's method, or the
        // first method a code answers when that is a passkey.
        let typed = |m: &Method| *m != Method::Passkey;
        let method = method
            .or(Some(challenge.method).filter(typed))
            .or_else(|| methods.iter().copied().find(typed))
            .ok_or(Error::MethodUnavailable)?;
        if !methods.contains(&method) {
            return Err(Error::MethodUnavailable);
        }
        let key = user_key(uid);
        self.throttle.ensure_unlocked(&key).await?;
        let now = self.clock.now();
        let mut codes_left = None;
        let mut passkey = None;
        let answer = match (answer, method) {
            (Answer::Passkey(credential), Method::Passkey) => credential,
            (Answer::Code(code), m) if m != Method::Passkey => code,
            _ => return Err(Error::MethodUnavailable),
        };
        let right = match method {
            Method::Passkey => {
                let state = self.passkeys.take(challenge.id, CeremonyPurpose::Login, Some(challenge.id)).await?;
                match self.passkeys.check(state, answer, Some(uid)).await? {
                    Checked::Accepted(used) => passkey = Some(used),
                    Checked::Refused { .. } => {}
                }
                passkey.is_some()
            }
            // The code sent last, whichever channel it took.
            Method::Email | Method::Sms | Method::Whatsapp => self.codes.matches(challenge, answer, "otp")?,
            Method::Totp => {
                OtpCode::parse(answer)?;
                let app = app.as_ref().ok_or(Error::MethodUnavailable)?;
                let secret = TotpSecret::from_bytes(self.sealer.open(&app.sealed_secret, uid.0.as_bytes())?)?;
                match secret.matching_step(answer, now) {
                    // RFC 6238 §5.2: a step is accepted once. A replay is
                    // no guess (whoever sends it saw the code), so it costs
                    // no try, but it opens nothing.
                    Some(step) if !self.totp.accept_step(uid, step).await? => return Err(Error::OtpUsed),
                    Some(_) => true,
                    None => false,
                }
            }
            Method::RecoveryCode => {
                let code = RecoveryCode::parse(answer)?;
                let hash = self.keyed_hasher.hash_recovery_code(uid, &code);
                let spent = self.recovery_codes.consume(uid, &hash, now).await?;
                if spent {
                    let left = self.recovery_codes.remaining(uid).await?;
                    self.audit.record(uid, None, EventKind::RecoveryCodeUsed, &[("left", left.into())]).await?;
                    codes_left = Some(left);
                }
                spent
            }
        };
        if !right {
            return Err(match self.codes.wrong_answer(challenge, method, &key).await {
                Error::OtpInvalid { remaining } if method == Method::Passkey => {
                    Error::PasskeyInvalid { remaining: Some(remaining) }
                }
                e => e,
            });
        }
        // A sent code proves the channel it took, whichever the client named.
        let method = if method.channel().is_some() { challenge.method } else { method };
        Ok(Proved { method, passkey, codes_left })
    }
}
