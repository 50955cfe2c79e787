//! What a two-factor login writes when its answer was right: the challenge
//! used, the new session, the account's failure count cleared and the
//! events, all in one transaction ([`LoginFinisher`](crate::ports::LoginFinisher)),
//! so a failure part-way (the database gone, a constraint) leaves nothing
//! half done: no spent code without its session, no session without its events.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::event::AuditEvent;
use crate::session::family::Session;

/// The writes of a finished two-factor login.
#[derive(Debug, Clone)]
pub struct FinishedLogin {
    /// The challenge answered: used only if still open (unused, under
    /// `max_attempts`, unexpired at `now`).
    pub challenge: Uuid,
    pub max_attempts: u32,
    pub now: DateTime<Utc>,
    /// Created only if its user is still active.
    pub session: Session,
    /// The throttle key whose failures a complete login clears.
    pub throttle_key: String,
    pub events: Vec<AuditEvent>,
}

/// How finishing went; anything but `Done` wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Done,
    /// Used, out of tries or expired meanwhile (a concurrent answer won).
    ChallengeClosed,
    /// The user was deactivated or deleted meanwhile.
    UserInactive,
}
