//! JWTs, HS256 (the configured secret) or EdDSA (Ed25519 keys with a `kid`,
//! from [`SigningKeys`]). The algorithm is pinned when a token is opened
//! (`jws.rs`: a token naming any other, `none` included, is refused, and an
//! EdDSA codec never takes an HMAC key), and issuer and audience must match.
//!
//! Each kind is typed explicitly (RFC 8725 §3.11): access tokens are RFC 9068
//! access tokens (header `typ: at+jwt`, the configured audience, which
//! resource servers check); every other kind has a header type and an
//! audience of its own that no resource server is configured with, so a
//! standard library validating offline from the JWKS, with its default
//! audience check, refuses a refresh, temporary or browser token. A token
//! whose header type and audience name different kinds is refused.

use std::sync::Arc;

use chrono::DateTime;
use domain::assurance::{Amr, Assurance};
use domain::oidc::{ClientGrant, ClientId};
use domain::token::{Claims, TokenKind};
use domain::user::UserId;
use domain::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::signing_keys::{SigningAlg, SigningKeys};
use crate::verified_tokens::{Verified, VerifiedTokens};

pub use domain::token::{MIN_SECRET_BYTES, reserved_audience};

/// The header type of access tokens (RFC 9068 §2.1).
pub const ACCESS_TYPE: &str = "at+jwt";

/// The header type and audience of every kind but access, which takes the
/// configured audience. The audiences are URNs under `urn:authd:`, which the
/// configured audience may not use ([`reserved_audience`]).
const OWN_TYPES: [(TokenKind, &str, &str); 3] = [
    (TokenKind::Refresh, "authd-refresh+jwt", "urn:authd:refresh"),
    (TokenKind::Temporary, "authd-temporary+jwt", "urn:authd:temporary"),
    (TokenKind::Browser, "authd-browser+jwt", "urn:authd:browser"),
];

