//! What a session is: one row per login, carrying the one refresh token that
//! may be exchanged next; and who is calling, as a live access token proves.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::assurance::Assurance;
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
