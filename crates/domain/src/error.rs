use std::time::Duration;

/// An error from infrastructure the domain cannot interpret (database down, disk full...).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// "1 try left", "4 tries left": how many wrong answers a login may still give.
pub fn tries_left(n: u32) -> String {
    if n == 1 { "1 try left".to_owned() } else { format!("{n} tries left") }
}

/// Everything a use case can refuse, in domain words.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{field} is invalid: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("password is too weak: {0}")]
    WeakPassword(String),
    #[error("the password and its confirmation differ")]
    PasswordMismatch,
    #[error("invalid username/email or password")]
    InvalidCredentials,
    #[error("the current password is wrong")]
    WrongPassword,
    /// A change that weakens the second factor came without the password.
    #[error("switching the second factor off or changing the email or phone needs the current password")]
    PasswordRequired,
    /// A sensitive change from a session whose user did not prove who they
    /// are recently enough (within `max_age`), or, for a user with a second
    /// factor, not with two factors (`two_factors`: the level that is
    /// missing). An admin route under the second-factor policy asks for the
    /// level alone (no `max_age`).
    #[error("{}", reauthentication_detail(*two_factors))]
    ReauthenticationRequired { max_age: Option<Duration>, two_factors: bool },
    /// The session's user must have a second factor (`AUTHD_REQUIRE_2FA`)
    /// and has none: the session may only enrol one.
    #[error(
        "this account must have a second factor first: add an authenticator app (POST /users/me/totp), a passkey (POST /users/me/passkeys/options) or codes by mail or to a verified phone (PATCH /users/me with is_2fa), then prove it (POST /auth/reauthenticate) or log in again"
    )]
    SecondFactorRequired,
    /// Removing the user's last second factor, which the policy requires.
    #[error("this account must keep a second factor: add another before removing this one")]
    LastSecondFactor,
    #[error("this email address is already registered")]
    EmailTaken,
    #[error("this username is already taken")]
    UsernameTaken,
    #[error("the token is invalid")]
    TokenInvalid,
    #[error("the token has expired")]
    TokenExpired,
    #[error("the session was revoked")]
    SessionRevoked,
    #[error("the refresh token was already used; the session has been revoked")]
    RefreshReused,
    #[error("the one-time code is wrong ({})", tries_left(*remaining))]
    OtpInvalid { remaining: u32 },
    #[error("the one-time code was already used")]
    OtpUsed,
    #[error("too many wrong codes; start again (log in again, or ask for a new code)")]
    OtpLocked,
    #[error("the code was canceled")]
    OtpCanceled,
    #[error("a new code can be sent in {} s", retry_after.as_secs())]
    ResendCooldown { retry_after: Duration },
    #[error("no more codes can be sent for this challenge; start again (log in again, or wait for the code to expire)")]
    ResendLimit,
    #[error("this login cannot be finished with that method; use one of those listed at login")]
    MethodUnavailable,
    #[error("an authenticator app is already active; remove it first")]
    TotpAlreadyActive,
    #[error("no authenticator app is waiting for confirmation; start the enrolment again")]
    TotpNotPending,
    #[error("there is no authenticator app to make recovery codes for")]
    NoSecondFactor,
    #[error("that channel is not available on this server")]
    ChannelUnavailable,
    #[error("there is no phone number on this account; add one first")]
    NoPhone,
    #[error("this phone number is already verified")]
    PhoneVerified,
    #[error("no phone code is waiting to be confirmed; ask for a new one")]
    NoCodePending,
    #[error("the phone number changed since the code was sent; ask for a new code")]
    PhoneChanged,
    /// A mailed email proof (link or code) that is wrong, used, expired,
    /// unknown, or for an address the account no longer has: one answer
    /// for all.
    #[error("that link or code does not confirm an email address: it is wrong, used or expired; ask for a new mail")]
    VerificationInvalid,
    #[error("this email address is already verified")]
    AlreadyVerified,
    /// The password was right, but the server lets in only accounts whose
    /// address is proved (`AUTHD_REQUIRE_VERIFIED_EMAIL`).
    #[error(
        "confirm your email address first: open the link in the mail we sent to it (a new one goes out at most every 30 seconds when you log in)"
    )]
    EmailUnverified,
    /// A reset link or code that is wrong, used, expired, unknown, or for
    /// an account that changed since: one answer for all.
    #[error("that reset link or code does not work: it is wrong, used or expired; ask for a new one")]
    ResetInvalid,
    /// A passkey answer that does not prove anything: malformed, for another
    /// origin, a spent or expired ceremony, an unknown credential, a bad
    /// signature, no user verification. `remaining`: the login's tries left.
    #[error("that passkey answer is not valid{}", remaining.map(|r| format!(" ({})", tries_left(r))).unwrap_or_default())]
    PasskeyInvalid { remaining: Option<u32> },
    #[error("this passkey is registered already")]
    PasskeyExists,
    /// A deactivated account proved itself with a passkey.
    #[error("this account is deactivated")]
    AccountInactive,
    /// `AUTHD_PASSKEYS=false`: the passkey routes do not exist.
    #[error("passkeys are turned off on this server")]
    PasskeysOff,
    #[error("passkey not found")]
    PasskeyNotFound,
    #[error("no such trusted device of yours")]
    TrustedDeviceNotFound,
    #[error("user not found")]
    UserNotFound,
    #[error("application not found")]
    AppNotFound,
    #[error("OpenID Connect client not found")]
    ClientNotFound,
    #[error("that prefix is not blocked")]
    BlockNotFound,
    /// A secret asked of a public client, which cannot keep one.
    #[error("a public client has no secret: it proves itself with PKCE alone")]
    ClientPublic,
    #[error("no such live session of yours")]
    SessionNotFound,
    /// An API key that is malformed, unknown, expired, or whose application
    /// is deactivated or deleted: one answer for all, so a key tells nothing.
    #[error("the API key is invalid")]
    ApiKeyInvalid,
    #[error("verification not found")]
    VerificationNotFound,
    #[error("this verification is no longer pending")]
    VerificationNotPending,
    /// Approved, expired or canceled: its code can no longer be checked or resent.
    #[error("this verification is {}; start a new one", status.as_str())]
    VerificationClosed { status: crate::verification::VerificationStatus },
    /// A texted code may not go to this number (`AUTHD_SMS_COUNTRIES`, its
    /// kind): refused before anything is queued.
    #[error("codes cannot be sent to this number: {reason}")]
    DestinationNotAllowed { reason: String },
    /// The velocity limit of the number's prefix is reached for this window.
    #[error("too many codes went to numbers like this one; try again in {} s", retry_after.as_secs())]
    DestinationThrottled { retry_after: Duration },
    /// The number's prefix is blocked: its codes were not being used.
    #[error("codes to numbers like this one are paused; try again in {} s", retry_after.as_secs())]
    DestinationBlocked { retry_after: Duration },
    /// The deployment's hourly cap of texted codes (`AUTHD_SMS_MAX_PER_HOUR`)
    /// is reached: no texted code goes out until its window ends.
    #[error("texted codes are paused for now; try again in {} s or use another method", retry_after.as_secs())]
    SendingPaused { retry_after: Duration },
    #[error("too many codes are pending for this destination; try again in {} s", retry_after.as_secs())]
    TooManyPending { retry_after: Duration },
    #[error("too many failed attempts; try again in {} s", retry_after.as_secs())]
    AccountLocked { retry_after: Duration },
    /// A rate limit of `scope` is reached: its message names what was
    /// counted (an address, a user, an application, a destination).
    #[error("{}; try again in {} s", scope.refusal(), retry_after.as_secs())]
    RateLimited { retry_after: Duration, scope: crate::throttle::RateScope },
    #[error("this needs an administrator")]
    Forbidden,
    #[error("this is the last active administrator; make another one first")]
    LastAdmin,
    /// More password hashes are queued than can start within the wait the
    /// server allows (`AUTHD_HASH_QUEUE_MAX_WAIT_MS`): refused at once, before
    /// anything was done, so a storm of logins is shed instead of queued.
    #[error("the server is busy; try again in {} s", retry_after.as_secs())]
    Overloaded { retry_after: Duration },
    /// The database does not answer (down, unreachable, or every
    /// connection busy past the pool's wait): nothing was done; try again.
    #[error("the service is unavailable; try again shortly")]
    Unavailable(#[source] BoxError),
    #[error("internal error: {0}")]
    Internal(#[source] BoxError),
}

fn reauthentication_detail(two_factors: bool) -> &'static str {
    match two_factors {
        true => "prove who you are again with your second factor first (POST /auth/reauthenticate)",
        false => "prove who you are again first (POST /auth/reauthenticate)",
    }
}

impl Error {
    /// Wraps an infrastructure failure.
    pub fn internal(e: impl Into<BoxError>) -> Self {
        Error::Internal(e.into())
    }

    /// Whether the SMS guard refused a texted code (the number, or its
    /// prefix): another channel may still carry one.
    pub fn is_sms_guard(&self) -> bool {
        matches!(
            self,
            Error::DestinationNotAllowed { .. }
                | Error::DestinationThrottled { .. }
                | Error::DestinationBlocked { .. }
                | Error::SendingPaused { .. }
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_code_says_how_many_tries_are_left_in_plain_words() {
        assert_eq!(Error::OtpInvalid { remaining: 1 }.to_string(), "the one-time code is wrong (1 try left)");
        assert_eq!(Error::OtpInvalid { remaining: 4 }.to_string(), "the one-time code is wrong (4 tries left)");
        assert_eq!(Error::OtpInvalid { remaining: 0 }.to_string(), "the one-time code is wrong (0 tries left)");
        let passkey = Error::PasskeyInvalid { remaining: Some(1) }.to_string();
        assert_eq!(passkey, "that passkey answer is not valid (1 try left)");
    }
}
