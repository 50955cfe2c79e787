//! Every error leaves as RFC 9457 problem details. Domain errors are mapped in
//! exactly one place ([`From<domain::Error>`]); errors raised by the framework
//! (malformed bodies, unknown routes, missing credentials) go through
//! [`problem_from_poem`] (`framework_errors.rs`), so all of them share one shape.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

pub use super::framework_errors::problem_from_poem;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details.
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[oai(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// A stable machine-readable word: `invalid_credentials`, `otp_invalid`, `token_invalid`, `email_taken`, ...
    pub code: String,
    /// The request field at fault, for `invalid_field`.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
    /// Wrong answers this login may still try, for `otp_invalid` and `passkey_invalid`.
    #[oai(skip_serializing_if_is_none)]
    pub remaining_attempts: Option<u32>,
    /// Seconds to wait before trying again, for 429 and 503 answers (also in `Retry-After`).
    #[oai(skip_serializing_if_is_none)]
    pub retry_after: Option<u64>,
    /// The id under which a server error was logged; quote it when reporting.
    #[oai(skip_serializing_if_is_none)]
    pub error_id: Option<String>,
    /// For `reauthentication_required`: the seconds within which the user
    /// must have proved who they are (`POST /auth/reauthenticate`); also in
    /// `WWW-Authenticate` (RFC 9470).
    #[oai(skip_serializing_if_is_none)]
    pub max_age: Option<u64>,
    /// For `reauthentication_required` when two factors are missing: the
    /// level to reach (`aal2`); also in `WWW-Authenticate` (RFC 9470).
    #[oai(skip_serializing_if_is_none)]
    pub acr_values: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:authd:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            field: None,
            remaining_attempts: None,
            retry_after: None,
            error_id: None,
            max_age: None,
            acr_values: None,
        }
    }

    /// This problem with `Retry-After`: the wait in whole seconds, at least one.
    pub fn waiting(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait.as_secs().max(1));
        self
    }

    /// A 500 that carries only an id; the cause goes to the log under it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        tracing::error!(error_id = %id, error = %cause, "internal error");
        let mut p = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("Something went wrong on our side. Quote error id {id} when reporting it."),
        );
        p.error_id = Some(id);
        p
    }
}

/// The error half of every operation.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed, a field is invalid, or the credentials or code are wrong.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// The bearer token is missing, invalid, expired, or its session was revoked.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// The caller may not do this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The email address or username is already in use, the change would leave no active administrator, or the second factor is not in the state the request needs.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The code can no longer be checked: its verification was approved, expired or canceled. Start a new one.
    #[oai(status = 410, content_type = "application/problem+json")]
    Gone(Json<Problem>),
    /// The request body did not arrive within `AUTHD_BODY_TIMEOUT_MS`; the connection closes.
    #[oai(status = 408, content_type = "application/problem+json")]
    RequestTimeout(Json<Problem>),
    /// The request body is larger than the server accepts.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not in a media type this operation reads (JSON, or a form where the operation says so).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Too many attempts, or too soon: wait `Retry-After` seconds or start over.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] Option<String>),
    /// The request's header fields are larger than the server accepts.
    #[oai(status = 431, content_type = "application/problem+json")]
    HeaderFieldsTooLarge(Json<Problem>),
    /// A server fault; the body carries the id it was logged under.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// The database does not answer (`database_unavailable`), or too many logins are queued for password hashing (`overloaded`): nothing was done; try again after `Retry-After` seconds.
    #[oai(status = 503, content_type = "application/problem+json")]
    ServiceUnavailable(Json<Problem>, #[oai(header = "Retry-After")] Option<String>),
}

/// The `Retry-After` header of a 429 or 503, as the problem says.
fn retry_after_header(p: &Problem) -> Option<String> {
    p.retry_after.map(|s| s.to_string())
}

/// The `WWW-Authenticate` header of a 401: the bearer scheme, and for a
/// step-up refusal the RFC 9470 §3 challenge, written as its examples write it.
pub fn www_authenticate(p: &Problem) -> String {
    if p.code != REAUTHENTICATION_REQUIRED {
        return "Bearer".into();
    }
    let description = match p.acr_values {
        Some(_) => "A different authentication level is required",
        None => "More recent authentication is required",
    };
    let mut challenge =
        format!("Bearer error=\"insufficient_user_authentication\", error_description=\"{description}\"");
    if let Some(acr) = &p.acr_values {
        challenge.push_str(&format!(", acr_values=\"{acr}\""));
    }
    if let Some(max_age) = p.max_age {
        challenge.push_str(&format!(", max_age=\"{max_age}\""));
    }
    challenge
}

