//! Tokens against cross-site request forgery for the web pages: the signed
//! double-submit cookie of OWASP's CSRF cheat sheet. A browser holds a random
//! value in a cookie; every form carries HMAC(key, value ‖ session), which
//! only this server can make. A forged form from another site can neither
//! read the cookie nor compute the token, and a token made before a login
//! is worthless after it, as the session is part of what is signed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct CsrfKey {
    key: [u8; 32],
}

impl CsrfKey {
    /// Derives the key from the server secret under its own label.
    pub fn derived_from(secret: &[u8]) -> Self {
        Self { key: crate::keys::derive(secret, b"authd/ui-csrf-key/v1") }
    }

    /// The token for forms shown to the browser holding `cookie`, in `session` (if any).
    pub fn token(&self, cookie: &str, session: Option<uuid::Uuid>) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(cookie.as_bytes());
        mac.update(b"|");
        if let Some(s) = session {
            mac.update(s.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `token` is the one [`token`](Self::token) makes for this cookie and session.
    pub fn verify(&self, cookie: &str, session: Option<uuid::Uuid>, token: &str) -> bool {
        !cookie.is_empty() && self.token(cookie, session).as_bytes().ct_eq(token.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_holds_only_for_its_cookie_session_and_server() {
        let key = CsrfKey::derived_from(b"0123456789abcdef0123456789abcdef");
        let s = uuid::Uuid::new_v4();
        let t = key.token("cookie-a", Some(s));
        assert!(key.verify("cookie-a", Some(s), &t));
        assert!(!key.verify("cookie-b", Some(s), &t), "another browser's cookie");
        assert!(!key.verify("cookie-a", None, &t), "signed for a session: not before it");
        assert!(!key.verify("cookie-a", Some(uuid::Uuid::new_v4()), &t), "another session");
        assert!(!key.verify("", None, &key.token("", None)), "no cookie, no token");
        let other = CsrfKey::derived_from(b"another secret, thirty-two bytes!");
        assert!(!other.verify("cookie-a", Some(s), &t), "another server's key");
        assert!(!key.verify("cookie-a", Some(s), &t[..10]));
    }
}
