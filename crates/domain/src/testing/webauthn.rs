//! A stand-in for the WebAuthn library and a device to answer it, in plain
//! text: enough to drive every rule the domain keeps around the ceremonies
//! (spent once, bound to a user, counter, user verification, unknown
//! credentials). The real library is tested with a software authenticator
//! in infra.
//!
//! Options are `{"publicKey":{"challenge":"…"}}`; a credential is a line of
//! `key=value;` pairs naming its id, user, challenge, key, counter, user
//! verification and origin.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

use crate::error::Result;
use crate::passkey::{Assertion, Claimed, Passkey, Refusal, Registered, Started};
use crate::ports::WebAuthn;
use crate::user::UserId;

/// The origin the stand-in accepts.
pub const ORIGIN: &str = "https://authd.test";

#[derive(Default)]
pub struct TextWebAuthn {
    next: AtomicU64,
}

fn fields(text: &str) -> HashMap<&str, &str> {
    text.split(';').filter_map(|kv| kv.split_once('=')).collect()
}

fn invalid(why: &str) -> Refusal {
    Refusal::Invalid(why.into())
}

/// The challenge in a set of options.
pub fn challenge_of(options: &str) -> String {
    let start = options.find("\"challenge\":\"").expect("options carry a challenge") + 13;
    options[start..].split('"').next().unwrap().to_owned()
}

impl TextWebAuthn {
    fn started(&self, state: String) -> Started {
        let challenge = fields(&state)["challenge"].to_owned();
        Started { options: format!("{{\"publicKey\":{{\"challenge\":\"{challenge}\"}}}}"), state }
    }

    fn challenge(&self) -> String {
        format!("c{}", self.next.fetch_add(1, Ordering::Relaxed))
    }
}

impl WebAuthn for TextWebAuthn {
    fn start_registration(&self, user: UserId, _name: &str, exclude: &[Vec<u8>]) -> Result<Started> {
        let exclude: Vec<String> = exclude.iter().map(|e| hex(e)).collect();
        Ok(self.started(format!("challenge={};user={};exclude={}", self.challenge(), user.0, exclude.join(","))))
    }

    fn finish_registration(&self, state: &str, credential: &str) -> Result<Registered, Refusal> {
        let (state, cred) = (fields(state), fields(credential));
        if cred.get("challenge") != state.get("challenge") {
            return Err(invalid("wrong_challenge"));
        }
        if cred.get("origin") != Some(&ORIGIN) {
            return Err(invalid("wrong_origin"));
        }
        let id = *cred.get("id").ok_or_else(|| invalid("malformed"))?;
        if state["exclude"].split(',').any(|e| e == id) {
            return Err(invalid("excluded_credential"));
        }
        Ok(Registered {
            credential_id: unhex(id).ok_or_else(|| invalid("malformed"))?,
            backup_eligible: true,
            backed_up: false,
            counter: 0,
            data: format!("key={}", cred.get("key").ok_or_else(|| invalid("malformed"))?),
        })
    }

    fn start_assertion(&self, passkeys: &[Passkey]) -> Result<Started> {
        let allow: Vec<String> = passkeys.iter().map(|p| hex(&p.credential_id)).collect();
        Ok(self.started(format!("challenge={};allow={}", self.challenge(), allow.join(","))))
    }

    fn claimed(&self, credential: &str) -> Result<Claimed, Refusal> {
        let cred = fields(credential);
        let id = cred.get("id").and_then(|id| unhex(id)).ok_or_else(|| invalid("malformed"))?;
        let user_handle = cred.get("user").and_then(|u| Uuid::parse_str(u).ok());
        Ok(Claimed { credential_id: id, user_handle })
    }

    fn finish_assertion(&self, state: &str, credential: &str, passkey: Option<&Passkey>) -> Result<Assertion, Refusal> {
        let (state, cred) = (fields(state), fields(credential));
        let id = cred.get("id").copied().unwrap_or_default();
        if cred.get("challenge") != state.get("challenge") {
            return Err(invalid("wrong_challenge"));
        }
        if cred.get("origin") != Some(&ORIGIN) {
            return Err(invalid("wrong_origin"));
        }
        if !state["allow"].is_empty() && !state["allow"].split(',').any(|a| a == id) {
            return Err(invalid("credential_not_allowed"));
        }
        let passkey = passkey.ok_or_else(|| invalid("unknown_credential"))?;
        if passkey.data != format!("key={}", cred.get("key").copied().unwrap_or_default()) {
            return Err(invalid("bad_signature"));
        }
        let counter = cred.get("counter").and_then(|c| c.parse().ok()).ok_or_else(|| invalid("malformed"))?;
        Ok(Assertion {
            counter,
            user_verified: cred.get("uv") == Some(&"1"),
            backup_eligible: passkey.backup_eligible,
            backed_up: cred.get("synced") == Some(&"1"),
            data: passkey.data.clone(),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A device holding one passkey of `user`, answering options as a browser
/// would pass them on.
#[derive(Debug, Clone)]
pub struct TextKey {
    pub id: String,
    pub key: String,
    pub user: UserId,
    /// The counter its next assertion carries; 0 keeps it at 0 (a synced passkey).
    pub counter: u32,
    pub verifies_user: bool,
    pub origin: String,
}

impl TextKey {
    pub fn new(id: u8, user: UserId) -> Self {
        Self {
            id: format!("{id:02x}{id:02x}"),
            key: format!("k{id}"),
            user,
            counter: 0,
            verifies_user: true,
            origin: ORIGIN.into(),
        }
    }

    /// The answer to registration options.
    pub fn create(&self, options: &str) -> String {
        format!("id={};challenge={};key={};origin={}", self.id, challenge_of(options), self.key, self.origin)
    }

    /// The answer to assertion options; a counter above 0 goes up by one.
    pub fn get(&mut self, options: &str) -> String {
        if self.counter > 0 {
            self.counter += 1;
        }
        format!(
            "id={};user={};challenge={};key={};counter={};uv={};origin={}",
            self.id,
            self.user.0,
            challenge_of(options),
            self.key,
            self.counter,
            u8::from(self.verifies_user),
            self.origin
        )
    }
}
