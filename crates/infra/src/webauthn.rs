//! The WebAuthn port on webauthn-rs: its passkey ceremonies (user
//! verification required, the W3C JSON form), the relying party from the
//! settings. The ceremony state is serialised into the database row the
//! domain keeps server-side; nothing of it goes to the browser but the
//! options.

use domain::passkey::{Assertion, Claimed, Passkey, Refusal, Registered, Started};
use domain::ports::WebAuthn;
use domain::user::UserId;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    CreationChallengeResponse, Credential, DiscoverableAuthentication, Passkey as Key, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
    WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

/// Who the passkeys are for: the host of `AUTHD_PUBLIC_URL` and the origins
/// allowed to ask for them.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    /// The relying-party id: a host name (never an IP address).
    pub id: String,
    pub name: String,
    /// The public URL's origin, then `AUTHD_WEBAUTHN_ORIGINS`.
    pub origins: Vec<Url>,
}

impl RelyingParty {
    /// The relying party of the public URL `public_url`, named `name`, also
    /// answering `extra_origins`. An error names what is wrong.
    pub fn new(public_url: &str, name: &str, extra_origins: &[String]) -> Result<Self, String> {
        let origin = Url::parse(public_url).map_err(|e| format!("{public_url} is not a URL: {e}"))?;
        let id = origin
            .domain()
            .ok_or_else(|| format!("{public_url} has no host name (passkeys cannot be bound to an IP address)"))?
            .to_owned();
        let mut origins = vec![origin];
        for o in extra_origins {
            origins.push(Url::parse(o).map_err(|e| format!("{o} is not an origin: {e}"))?);
        }
        Ok(Self { id, name: name.to_owned(), origins })
    }
}

/// What is kept of a ceremony: its webauthn-rs state, by kind.
#[derive(Serialize, Deserialize)]
enum State {
    Register(PasskeyRegistration),
    Login(PasskeyAuthentication),
    SignIn(DiscoverableAuthentication),
}

pub struct WebauthnRs {
    inner: Webauthn,
    /// Checked against when a sign-in names an unknown credential, so that
    /// it costs what a known one with a bad signature does.
    decoy: Key,
}

/// A P-256 public key no authenticator holds the private half of (the
/// Yubico test vector's key in webauthn-rs-core): the decoy's.
const DECOY: &str = r#"{"cred":{"cred_id":"AAAAAAAAAAAAAAAAAAAAAA","cred":{"type_":"ES256","key":{"EC_EC2":{"curve":"SECP256R1","x":[194,126,127,109,252,23,131,21,252,6,223,99,44,254,140,27,230,17,94,5,133,28,104,41,144,69,171,149,161,26,200,243],"y":[143,123,183,156,24,178,21,248,117,159,162,69,171,52,188,252,26,59,6,47,103,92,19,58,117,103,249,0,219,8,95,196]}}},"counter":0,"transports":null,"user_verified":true,"backup_eligible":false,"backup_state":false,"registration_policy":"required","extensions":{"cred_protect":"NotRequested","hmac_create_secret":"NotRequested"},"attestation":{"data":"None","metadata":"None"},"attestation_format":"none"}}"#;

impl WebauthnRs {
    pub fn new(rp: &RelyingParty) -> Result<Self, String> {
        let (first, more) = rp.origins.split_first().ok_or("no origin")?;
        let mut builder = WebauthnBuilder::new(&rp.id, first)
            .map_err(|e| format!("{first} is not an origin of {}: {e}", rp.id))?
            .rp_name(&rp.name);
        for origin in more {
            builder = builder.append_allowed_origin(origin);
        }
        let inner = builder.build().map_err(|e| e.to_string())?;
        let decoy = serde_json::from_str(DECOY).map_err(|e| format!("the decoy passkey: {e}"))?;
        Ok(Self { inner, decoy })
    }
}

impl WebauthnRs {
    /// The decoy under the credential id `answer` names, so the library
    /// goes past its id check and verifies the signature (which fails) as
    /// it would for a known credential.
    fn decoy_for(&self, answer: &PublicKeyCredential) -> Key {
        let mut cred = credential_of(&self.decoy);
        cred.cred_id = answer.raw_id.clone();
        Key::from(cred)
    }
}

fn internal(e: impl std::fmt::Display) -> domain::Error {
    domain::Error::internal(e.to_string())
}