/// The code of a step-up refusal, whose 401 carries RFC 9470's challenge.
const REAUTHENTICATION_REQUIRED: &str = "reauthentication_required";

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        match p.status {
            400 => ApiError::BadRequest(Json(p)),
            401 => {
                let challenge = www_authenticate(&p);
                ApiError::Unauthorized(Json(p), challenge)
            }
            403 => ApiError::Forbidden(Json(p)),
            404 => ApiError::NotFound(Json(p)),
            409 => ApiError::Conflict(Json(p)),
            410 => ApiError::Gone(Json(p)),
            408 => ApiError::RequestTimeout(Json(p)),
            413 => ApiError::PayloadTooLarge(Json(p)),
            415 => ApiError::UnsupportedMediaType(Json(p)),
            431 => ApiError::HeaderFieldsTooLarge(Json(p)),
            429 => {
                let after = retry_after_header(&p);
                ApiError::TooManyRequests(Json(p), after)
            }
            500 => ApiError::Internal(Json(p)),
            503 => {
                let after = retry_after_header(&p);
                ApiError::ServiceUnavailable(Json(p), after)
            }
            other => ApiError::Internal(Json(Problem::internal(&format!("unmapped status {other}: {}", p.detail)))),
        }
    }
}

impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> Self {
        Problem::from(e).into()
    }
}

