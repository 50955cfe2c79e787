//! A user's authenticator-app enrolment as storage keeps it.

use chrono::{DateTime, Utc};

use crate::user::UserId;

/// One per user. Pending until a first code confirms it; `last_step` is the
/// newest time step accepted, so each step is accepted once across nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpCredential {
    pub user_id: UserId,
    /// The secret, sealed (AEAD) by the [`SecretSealer`](crate::ports::SecretSealer) port.
    pub sealed_secret: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: Option<u64>,
}

impl TotpCredential {
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some()
    }
}