fn invalid(e: impl std::fmt::Display) -> Refusal {
    Refusal::Invalid(e.to_string())
}

/// A refusal from the library: a counter that did not advance is a clone
/// suspect, everything else invalid.
fn refusal(e: WebauthnError) -> Refusal {
    match e {
        WebauthnError::CredentialPossibleCompromise => Refusal::CloneSuspected,
        e => invalid(format!("{e:?}")),
    }
}

fn encode<T: Serialize>(options: &T, state: State) -> domain::Result<Started> {
    Ok(Started {
        options: serde_json::to_string(options).map_err(internal)?,
        state: serde_json::to_string(&state).map_err(internal)?,
    })
}

fn credential_of(key: &Key) -> Credential {
    Credential::from(key.clone())
}

fn stored(passkey: &Passkey) -> Result<Key, Refusal> {
    serde_json::from_str(&passkey.data).map_err(|e| invalid(format!("stored passkey unreadable: {e}")))
}

impl WebAuthn for WebauthnRs {
    fn start_registration(&self, user: UserId, name: &str, exclude: &[Vec<u8>]) -> domain::Result<Started> {
        let exclude = exclude.to_vec();
        let (mut ccr, state): (CreationChallengeResponse, _) =
            self.inner.start_passkey_registration(user.0, name, name, Some(exclude)).map_err(internal)?;
        // A passkey that can sign in without a name must live on the
        // authenticator (discoverable): required, not merely preferred.
        if let Some(selection) = ccr.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        encode(&ccr, State::Register(state))
    }

    fn finish_registration(&self, state: &str, credential: &str) -> Result<Registered, Refusal> {
        let Ok(State::Register(state)) = serde_json::from_str(state) else {
            return Err(invalid("not a registration ceremony"));
        };
        let answer: RegisterPublicKeyCredential = serde_json::from_str(credential).map_err(invalid)?;
        let key = self.inner.finish_passkey_registration(&answer, &state).map_err(refusal)?;
        let cred = credential_of(&key);
        Ok(Registered {
            credential_id: key.cred_id().to_vec(),
            backup_eligible: cred.backup_eligible,
            backed_up: cred.backup_state,
            counter: cred.counter,
            data: serde_json::to_string(&key).map_err(invalid)?,
        })
    }

    fn start_assertion(&self, passkeys: &[Passkey]) -> domain::Result<Started> {
        if passkeys.is_empty() {
            let (mut rcr, state) = self.inner.start_discoverable_authentication().map_err(internal)?;
            // The page decides how to ask (a button, or autofill).
            rcr.mediation = None;
            return encode(&rcr, State::SignIn(state));
        }
        let keys: Vec<Key> = passkeys.iter().map(stored).collect::<Result<_, _>>().map_err(|r| internal(r.reason()))?;
        let (rcr, state) = self.inner.start_passkey_authentication(&keys).map_err(internal)?;
        encode(&rcr, State::Login(state))
    }

    fn claimed(&self, credential: &str) -> Result<Claimed, Refusal> {
        let answer: PublicKeyCredential = serde_json::from_str(credential).map_err(invalid)?;
        let user_handle = answer.get_user_unique_id().and_then(|h| Uuid::from_slice(h).ok());
        Ok(Claimed { credential_id: answer.get_credential_id().to_vec(), user_handle })
    }

    fn finish_assertion(&self, state: &str, credential: &str, passkey: Option<&Passkey>) -> Result<Assertion, Refusal> {
        let answer: PublicKeyCredential = serde_json::from_str(credential).map_err(invalid)?;
        let mut key = match passkey {
            Some(p) => stored(p)?,
            None => self.decoy_for(&answer),
        };
        let result = match serde_json::from_str(state).map_err(invalid)? {
            State::Login(state) => self.inner.finish_passkey_authentication(&answer, &state),
            State::SignIn(state) => self.inner.finish_discoverable_authentication_v2(&answer, state, &key),
            State::Register(_) => return Err(invalid("not an authentication ceremony")),
        }
        .map_err(refusal)?;
        if passkey.is_none() {
            return Err(invalid("unknown_credential"));
        }
        key.update_credential(&result);
        let cred = credential_of(&key);
        Ok(Assertion {
            counter: result.counter(),
            user_verified: result.user_verified(),
            backup_eligible: cred.backup_eligible,
            backed_up: result.backup_state(),
            data: serde_json::to_string(&key).map_err(invalid)?,
        })
    }
}
