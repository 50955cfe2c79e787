//! Passkeys (WebAuthn): a credential on the user's device that signs a
//! fresh challenge after checking the person (PIN, fingerprint, face). It
//! answers a login's second step ([`SecondFactor`](crate::otp::SecondFactor))
//! or, alone, signs in with no name or password ([`PasskeySignIn`]).
//!
//! The ceremonies themselves (options, attestation, signatures, origin and
//! relying-party id) are the [`WebAuthn`](crate::ports::WebAuthn) port's,
//! carried out by webauthn-rs; the rules around them are here: a ceremony is
//! spent once ([`ceremony`]), a counter only goes up ([`counter`]), a
//! credential belongs to one user, and a failed assertion counts as a wrong
//! code does.

mod ceremonies;
pub mod ceremony;
pub mod counter;
mod enrolment;
mod sign_in;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::user::UserId;

pub(crate) use ceremonies::{Checked, PasskeyCeremonies};
pub use ceremony::{Begun, Ceremony, CeremonyPurpose, Started};
pub use enrolment::Passkeys;
pub(crate) use enrolment::about;
pub use sign_in::PasskeySignIn;

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    pub id: Uuid,
    pub user_id: UserId,
    /// The credential id the authenticator chose: unique across all users.
    pub credential_id: Vec<u8>,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Whether the credential may be synced to the user's other devices.
    pub backup_eligible: bool,
    /// Whether it is synced now (as the last assertion said).
    pub backed_up: bool,
    /// The signature counter the last accepted assertion carried.
    pub counter: u32,
    /// The library's record of the credential (public key, algorithm,
    /// flags): opaque here, kept as it gave it.
    pub data: String,
}

/// What the WebAuthn port made of a registration's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub credential_id: Vec<u8>,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub counter: u32,
    pub data: String,
}

/// Who an assertion says it is, before anything is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub credential_id: Vec<u8>,
    /// The user handle a discoverable credential returns (the user's id).
    pub user_handle: Option<Uuid>,
}

/// A verified assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub counter: u32,
    /// Whether the authenticator checked the person (PIN, biometrics).
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backed_up: bool,
    /// The credential record with the new counter and flags.
    pub data: String,
}

/// What an accepted assertion writes to its passkey, if the counter still
/// allows it ([`PasskeyRepo::record_use`](crate::ports::PasskeyRepo::record_use)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyUse {
    pub counter: u32,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub data: String,
    pub at: DateTime<Utc>,
}

/// Why the WebAuthn port refused a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed, wrong challenge, origin or rp id, bad signature, no user
    /// verification, not one of the allowed credentials: why, for the event.
    Invalid(String),
    /// The signature counter did not increase: the key may be cloned.
    CloneSuspected,
}

impl Refusal {
    /// The words the `passkey_rejected` event gives as its reason.
    pub fn reason(&self) -> &str {
        match self {
            Refusal::Invalid(why) => why,
            Refusal::CloneSuspected => "counter_did_not_increase",
        }
    }
}

/// The name a user gives a passkey: 1 to 64 characters once trimmed, no
/// control characters.
pub fn parse_name(name: &str) -> Result<String> {
    let name = name.trim();
    let invalid = |reason: &str| Error::InvalidField { field: "name", reason: reason.into() };
    match name.chars().count() {
        0 => Err(invalid("must not be empty")),
        n if n > MAX_NAME_CHARS => Err(invalid("must be at most 64 characters")),
        _ if name.chars().any(char::is_control) => Err(invalid("must not contain control characters")),
        _ => Ok(name.to_owned()),
    }
}

/// The longest passkey name.
pub const MAX_NAME_CHARS: usize = 64;
