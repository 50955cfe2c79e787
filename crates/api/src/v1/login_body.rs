//! What a login answers, by password (`/auth/token`) or by a reset
//! (`/auth/password-reset/confirm`): a token pair, or the temporary token
//! of a second factor that is due.

use domain::login::LoginOutcome;
use domain::otp::Verified;
use domain::token::TokenPair;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, Union};

/// A token pair for an open session.
#[derive(Debug, Object)]
pub struct TokenPairBody {
    /// Always `bearer`.
    pub token_type: String,
    /// Send as `Authorization: Bearer …` to the API.
    pub access_token: String,
    /// Exchange once at `/auth/refresh-token` for a new pair.
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// Seconds the refresh token lives.
    pub refresh_expires_in: u64,
    /// After logging in with a recovery code: how many are left. At 0, make
    /// a new set (`POST /users/me/recovery-codes`) before the app is lost too.
    #[oai(skip_serializing_if_is_none)]
    pub recovery_codes_left: Option<u32>,
    /// With `remember_device`: this device's token. Keep it and send it as
    /// `device_token` to `/auth/token`: the same user's password then skips
    /// the second factor (at `aal1`) for `AUTHD_TRUSTED_DEVICE_DAYS`. Shown once.
    #[oai(skip_serializing_if_is_none)]
    pub device_token: Option<String>,
}

impl<K: Into<TokenPairBody>> From<Verified<K>> for TokenPairBody {
    /// A finished second step: the pair, the recovery codes left, the device's token.
    fn from(done: Verified<K>) -> Self {
        Self {
            recovery_codes_left: done.recovery_codes_left,
            device_token: done.device_token.map(|t| t.expose().to_owned()),
            ..done.pair.into()
        }
    }
}

#[derive(ApiResponse)]
pub enum PairResponse {
    /// A new token pair.
    #[oai(status = 200)]
    Ok(Json<TokenPairBody>),
}

impl From<TokenPair> for TokenPairBody {
    fn from(t: TokenPair) -> Self {
        Self {
            token_type: "bearer".into(),
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            expires_in: t.expires_in,
            refresh_expires_in: t.refresh_expires_in,
            recovery_codes_left: None,
            device_token: None,
        }
    }
}

/// The password was right and a second factor is due; a code was sent
/// only if a sent method (`sms`, `whatsapp`, `email`) comes first in `methods`.
#[derive(Debug, Object)]
pub struct SecondFactorBody {
    /// Always `bearer`.
    pub token_type: String,
    /// Send as `Authorization: Bearer …` to `/auth/verify-otp` or `/auth/resend-otp`.
    pub temporary_token: String,
    /// Seconds the temporary token (and the code) lives.
    pub expires_in: u64,
    /// The second factors this user can answer with, the default first:
    /// `totp`, `recovery_code`, then the sent codes `sms`, `whatsapp` (to a
    /// verified phone, when configured) and `email`.
    pub methods: Vec<String>,
}

/// Either a token pair or, for a two-factor user, a temporary token.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum LoginBody {
    Tokens(TokenPairBody),
    SecondFactor(SecondFactorBody),
}

#[derive(ApiResponse)]
pub enum LoginResponse {
    /// Logged in, or a second factor is due.
    #[oai(status = 200)]
    Ok(Json<LoginBody>),
}

impl From<LoginOutcome> for LoginBody {
    fn from(outcome: LoginOutcome) -> Self {
        match outcome {
            LoginOutcome::Tokens(pair) => LoginBody::Tokens(pair.into()),
            LoginOutcome::SecondFactor(due) => LoginBody::SecondFactor(SecondFactorBody {
                token_type: "bearer".into(),
                temporary_token: due.temporary_token,
                expires_in: due.expires_in,
                methods: due.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            }),
        }
    }
}
