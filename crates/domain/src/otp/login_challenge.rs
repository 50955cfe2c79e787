//! Opening a login's second step: the challenge its temporary token is
//! bound to, with a first code when the default method is a sent one, and
//! the fallback when the SMS guard refuses a texted default.

use super::challenge::{CodeRules, Method, OtpChallenge, Purpose};
use super::second_factor::{Pending, SecondFactor};
use crate::error::{Error, Result};
use crate::notify::MessageKind;
use crate::subject::Subject;
use crate::user::User;

impl SecondFactor {
    /// Opens a challenge for `user`, whose password was right, and signs the
    /// temporary token bound to it. A code is sent only when the default
    /// method is a sent one. When the SMS guard refuses a texted default
    /// (its number's prefix blocked or full, or the number not allowed), the
    /// next method is the default instead and the login goes on; the
    /// refused one stays offered, after it.
    pub async fn issue(&self, user: &User, mut methods: Vec<Method>) -> Result<Pending> {
        let mut refused = Error::MethodUnavailable;
        for (i, method) in methods.clone().into_iter().enumerate() {
            let challenge = match self.open_login(user, method).await {
                Ok(challenge) => challenge,
                Err(e) if falls_back(method, &e) => {
                    refused = e;
                    continue;
                }
                Err(e) => return Err(e),
            };
            methods.remove(i);
            methods.insert(0, method);
            return Ok(Pending {
                temporary_token: self.tokens.temporary(
                    user.id,
                    challenge.id,
                    challenge.created_at,
                    challenge.expires_at,
                )?,
                expires_in: self.temporary_ttl.as_secs(),
                methods,
            });
        }
        Err(refused)
    }

    /// A login's challenge with `method` its default, its code sent when it
    /// is a sent one.
    async fn open_login(&self, user: &User, method: Method) -> Result<OtpChallenge> {
        let owner = Subject::User(user.id);
        let mut challenge = self.codes.challenge(
            self.rng.uuid_v4(),
            owner,
            Purpose::Login,
            method,
            None,
            self.temporary_ttl,
            CodeRules::SENT,
        );
        let to = method.channel().map(|_| Self::destination(user, method, MessageKind::LoginCode)).transpose()?;
        self.codes.open(&mut challenge, to).await?;
        Ok(challenge)
    }
}

/// Whether a login whose default `method` failed with `e` goes on with its
/// next method: only when the SMS guard refused a texted code.
fn falls_back(method: Method, e: &Error) -> bool {
    method.is_texted() && e.is_sms_guard()
}

#[cfg(test)]
mod fallback_tests {
    use super::*;

    #[test]
    fn only_a_texted_default_the_sms_guard_refused_falls_back_to_the_next_method() {
        let blocked = Error::DestinationBlocked { retry_after: std::time::Duration::from_secs(60) };
        let throttled = Error::DestinationThrottled { retry_after: std::time::Duration::from_secs(60) };
        let refused = Error::DestinationNotAllowed { reason: "premium-rate".into() };
        let paused = Error::SendingPaused { retry_after: std::time::Duration::from_secs(60) };
        for e in [&blocked, &throttled, &refused, &paused] {
            assert!(falls_back(Method::Sms, e) && falls_back(Method::Whatsapp, e), "{e:?}");
            assert!(!falls_back(Method::Email, e), "mail is never the guard's");
        }
        for other in [
            Error::MethodUnavailable,
            Error::internal("database down"),
            Error::RateLimited {
                retry_after: std::time::Duration::from_secs(1),
                scope: crate::throttle::RateScope::PhoneCode,
            },
        ] {
            assert!(!falls_back(Method::Sms, &other), "{other:?} fails the login");
        }
    }
}
