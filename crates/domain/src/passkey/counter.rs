//! The signature counter rule (W3C WebAuthn Level 3 §7.2 step 22): an
//! authenticator that keeps a counter raises it at every assertion, so a
//! value that does not increase means a second copy of the key signed.
//! Synced passkeys keep no counter (always 0): nothing to compare.

/// Whether an assertion carrying `seen` may be accepted for a passkey whose
/// last accepted assertion carried `stored`.
pub fn advances(stored: u32, seen: u32) -> bool {
    (stored == 0 && seen == 0) || seen > stored
}
