//! The four token kinds and the checks every token passes before a use case
//! trusts it. Signature, algorithm, issuer and audience are the codec's job;
//! kind and lifetime are decided here, against the injected clock.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::assurance::Assurance;
use crate::error::{Error, Result};
use crate::user::UserId;

/// Which door a token opens. Kinds never cross (RFC 8725 §3.11): each use case
/// names the one kind it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Short-lived proof of a logged-in session, for API calls.
    Access,
    /// Long-lived, single-use key to the next token pair of a session.
    Refresh,
    /// Proof that the password step of a two-factor login passed; good only
    /// for verifying or resending that login's one-time code.
    Temporary,
    /// Proof of a session opened at the web pages, kept in their HttpOnly
    /// cookie; it lives as long as its session and is never refreshed.
    Browser,
    /// An OpenID Connect client's access token for itself
    /// (`client_credentials`, RFC 6749 §4.4): no user is behind it. Its
    /// `sid` names the client's credentials grant, which revocation ends;
    /// its `sub` is the nil user ([`Claims::NO_USER`]), and on the wire the
    /// client's id (RFC 9068 §2.2). Introspection reads it; no route that
    /// speaks of a user takes it.
    Client,
}

/// What a token says. `sid` names the session (access, refresh, browser) or the
/// one-time-code challenge (temporary) the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub kind: TokenKind,
    pub sub: UserId,
    pub sid: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// How and when the user proved who they are: on access and browser
    /// tokens (`amr`, `acr`, `auth_time`); `None` on the other kinds, and
    /// on tokens signed before authd wrote it.
    pub assurance: Option<Assurance>,
    /// On the access and refresh tokens of a session opened for an OpenID
    /// Connect client: the client (their audience) and the scopes granted.
    pub client: Option<crate::oidc::ClientGrant>,
}

impl Claims {
    /// The `sub` of a [`TokenKind::Client`] token: no user has this id.
    pub const NO_USER: UserId = UserId(Uuid::nil());

    pub fn new(
        kind: TokenKind,
        sub: UserId,
        sid: Uuid,
        jti: Uuid,
        issued: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Self {
        Self { kind, sub, sid, jti, iat: issued.timestamp(), exp: expires.timestamp(), assurance: None, client: None }
    }

    /// The claims, saying how and when the user proved who they are.
    pub fn assured(self, assurance: Assurance) -> Self {
        Self { assurance: Some(assurance), ..self }
    }

    /// The claims of a token issued to `client` (none: to authd itself).
    pub fn for_client(self, client: Option<&crate::oidc::ClientGrant>) -> Self {
        Self { client: client.cloned(), ..self }
    }

    /// Accepts the claims only as a token of `kind` that is valid at `now`.
    pub fn accept(self, kind: TokenKind, now: DateTime<Utc>) -> Result<Self> {
        if self.kind != kind {
            return Err(Error::TokenInvalid);
        }
        let now = now.timestamp();
        // Issued in the future: signed by a node whose clock is off, or forged.
        if self.iat > now + 5 {
            return Err(Error::TokenInvalid);
        }
        if now >= self.exp {
            return Err(Error::TokenExpired);
        }
        Ok(self)
    }
}

/// The token a browser keeps in its session cookie after a complete login.
#[derive(Debug, Clone)]
pub struct BrowserToken {
    pub token: String,
    /// Seconds the session (and so the cookie) lives.
    pub expires_in: u64,
}

/// A fresh pair handed out after a complete login or a refresh.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// Seconds the refresh token lives.
    pub refresh_expires_in: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).unwrap()
    }

    fn claims(kind: TokenKind) -> Claims {
        Claims::new(kind, UserId(Uuid::nil()), Uuid::nil(), Uuid::nil(), at(1000), at(1240))
    }

    #[test]
    fn token_of_another_kind_is_rejected_in_every_pairing() {
        use TokenKind::*;
        let kinds = [Access, Refresh, Temporary, Browser, Client];
        for presented in kinds {
            for expected in kinds {
                let r = claims(presented).accept(expected, at(1100));
                assert_eq!(r.is_ok(), presented == expected, "{presented:?} as {expected:?}");
            }
        }
    }

    #[test]
    fn token_is_expired_at_its_exp_second() {
        assert!(claims(TokenKind::Access).accept(TokenKind::Access, at(1239)).is_ok());
        assert!(matches!(claims(TokenKind::Access).accept(TokenKind::Access, at(1240)), Err(Error::TokenExpired)));
    }

    #[test]
    fn token_issued_up_to_five_seconds_ahead_is_accepted_for_clock_skew() {
        assert!(claims(TokenKind::Access).accept(TokenKind::Access, at(995)).is_ok());
        assert!(matches!(claims(TokenKind::Access).accept(TokenKind::Access, at(994)), Err(Error::TokenInvalid)));
    }

    #[test]
    fn token_issued_in_the_future_is_rejected() {
        assert!(matches!(claims(TokenKind::Access).accept(TokenKind::Access, at(990)), Err(Error::TokenInvalid)));
    }
}
