//! A WebAuthn ceremony: the challenge the server issued and the state it
//! needs to check the answer, kept server-side (never trusted from the
//! client), bound to its purpose and to whom it was issued for, spent once
//! and dead after [`CEREMONY_TTL`]. Taking it is one conditional DELETE
//! ([`PasskeyRepo::take_ceremony`](crate::ports::PasskeyRepo::take_ceremony)),
//! so of concurrent finishes on any number of nodes, one gets the state.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::words::stable_words;

/// How long a ceremony can be answered: the `timeout` the options carry.
pub const CEREMONY_TTL: Duration = Duration::from_secs(300);

stable_words! {
    /// What a ceremony is for; one of one purpose never finishes another.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum CeremonyPurpose {
        /// Adding a passkey; owned by the user.
        Register = "register",
        /// The second step of a login; owned by the login's challenge.
        Login = "login",
        /// A sign-in with a passkey alone; owned by no one until it is answered.
        SignIn = "sign_in",
    }
}

/// A stored ceremony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub id: Uuid,
    pub purpose: CeremonyPurpose,
    /// The user (registration) or login challenge (second step) it was
    /// issued for; none for a sign-in.
    pub owner: Option<Uuid>,
    /// The library's ceremony state: opaque here.
    pub state: String,
    pub expires_at: DateTime<Utc>,
}

/// A ceremony kept for its answer: its id and the options for
/// `navigator.credentials.create` or `.get`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Begun {
    pub ceremony_id: Uuid,
    pub options: String,
}

/// A ceremony begun by the WebAuthn port: the options for the browser (the
/// W3C JSON form, `{"publicKey": {...}}`) and the state to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub options: String,
    pub state: String,
}
