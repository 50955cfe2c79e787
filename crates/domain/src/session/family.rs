//! What a session is: one row per login, carrying the one refresh token that
//! may be exchanged next; and who is calling, as a live access token proves.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::assurance::Assurance;
use crate::error::{Error, Result};
use crate::user::UserId;

/// A refresh-token family: one row per login, carrying the one refresh token
/// (`refresh_jti`) that may be exchanged next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: UserId,
    pub refresh_jti: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// How and when the user proved who they are: set when the session
    /// opens, kept by every refresh.
    pub assurance: Assurance,
    /// The OpenID Connect client the session was opened for (a code
    /// exchange), with the scopes granted; `None` for authd's own logins.
    pub client: Option<crate::oidc::ClientGrant>,
}

/// Who is calling, as proven by a live access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub session_id: Uuid,
    /// When the presented access token expires (unix seconds).
    pub expires_at: i64,
    /// What the token says of how and when its user proved who they are.
    pub assurance: Assurance,
}

impl Caller {
    /// The caller, unless their session may only enrol a second factor
    /// (the policy requires one and they have none): then every action but
    /// reading their account, enrolling a factor, stepping up and logging
    /// out is refused with [`Error::SecondFactorRequired`]. The API's
    /// access-token check and the pages' session both ask here.
    pub fn unrestricted(self) -> Result<Self> {
        if self.assurance.second_factor_due {
            return Err(Error::SecondFactorRequired);
        }
        Ok(self)
    }
}