/// The one mapping of domain errors, for the API and the web pages alike.
impl From<domain::Error> for Problem {
    fn from(e: domain::Error) -> Self {
        use domain::Error as E;
        let msg = e.to_string();
        let p = match &e {
            E::InvalidField { field, .. } => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, "invalid_field", msg);
                p.field = Some((*field).to_owned());
                p
            }
            E::WeakPassword(_) => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, "password_weak", msg);
                p.field = Some("password".into());
                p
            }
            E::PasswordMismatch => Problem::new(StatusCode::BAD_REQUEST, "password_mismatch", msg),
            E::InvalidCredentials => Problem::new(StatusCode::BAD_REQUEST, "invalid_credentials", msg),
            E::WrongPassword => Problem::new(StatusCode::BAD_REQUEST, "password_incorrect", msg),
            E::PasswordRequired => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, "password_required", msg);
                p.field = Some("password".into());
                p
            }
            E::EmailTaken => Problem::new(StatusCode::CONFLICT, "email_taken", msg),
            E::UsernameTaken => Problem::new(StatusCode::CONFLICT, "username_taken", msg),
            E::TokenInvalid => Problem::new(StatusCode::UNAUTHORIZED, "token_invalid", msg),
            E::TokenExpired => Problem::new(StatusCode::UNAUTHORIZED, "token_expired", msg),
            E::SessionRevoked => Problem::new(StatusCode::UNAUTHORIZED, "session_revoked", msg),
            E::RefreshReused => Problem::new(StatusCode::UNAUTHORIZED, "refresh_token_reused", msg),
            E::ReauthenticationRequired { max_age, two_factors } => {
                let mut p = Problem::new(StatusCode::UNAUTHORIZED, REAUTHENTICATION_REQUIRED, msg);
                p.max_age = max_age.map(|age| age.as_secs());
                p.acr_values = two_factors.then(|| domain::assurance::Acr::Aal2.as_str().to_owned());
                p
            }
            E::SecondFactorRequired => Problem::new(StatusCode::FORBIDDEN, "second_factor_required", msg),
            E::LastSecondFactor => Problem::new(StatusCode::CONFLICT, "last_second_factor", msg),
            E::OtpInvalid { remaining } => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, "otp_invalid", msg);
                p.remaining_attempts = Some(*remaining);
                p
            }
            E::OtpUsed => Problem::new(StatusCode::BAD_REQUEST, "otp_used", msg),
            E::OtpLocked => Problem::new(StatusCode::TOO_MANY_REQUESTS, "otp_locked", msg),
            E::OtpCanceled => Problem::new(StatusCode::GONE, "otp_canceled", msg),
            E::ResendCooldown { retry_after } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "otp_resend_cooldown", msg).waiting(*retry_after)
            }
            E::ResendLimit => Problem::new(StatusCode::TOO_MANY_REQUESTS, "otp_resend_limit", msg),
            E::MethodUnavailable => Problem::new(StatusCode::BAD_REQUEST, "method_unavailable", msg),
            E::TotpAlreadyActive => Problem::new(StatusCode::CONFLICT, "totp_active", msg),
            E::TotpNotPending => Problem::new(StatusCode::CONFLICT, "totp_not_pending", msg),
            E::NoSecondFactor => Problem::new(StatusCode::CONFLICT, "no_second_factor", msg),
            E::ChannelUnavailable => Problem::new(StatusCode::BAD_REQUEST, "channel_unavailable", msg),
            E::NoPhone => Problem::new(StatusCode::CONFLICT, "no_phone", msg),
            E::PhoneVerified => Problem::new(StatusCode::CONFLICT, "phone_verified", msg),
            E::NoCodePending => Problem::new(StatusCode::CONFLICT, "no_code_pending", msg),
            E::PhoneChanged => Problem::new(StatusCode::CONFLICT, "phone_changed", msg),
            E::VerificationInvalid => Problem::new(StatusCode::BAD_REQUEST, "verification_invalid", msg),
            E::AlreadyVerified => Problem::new(StatusCode::CONFLICT, "already_verified", msg),
            E::ResetInvalid => Problem::new(StatusCode::BAD_REQUEST, "reset_invalid", msg),
            E::EmailUnverified => Problem::new(StatusCode::FORBIDDEN, "email_unverified", msg),
            E::PasskeyInvalid { remaining } => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, "passkey_invalid", msg);
                p.remaining_attempts = *remaining;
                p
            }
            E::PasskeyExists => Problem::new(StatusCode::CONFLICT, "passkey_exists", msg),
            E::PasskeyNotFound => Problem::new(StatusCode::NOT_FOUND, "passkey_not_found", msg),
            E::TrustedDeviceNotFound => Problem::new(StatusCode::NOT_FOUND, "trusted_device_not_found", msg),
            E::PasskeysOff => Problem::new(StatusCode::NOT_FOUND, "not_found", msg),
            E::AccountInactive => Problem::new(StatusCode::FORBIDDEN, "account_inactive", msg),
            E::UserNotFound => Problem::new(StatusCode::NOT_FOUND, "user_not_found", msg),
            E::AppNotFound => Problem::new(StatusCode::NOT_FOUND, "app_not_found", msg),
            E::ClientNotFound => Problem::new(StatusCode::NOT_FOUND, "client_not_found", msg),
            E::BlockNotFound => Problem::new(StatusCode::NOT_FOUND, "block_not_found", msg),
            E::ClientPublic => Problem::new(StatusCode::CONFLICT, "client_public", msg),
            E::SessionNotFound => Problem::new(StatusCode::NOT_FOUND, "session_not_found", msg),
            E::ApiKeyInvalid => Problem::new(StatusCode::UNAUTHORIZED, "api_key_invalid", msg),
            E::VerificationNotFound => Problem::new(StatusCode::NOT_FOUND, "verification_not_found", msg),
            E::VerificationNotPending => Problem::new(StatusCode::CONFLICT, "verification_not_pending", msg),
            E::VerificationClosed { status } => {
                Problem::new(StatusCode::GONE, &format!("verification_{}", status.as_str()), msg)
            }
            E::DestinationNotAllowed { .. } => Problem::new(StatusCode::BAD_REQUEST, "destination_not_allowed", msg),
            E::DestinationThrottled { retry_after } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "destination_throttled", msg).waiting(*retry_after)
            }
            E::DestinationBlocked { retry_after } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "destination_blocked", msg).waiting(*retry_after)
            }
            E::SendingPaused { retry_after } => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "sending_paused", msg).waiting(*retry_after)
            }
            E::TooManyPending { retry_after } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "too_many_pending", msg).waiting(*retry_after)
            }
            E::Forbidden => Problem::new(StatusCode::FORBIDDEN, "forbidden", msg),
            E::AccountLocked { retry_after } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", msg).waiting(*retry_after)
            }
            E::RateLimited { retry_after, .. } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", msg).waiting(*retry_after)
            }
            E::LastAdmin => Problem::new(StatusCode::CONFLICT, "last_admin", msg),
            E::Overloaded { retry_after } => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", msg).waiting(*retry_after)
            }
            E::Unavailable(cause) => {
                tracing::warn!(cause = %ErrorChain(cause.as_ref()), "the database does not answer");
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", msg)
                    .waiting(std::time::Duration::from_secs(1))
            }
            E::Internal(cause) => Problem::internal(&ErrorChain(cause.as_ref())),
        };
        // Every refusal passes here once, from the API and the pages alike.
        metrics::counter!("authd_refusals_total", "code" => p.code.clone()).increment(1);
        p
    }
}

/// Displays an error with all its sources, for the log.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// A problem as a response outside the typed handlers (framework errors,
/// health checks); handlers go through [`ApiError`], which documents it.
impl Problem {
    /// The problem as its `application/problem+json` body.
    pub fn to_body(&self) -> Vec<u8> {
        serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(self)).unwrap_or_default()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.to_body();
        let mut resp = Response::builder().status(status).content_type(PROBLEM_JSON).body(body);
        if status == StatusCode::UNAUTHORIZED
            && let Ok(challenge) = poem::http::HeaderValue::from_str(&www_authenticate(&self))
        {
            resp.headers_mut().insert("WWW-Authenticate", challenge);
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