/// The claims on the wire: RFC 9068's `iss`, `exp`, `aud`, `sub`, `iat`,
/// `jti`, the session (`sid`), and on access and browser tokens how the
/// user proved who they are (`auth_time`, `acr`, `amr`: RFC 9068 §2.2.1,
/// RFC 8176). The kind is in the header.
#[derive(Serialize, Deserialize)]
struct Wire {
    iss: String,
    sub: Uuid,
    aud: String,
    exp: i64,
    iat: i64,
    jti: Uuid,
    sid: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    /// Written for resource servers; read back from `amr`, never trusted alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amr: Option<Vec<String>>,
    /// `true` on the tokens of a session that may only enrol a second
    /// factor (`AUTHD_REQUIRE_2FA`); absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    second_factor_required: bool,
    /// On the tokens of a session opened for an OpenID Connect client: the
    /// client (RFC 9068 §2.2; an access token's `aud` is then this id) and
    /// the scopes granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

impl Wire {
    /// The assurance the token carries, when it carries one.
    fn assurance(&self) -> Result<Option<Assurance>> {
        let (Some(amr), Some(at)) = (&self.amr, self.auth_time) else { return Ok(None) };
        let auth_time = DateTime::from_timestamp(at, 0).ok_or(Error::TokenInvalid)?;
        let amr = Amr::from_words(amr.iter().map(String::as_str));
        Ok(Some(Assurance { amr, auth_time, second_factor_due: self.second_factor_required }))
    }
}

enum Keys {
    Hs256 { encoding: EncodingKey, decoding: DecodingKey },
    EdDsa(Arc<SigningKeys>),
}

pub struct JwtCodec {
    keys: Keys,
    alg: Algorithm,
    verified: VerifiedTokens,
    issuer: String,
    audience: String,
}

impl JwtCodec {
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Result<Self> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Error::internal(format!("the JWT secret must be at least {MIN_SECRET_BYTES} bytes")));
        }
        let keys =
            Keys::Hs256 { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) };
        Self::new(keys, Algorithm::HS256, issuer, audience)
    }

    /// Signs with the key `keys` schedules for each token's `iat`, and
    /// verifies with the key its `kid` names while that key verifies.
    pub fn eddsa(keys: Arc<SigningKeys>, issuer: &str, audience: &str) -> Result<Self> {
        Self::new(Keys::EdDsa(keys), Algorithm::EdDSA, issuer, audience)
    }

    fn new(keys: Keys, alg: Algorithm, issuer: &str, audience: &str) -> Result<Self> {
        if reserved_audience(audience) {
            return Err(Error::internal(format!(
                "the access tokens' audience may not start with urn:authd: ({audience})"
            )));
        }
        crate::jwt_crypto::install();
        Ok(Self {
            keys,
            alg,
            verified: VerifiedTokens::new(crate::verified_tokens::DEFAULT_BOUND),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// Remembers at most `bound` checked tokens (`AUTHD_MEMORY_TOKENS`; 0: none).
    pub fn remember_tokens(mut self, bound: usize) -> Self {
        self.verified = VerifiedTokens::new(bound);
        self
    }

    /// The header type and audience a token of `kind` carries.
    fn typed(&self, kind: TokenKind) -> (&'static str, &str) {
        match OWN_TYPES.iter().find(|(k, _, _)| *k == kind) {
            Some((_, typ, aud)) => (typ, aud),
            None => (ACCESS_TYPE, &self.audience),
        }
    }

    /// The kind a verified token's header type names, if its audience is
    /// that kind's: an access token's is the configured audience, or the
    /// client it names in `client_id`; only access and refresh tokens name
    /// a client. An access token whose subject is the client it names is
    /// the client's own (`client_credentials`, RFC 9068 §2.2).
    fn kind_of(&self, typ: Option<&str>, w: &Wire) -> Result<TokenKind> {
        let kind = match typ {
            Some(ACCESS_TYPE) if w.client_id.is_some_and(|c| c == w.sub) => TokenKind::Client,
            Some(ACCESS_TYPE) => TokenKind::Access,
            Some(typ) => OWN_TYPES.iter().find(|(_, t, _)| *t == typ).map(|(k, _, _)| *k).ok_or(Error::TokenInvalid)?,
            None => return Err(Error::TokenInvalid),
        };
        let expected = match (kind, w.client_id) {
            (TokenKind::Access | TokenKind::Client, Some(id)) => id.to_string(),
            (TokenKind::Access | TokenKind::Refresh, _) | (_, None) => self.typed(kind).1.to_owned(),
            (_, Some(_)) => return Err(Error::TokenInvalid),
        };
        if expected != w.aud {
            return Err(Error::TokenInvalid);
        }
        Ok(kind)
    }
}

/// Whether a checked token of `kind` is worth remembering: an access,
/// client or browser token is presented on request after request while it
/// lives. A refresh token is spent by its one use (rotation) and a
/// temporary token answers a step or two of one login: remembered, they
/// only pushed the access tokens out (a node's refreshes filled most of the
/// memory's 20k places, 12 MB, in the bench).
fn presented_again(kind: TokenKind) -> bool {
    match kind {
        TokenKind::Access | TokenKind::Client | TokenKind::Browser => true,
        TokenKind::Refresh | TokenKind::Temporary => false,
    }
}

impl domain::ports::TokenCodec for JwtCodec {
    fn encode(&self, c: &Claims) -> Result<String> {
        let (typ, aud) = self.typed(c.kind);
        let client_id = c.client.as_ref().map(|g| g.client_id.0);
        let aud = match (c.kind, client_id) {
            (TokenKind::Access | TokenKind::Client, Some(id)) => id.to_string(),
            _ => aud.to_owned(),
        };
        // A client's own token has the client as its subject (RFC 9068 §2.2).
        let sub = match (c.kind, client_id) {
            (TokenKind::Client, Some(id)) => id,
            (TokenKind::Client, None) => return Err(Error::internal("a client's own token names its client")),
            _ => c.sub.0,
        };
        let wire = Wire {
            iss: self.issuer.clone(),
            sub,
            aud,
            exp: c.exp,
            iat: c.iat,
            jti: c.jti,
            sid: c.sid,
            auth_time: c.assurance.map(|a| a.auth_time.timestamp()),
            acr: c.assurance.map(|a| a.acr().as_str().to_owned()),
            amr: c.assurance.map(|a| a.amr.words().into_iter().map(str::to_owned).collect()),
            second_factor_required: c.assurance.is_some_and(|a| a.second_factor_due),
            client_id,
            scope: c.client.as_ref().map(|g| g.scope_words()),
        };
        let header = Header { typ: Some(typ.to_owned()), ..Header::new(self.alg) };
        match &self.keys {
            Keys::Hs256 { encoding, .. } => jsonwebtoken::encode(&header, &wire, encoding),
            Keys::EdDsa(keys) => {
                let (kid, key) =
                    keys.signer(SigningAlg::EdDsa, c.iat).ok_or_else(|| Error::internal("no signing key signs now"))?;
                jsonwebtoken::encode(&Header { kid: Some(kid), ..header }, &wire, &key)
            }
        }
        .map_err(Error::internal)
    }

    fn decode(&self, token: &str) -> Result<Claims> {
        if let Some(seen) = self.verified.get(token) {
            return match (&self.keys, &seen.kid) {
                (Keys::Hs256 { .. }, _) => Ok(seen.claims),
                // Its key may have retired since.
                (Keys::EdDsa(keys), Some(kid)) if keys.still_verifies(kid) => Ok(seen.claims),
                _ => Err(Error::TokenInvalid),
            };
        }
        let parts = crate::jws::split(token, self.alg)?;
        let (w, kid): (Wire, _) = match &self.keys {
            Keys::Hs256 { decoding, .. } => (parts.claims(decoding, self.alg)?, None),
            Keys::EdDsa(keys) => {
                let kid = parts.header.kid.as_deref().ok_or(Error::TokenInvalid)?;
                let key = keys.verifier(SigningAlg::EdDsa, kid).ok_or(Error::TokenInvalid)?;
                (parts.claims(&key, self.alg)?, Some(kid.into()))
            }
        };
        if w.iss != self.issuer {
            return Err(Error::TokenInvalid);
        }
        let kind = self.kind_of(parts.header.typ.as_deref(), &w)?;
        let sub = match kind {
            TokenKind::Client => Claims::NO_USER,
            _ => UserId(w.sub),
        };
        let assurance = w.assurance()?;
        let client = w.client_id.map(|id| ClientGrant::from_words(ClientId(id), w.scope.as_deref().unwrap_or("")));
        let claims = Claims { kind, sub, sid: w.sid, jti: w.jti, iat: w.iat, exp: w.exp, assurance, client };
        if presented_again(kind) {
            self.verified.put(token, Verified { claims: claims.clone(), kid });
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ports::TokenCodec;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn codec() -> JwtCodec {
        JwtCodec::hs256(SECRET, "authd", "authd-api").unwrap()
    }

    fn claims() -> Claims {
        Claims {
            kind: TokenKind::Access,
            sub: UserId(Uuid::from_u128(1)),
            sid: Uuid::from_u128(2),
            jti: Uuid::from_u128(3),
            iat: 1_800_000_000,
            exp: 1_800_000_900,
            assurance: Some(Assurance::proved(
                Amr::two_factors(domain::otp::Method::Passkey),
                DateTime::from_timestamp(1_799_999_000, 0).unwrap(),
            )),
            client: None,
        }
    }

    fn b64(s: &str) -> String {
        use std::fmt::Write;
        // Minimal base64url without padding, enough for forging test headers.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let (b, mut out) = (s.as_bytes(), String::new());
        for chunk in b.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &x)| acc | (x as u32) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                write!(out, "{}", A[(n >> (18 - 6 * i) & 63) as usize] as char).unwrap();
            }
        }
        out
    }

    fn of_kind(kind: TokenKind) -> Claims {
        Claims { kind, ..claims() }
    }

    const KINDS: [TokenKind; 4] = [TokenKind::Access, TokenKind::Refresh, TokenKind::Temporary, TokenKind::Browser];

    /// A token's header and claims, read without checking anything.
    fn parts(token: &str) -> (serde_json::Value, serde_json::Value) {
        use base64::Engine;
        let part = |i: usize| {
            let raw =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap();
            serde_json::from_slice(&raw).unwrap()
        };
        (part(0), part(1))
    }

    /// Signs `claims` under `header` with the test secret, as a forger holding it would.
    fn forge(header: serde_json::Value, claims: serde_json::Value) -> String {
        let sign = |s: &str| {
            use base64::Engine;
            use hmac::Mac;
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
            mac.update(s.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        };
        let signed = format!("{}.{}", b64(&header.to_string()), b64(&claims.to_string()));
        format!("{signed}.{}", sign(&signed))
    }

    #[test]
    fn token_round_trips_with_every_claim() {
        let c = codec();
        for kind in KINDS {
            let token = c.encode(&of_kind(kind)).unwrap();
            assert_eq!(c.decode(&token).unwrap(), of_kind(kind));
        }
    }

    #[test]
    fn access_tokens_are_rfc_9068_at_jwt_for_the_configured_audience_and_every_other_kind_has_its_own_type_and_audience()
     {
        let c = codec();
        let (header, claims) = parts(&c.encode(&of_kind(TokenKind::Access)).unwrap());
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(claims["aud"], "authd-api");
        for claim in ["iss", "exp", "aud", "sub", "iat", "jti"] {
            assert!(claims.get(claim).is_some(), "RFC 9068 §2.2 asks for {claim}: {claims}");
        }
        let mut seen = vec![("at+jwt".to_owned(), "authd-api".to_owned())];
        for kind in [TokenKind::Refresh, TokenKind::Temporary, TokenKind::Browser] {
            let (header, claims) = parts(&c.encode(&of_kind(kind)).unwrap());
            let typed = (header["typ"].as_str().unwrap().to_owned(), claims["aud"].as_str().unwrap().to_owned());
            assert!(typed.0.ends_with("+jwt") && typed.1.starts_with("urn:authd:"), "{kind:?}: {typed:?}");
            assert!(seen.iter().all(|(t, a)| *t != typed.0 && *a != typed.1), "{kind:?} shares a type or audience");
            seen.push(typed);
        }
    }

    #[test]
    fn an_access_token_says_how_its_user_proved_who_they_are_as_rfc_8176_amr_nist_acr_and_auth_time() {
        let (_, wire) = parts(&codec().encode(&claims()).unwrap());
        assert_eq!(wire["amr"], serde_json::json!(["pwd", "hwk", "user", "mfa"]));
        assert_eq!((wire["acr"].as_str(), wire["auth_time"].as_i64()), (Some("aal2"), Some(1_799_999_000)));
        let unassured = Claims { kind: TokenKind::Temporary, assurance: None, ..claims() };
        let (_, wire) = parts(&codec().encode(&unassured).unwrap());
        assert!(["amr", "acr", "auth_time"].iter().all(|c| wire.get(c).is_none()), "{wire}");
        assert_eq!(codec().decode(&codec().encode(&unassured).unwrap()).unwrap().assurance, None);
    }

    #[test]
    fn a_session_that_may_only_enrol_a_second_factor_says_so_in_its_tokens_and_others_do_not_mention_it() {
        let (_, wire) = parts(&codec().encode(&claims()).unwrap());
        assert!(wire.get("second_factor_required").is_none(), "{wire}");
        let mut due = claims();
        due.assurance = due.assurance.map(|a| Assurance { second_factor_due: true, ..a });
        let token = codec().encode(&due).unwrap();
        assert_eq!(parts(&token).1["second_factor_required"], serde_json::json!(true));
        assert!(codec().decode(&token).unwrap().assurance.unwrap().second_factor_due);
    }

    #[test]
    fn a_tokens_acr_is_never_read_the_level_follows_from_its_amr() {
        let (_, mut wire) = parts(&codec().encode(&claims()).unwrap());
        wire["amr"] = serde_json::json!(["pwd"]);
        let forged = forge(serde_json::json!({"alg": "HS256", "typ": "at+jwt"}), wire);
        let read = codec().decode(&forged).unwrap().assurance.unwrap();
        assert_eq!((read.amr, read.acr()), (Amr::password(), domain::assurance::Acr::Aal1), "acr aal2 was written");
    }

    #[test]
    fn a_standard_validator_checking_the_access_audience_accepts_access_tokens_only() {
        let c = codec();
        let now = chrono::Utc::now().timestamp();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.set_issuer(&["authd"]);
        validation.set_audience(&["authd-api"]);
        for kind in KINDS {
            let live = Claims { iat: now, exp: now + 600, ..of_kind(kind) };
            let token = c.encode(&live).unwrap();
            let checked =
                jsonwebtoken::decode::<serde_json::Value>(&token, &DecodingKey::from_secret(SECRET), &validation);
            assert_eq!(checked.is_ok(), kind == TokenKind::Access, "{kind:?}: {checked:?}");
        }
    }

    #[test]
    fn a_token_whose_header_type_is_missing_unknown_or_names_another_kind_than_its_audience_is_refused() {
        let (_, claims) = parts(&codec().encode(&claims()).unwrap());
        let with_aud = |aud: &str| {
            let mut c = claims.clone();
            c["aud"] = aud.into();
            c
        };
        // The genuine pairing, forged the same way, passes: the forgery is faithful.
        let genuine = forge(serde_json::json!({"alg": "HS256", "typ": "at+jwt"}), with_aud("authd-api"));
        assert_eq!(codec().decode(&genuine).unwrap().kind, TokenKind::Access);
        for (typ, aud) in [
            (Some("at+jwt"), "urn:authd:refresh"),
            (Some("authd-refresh+jwt"), "authd-api"),
            (Some("authd-temporary+jwt"), "urn:authd:browser"),
            (Some("JWT"), "authd-api"),
            (Some("AT+JWT"), "authd-api"),
            (None, "authd-api"),
        ] {
            let mut header = serde_json::json!({"alg": "HS256"});
            if let Some(typ) = typ {
                header["typ"] = typ.into();
            }
            let token = forge(header, with_aud(aud));
            assert!(matches!(codec().decode(&token), Err(Error::TokenInvalid)), "{typ:?} with {aud}");
        }
    }

    #[test]
    fn an_access_audience_under_urn_authd_is_refused() {
        assert!(JwtCodec::hs256(SECRET, "authd", "urn:authd:refresh").is_err());
        assert!(JwtCodec::hs256(SECRET, "authd", "URN:AUTHD:x").is_err());
    }

    #[test]
    fn token_signed_with_another_key_is_rejected() {
        let other = JwtCodec::hs256(b"another-secret-another-secret-xx", "authd", "authd-api").unwrap();
        let token = other.encode(&claims()).unwrap();
        assert!(matches!(codec().decode(&token), Err(Error::TokenInvalid)));
    }

    #[test]
    fn token_with_wrong_issuer_or_audience_is_rejected() {
        let iss = JwtCodec::hs256(SECRET, "someone-else", "authd-api").unwrap().encode(&claims()).unwrap();
        let aud = JwtCodec::hs256(SECRET, "authd", "another-api").unwrap().encode(&claims()).unwrap();
        assert!(codec().decode(&iss).is_err());
        assert!(codec().decode(&aud).is_err());
    }

    #[test]
    fn token_with_alg_none_or_another_algorithm_is_rejected() {
        let token = codec().encode(&claims()).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", b64(r#"{"alg":"none","typ":"JWT"}"#));
        assert!(codec().decode(&none).is_err());
        let hs512 = format!("{}.{payload}.{}", b64(r#"{"alg":"HS512","typ":"JWT"}"#), token.split('.').nth(2).unwrap());
        assert!(codec().decode(&hs512).is_err());
    }

    #[test]
    fn a_token_checked_before_gives_the_same_claims_and_an_altered_copy_is_checked_afresh() {
        let c = codec();
        let token = c.encode(&claims()).unwrap();
        assert_eq!(c.decode(&token).unwrap(), claims());
        assert_eq!(c.verified.len(), 1);
        assert_eq!(c.decode(&token).unwrap(), claims(), "from memory");
        // One character of the signature changed: another text, checked and refused.
        let mut altered = token.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(matches!(c.decode(std::str::from_utf8(&altered).unwrap()), Err(Error::TokenInvalid)));
        for bad in ["", "a.b.c", "not a token"] {
            assert!(c.decode(bad).is_err());
        }
        assert_eq!(c.verified.len(), 1, "refused tokens are not remembered");
    }

    #[test]
    fn a_token_missing_a_registered_claim_or_naming_another_issuer_is_refused() {
        let (header, wire) = parts(&codec().encode(&claims()).unwrap());
        assert!(codec().decode(&forge(header.clone(), wire.clone())).is_ok(), "the forgery is faithful");
        for claim in ["iss", "sub", "aud", "exp", "iat", "jti", "sid"] {
            let mut w = wire.clone();
            w.as_object_mut().unwrap().remove(claim);
            assert!(codec().decode(&forge(header.clone(), w)).is_err(), "without {claim}");
        }
        for iss in [serde_json::json!("authd2"), serde_json::json!(["authd"]), serde_json::json!(null)] {
            let mut w = wire.clone();
            w["iss"] = iss.clone();
            assert!(codec().decode(&forge(header.clone(), w)).is_err(), "iss {iss}");
        }
    }

    #[test]
    fn only_tokens_presented_again_and_again_are_remembered() {
        let c = codec();
        for kind in [TokenKind::Refresh, TokenKind::Temporary] {
            let token = c.encode(&of_kind(kind)).unwrap();
            assert_eq!(c.decode(&token).unwrap(), of_kind(kind));
            assert_eq!(c.verified.len(), 0, "{kind:?} is used once or twice: not remembered");
        }
        for (n, kind) in [TokenKind::Access, TokenKind::Browser].into_iter().enumerate() {
            let token = c.encode(&of_kind(kind)).unwrap();
            c.decode(&token).unwrap();
            assert_eq!(c.verified.len(), n + 1, "{kind:?} is remembered");
        }
        let client = Claims { kind: TokenKind::Client, sub: Claims::NO_USER, client: Some(grant()), ..claims() };
        assert_eq!(c.decode(&c.encode(&client).unwrap()).unwrap().kind, TokenKind::Client);
        assert_eq!(c.verified.len(), 3, "a client's own token is remembered");
    }

    #[test]
    fn a_clients_own_token_without_its_client_is_not_signed() {
        let orphan = Claims { kind: TokenKind::Client, sub: Claims::NO_USER, client: None, ..claims() };
        assert!(codec().encode(&orphan).is_err());
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "a.b.c", "not a token", "....", &"x".repeat(10_000)] {
            assert!(codec().decode(bad).is_err());
        }
    }

    fn grant() -> ClientGrant {
        ClientGrant::new(ClientId(Uuid::from_u128(7)), vec![domain::oidc::Scope::Openid, domain::oidc::Scope::Email])
    }

    #[test]
    fn a_clients_access_token_is_for_the_client_alone_and_says_its_client_id_and_scope() {
        let c = codec();
        let access = Claims { client: Some(grant()), ..claims() };
        let token = c.encode(&access).unwrap();
        let (header, wire) = parts(&token);
        let id = Uuid::from_u128(7).to_string();
        assert_eq!((header["typ"].as_str(), wire["aud"].as_str()), (Some("at+jwt"), Some(id.as_str())));
        assert_eq!((wire["client_id"].as_str(), wire["scope"].as_str()), (Some(id.as_str()), Some("openid email")));
        assert_eq!(c.decode(&token).unwrap(), access);
        // Its refresh token names the client too, under the refresh audience.
        let refresh = Claims { kind: TokenKind::Refresh, assurance: None, ..access.clone() };
        let (_, wire) = parts(&c.encode(&refresh).unwrap());
        assert_eq!((wire["aud"].as_str(), wire["client_id"].as_str()), (Some("urn:authd:refresh"), Some(id.as_str())));
        assert_eq!(c.decode(&c.encode(&refresh).unwrap()).unwrap(), refresh);
        // A browser token never names a client.
        let browser = Claims { kind: TokenKind::Browser, ..access.clone() };
        assert!(matches!(c.decode(&c.encode(&browser).unwrap()), Err(Error::TokenInvalid)));
    }

    #[test]
    fn an_access_tokens_audience_must_be_authds_own_or_the_client_it_names() {
        let c = codec();
        let base = serde_json::json!({"iss": "authd", "sub": Uuid::from_u128(1), "iat": 1_800_000_000_i64,
            "exp": 1_800_000_900_i64, "jti": Uuid::from_u128(3), "sid": Uuid::from_u128(2)});
        let with = |extra: serde_json::Value| {
            let mut claims = base.clone();
            claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            forge(serde_json::json!({"alg": "HS256", "typ": "at+jwt"}), claims)
        };
        let client = Uuid::from_u128(7).to_string();
        assert!(c.decode(&with(serde_json::json!({"aud": "authd-api"}))).is_ok());
        assert!(c.decode(&with(serde_json::json!({"aud": client, "client_id": client}))).is_ok());
        for refused in [
            serde_json::json!({"aud": client}),
            serde_json::json!({"aud": "authd-api", "client_id": client}),
            serde_json::json!({"aud": Uuid::from_u128(8).to_string(), "client_id": client}),
            serde_json::json!({"aud": "urn:authd:refresh", "client_id": client}),
            serde_json::json!({"aud": "someone-else"}),
        ] {
            assert!(matches!(c.decode(&with(refused.clone())), Err(Error::TokenInvalid)), "{refused}");
        }
    }

    #[test]
    fn a_clients_own_token_is_an_at_jwt_whose_subject_and_audience_are_the_client_and_never_an_access_token() {
        let c = codec();
        let own = Claims {
            kind: TokenKind::Client,
            sub: Claims::NO_USER,
            assurance: None,
            client: Some(ClientGrant::new(ClientId(Uuid::from_u128(7)), vec![])),
            ..claims()
        };
        let token = c.encode(&own).unwrap();
        let (header, wire) = parts(&token);
        let id = Uuid::from_u128(7).to_string();
        assert_eq!(header["typ"].as_str(), Some("at+jwt"));
        assert_eq!((wire["sub"].as_str(), wire["aud"].as_str()), (Some(id.as_str()), Some(id.as_str())));
        assert_eq!(wire["client_id"].as_str(), Some(id.as_str()));
        assert!(wire.get("amr").is_none() && wire.get("acr").is_none(), "no user proved anything: {wire}");
        let decoded = c.decode(&token).unwrap();
        assert_eq!(decoded, own);
        assert_eq!(decoded.kind, TokenKind::Client, "not an access token of a user");
        // A user's token for the same client stays a user's.
        let users = Claims { client: own.client.clone(), ..claims() };
        assert_eq!(c.decode(&c.encode(&users).unwrap()).unwrap().kind, TokenKind::Access);
    }

    #[test]
    fn secret_shorter_than_32_bytes_is_refused() {
        assert!(JwtCodec::hs256(b"short", "authd", "authd-api").is_err());
    }
}
