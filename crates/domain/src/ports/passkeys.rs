//! The passkey ports: where passkeys and ceremonies are kept, and the
//! WebAuthn library that runs the ceremonies.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::Result;
use crate::passkey::{
    Assertion, Ceremony, CeremonyPurpose, Claimed, Passkey, PasskeyUse, Refusal, Registered, Started,
};
use crate::user::UserId;

/// Users' passkeys and the open ceremonies.
#[async_trait]
pub trait PasskeyRepo: Send + Sync {
    /// Stores a new passkey; `false`, and nothing stored, when its credential
    /// id is registered already (to anyone: a unique constraint), or the user
    /// is gone.
    async fn add(&self, passkey: &Passkey) -> Result<bool>;
    /// The user's passkeys, newest first.
    async fn list(&self, user: UserId) -> Result<Vec<Passkey>>;
    /// How many passkeys the user has (what every login asks: no rows read).
    async fn count(&self, user: UserId) -> Result<u32>;
    async fn by_credential(&self, credential_id: &[u8]) -> Result<Option<Passkey>>;
    /// Renames the user's passkey `id`; none when the user has no such passkey.
    async fn rename(&self, user: UserId, id: Uuid, name: &str) -> Result<Option<Passkey>>;
    /// Removes the user's passkey `id`; whether there was one.
    async fn delete(&self, user: UserId, id: Uuid) -> Result<bool>;
    /// Removes all the user's passkeys; how many.
    async fn delete_all(&self, user: UserId) -> Result<u64>;
    /// Writes an accepted assertion to passkey `id` only if its counter still
    /// advances ([`counter::advances`](crate::passkey::counter::advances)
    /// over the stored value, in the statement): of two nodes accepting one
    /// counter value, one writes. Whether it was written.
    async fn record_use(&self, id: Uuid, used: &PasskeyUse) -> Result<bool>;
    /// Stores a ceremony, replacing one with the same id.
    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<()>;
    /// Deletes and returns the state of ceremony `id` if it has this purpose
    /// and owner and lives at `now`: one conditional statement, so of
    /// concurrent callers one gets it.
    async fn take_ceremony(
        &self,
        id: Uuid,
        purpose: CeremonyPurpose,
        owner: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>>;
}

/// The WebAuthn ceremonies (W3C WebAuthn Level 3), by a library: options,
/// attestation, signatures, origin and relying-party id, user verification.
/// Credentials are the JSON `PublicKeyCredential.toJSON()` gives.
pub trait WebAuthn: Send + Sync {
    /// Options to create a discoverable credential for `user`, requiring
    /// user verification, excluding the credentials the user has.
    fn start_registration(&self, user: UserId, name: &str, exclude: &[Vec<u8>]) -> Result<Started>;
    fn finish_registration(&self, state: &str, credential: &str) -> Result<Registered, Refusal>;
    /// Options to sign with one of `passkeys`; none: any discoverable
    /// credential of this relying party (a sign-in without a name).
    fn start_assertion(&self, passkeys: &[Passkey]) -> Result<Started>;
    /// The credential id (and user handle) an assertion names.
    fn claimed(&self, credential: &str) -> Result<Claimed, Refusal>;
    /// Checks an assertion against its ceremony's state and the stored
    /// `passkey`. Without one (an unknown credential) the same work is done
    /// against a decoy, and it is refused.
    fn finish_assertion(&self, state: &str, credential: &str, passkey: Option<&Passkey>) -> Result<Assertion, Refusal>;
}
