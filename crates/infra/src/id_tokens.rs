//! ID tokens as JWTs (OpenID Connect Core §2), signed with the key table's
//! key of the client's algorithm (RS256 by default, or EdDSA), whose public
//! half the JWKS publishes; the first key of an algorithm is made when the
//! first ID token needs it. `iss` is the provider's issuer
//! (`AUTHD_PUBLIC_URL`), `aud` the client (a string), `typ` `JWT`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use domain::oidc::id_token::{IdTokenClaims, IdTokenHint};
use domain::oidc::{ClientId, IdTokenAlg};
use domain::ports::IdTokenSigner;
use domain::user::UserId;
use domain::{Error, Result};
use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::signing_keys::{SigningAlg, SigningKeys};

/// The claims on the wire; the scope claims only when granted.
#[derive(Serialize, Deserialize)]
struct IdWire {
    iss: String,
    sub: Uuid,
    aud: String,
    azp: String,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    acr: String,
    amr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updated_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone_number_verified: Option<bool>,
}

fn signing_alg(alg: IdTokenAlg) -> SigningAlg {
    match alg {
        IdTokenAlg::Rs256 => SigningAlg::Rs256,
        IdTokenAlg::EdDsa => SigningAlg::EdDsa,
    }
}

fn jwt_alg(alg: SigningAlg) -> jsonwebtoken::Algorithm {
    match alg {
        SigningAlg::Rs256 => jsonwebtoken::Algorithm::RS256,
        SigningAlg::EdDsa => jsonwebtoken::Algorithm::EdDSA,
    }
}

pub struct JwtIdTokens {
    keys: Arc<SigningKeys>,
    issuer: String,
    /// A first key made on demand is rotated in with these times.
    publish_for: Duration,
    longest_token: Duration,
}

impl JwtIdTokens {
    pub fn new(keys: Arc<SigningKeys>, issuer: &str, publish_for: Duration, longest_token: Duration) -> Self {
        crate::jwt_crypto::install();
        Self { keys, issuer: issuer.trim_end_matches('/').to_owned(), publish_for, longest_token }
    }
}

#[async_trait]
impl IdTokenSigner for JwtIdTokens {
    async fn sign(&self, alg: IdTokenAlg, c: &IdTokenClaims) -> Result<String> {
        let alg = signing_alg(alg);
        let (kid, key) = self.keys.signer_or_generate(alg, c.iat, self.publish_for, self.longest_token).await?;
        let u = &c.user;
        let wire = IdWire {
            iss: self.issuer.clone(),
            sub: c.sub.0,
            aud: c.client_id.to_string(),
            azp: c.client_id.to_string(),
            exp: c.exp,
            iat: c.iat,
            auth_time: c.assurance.auth_time.timestamp(),
            nonce: c.nonce.clone(),
            acr: c.assurance.acr().as_str().to_owned(),
            amr: c.assurance.amr.words().into_iter().map(str::to_owned).collect(),
            sid: Some(c.sid),
            at_hash: c.at_hash.clone(),
            name: u.name.clone(),
            given_name: u.given_name.clone(),
            family_name: u.family_name.clone(),
            preferred_username: u.preferred_username.clone(),
            updated_at: u.updated_at,
            email: u.email.clone(),
            email_verified: u.email_verified,
            phone_number: u.phone_number.clone(),
            phone_number_verified: u.phone_number_verified,
        };
        let header = Header { typ: Some("JWT".into()), kid: Some(kid), ..Header::new(jwt_alg(alg)) };
        jsonwebtoken::encode(&header, &wire, &key).map_err(Error::internal)
    }

    fn read_hint(&self, token: &str) -> Result<IdTokenHint> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Error::TokenInvalid)?;
        let alg = match header.alg {
            jsonwebtoken::Algorithm::RS256 => SigningAlg::Rs256,
            jsonwebtoken::Algorithm::EdDSA => SigningAlg::EdDsa,
            _ => return Err(Error::TokenInvalid),
        };
        let kid = header.kid.ok_or(Error::TokenInvalid)?;
        let key = self.keys.verifier(alg, &kid).ok_or(Error::TokenInvalid)?;
        let mut validation = Validation::new(jwt_alg(alg));
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["iss", "sub", "aud", "iat"]);
        // A hint may have expired (OpenID Connect RP-Initiated Logout §2),
        // and its audience is the client it names, checked by the caller.
        validation.validate_exp = false;
        validation.validate_aud = false;
        let w = jsonwebtoken::decode::<IdWire>(token, &key, &validation).map_err(|_| Error::TokenInvalid)?.claims;
        Ok(IdTokenHint {
            sub: UserId(w.sub),
            client_id: ClientId(w.aud.parse().map_err(|_| Error::TokenInvalid)?),
            sid: w.sid,
            issued_at: DateTime::from_timestamp(w.iat, 0).ok_or(Error::TokenInvalid)?,
        })
    }
}
