//! Keys derived from the one configured server secret: one label per use, so
//! no two uses (signing aside) ever share a key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256(secret, label): a 256-bit key for the use `label` names.
pub(crate) fn derive(secret: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}
