//! Passkeys on in-memory ports with the text stand-in for the WebAuthn
//! library: the rules around the ceremonies. The library's own checks
//! (signatures, attestation, origin) are tested in infra with a software
//! authenticator.

use std::time::Duration;

use super::counter::advances;
use super::{Passkey, parse_name};
use crate::Error;
use crate::login::LoginOutcome;
use crate::otp::{Method, Pending};
use crate::policy::Policy;
use crate::session::Caller;
use crate::testing::webauthn::TextKey;
use crate::testing::world::{GOOD_PASSWORD, World, pw, tokens};
use crate::token::TokenPair;
use crate::user::User;

mod enrolment;
mod second_step;
mod sign_in;

pub(super) async fn caller(w: &World, name: &str) -> Caller {
    w.sessions.authenticate(&tokens(w, name).await.access_token).await.unwrap()
}

/// `user` adds the passkey `key` holds, from a session of theirs.
pub(super) async fn add(w: &World, me: &Caller, key: &TextKey, name: &str) -> crate::Result<Passkey> {
    let reg = w.passkeys.begin(me, &pw(GOOD_PASSWORD)).await?;
    w.passkeys.finish(me, reg.ceremony_id, name, &key.create(&reg.options)).await
}

/// A registered user with one passkey, and the device holding it.
pub(super) async fn with_passkey(w: &World, name: &str) -> (User, TextKey, Passkey) {
    let user = w.register(name, false).await;
    let me = caller(w, name).await;
    let key = TextKey::new(user.id.0.as_bytes()[15], user.id);
    let passkey = add(w, &me, &key, "Laptop").await.unwrap();
    (user, key, passkey)
}

pub(super) async fn pending(w: &World, name: &str) -> Pending {
    match w.login.login(&w.from, name, &pw(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::SecondFactor(p) => p,
        other => panic!("expected a second factor, got {other:?}"),
    }
}

pub(super) async fn answer(w: &World, temporary: &str, credential: &str) -> crate::Result<TokenPair> {
    w.second_factor.verify_passkey_as(&w.from, temporary, credential, Default::default()).await.map(|v| v.pair)
}

/// The details of the newest event of `kind` about `user`.
pub(super) fn detail(w: &World, user: &User, kind: &str) -> std::collections::BTreeMap<String, crate::audit::Detail> {
    let t = w.db.tables();
    let mine = crate::subject::Subject::User(user.id);
    let e = t.audit.iter().rev().find(|e| e.subject == mine && e.kind.as_str() == kind);
    e.unwrap_or_else(|| panic!("no {kind} event")).detail.clone()
}

pub(super) fn remaining(e: Error) -> Option<u32> {
    match e {
        Error::PasskeyInvalid { remaining } => remaining,
        other => panic!("expected passkey_invalid, got {other:?}"),
    }
}

/// A session of a user who has a passkey: through the second step.
pub(super) async fn caller_after_passkey(w: &World, name: &str) -> Caller {
    let p = pending(w, name).await;
    let user = w.admin.find_user(name).await.unwrap().unwrap();
    let mut key = TextKey::new(user.id.0.as_bytes()[15], user.id);
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    let pair = answer(w, &p.temporary_token, &key.get(&options)).await.unwrap();
    w.sessions.authenticate(&pair.access_token).await.unwrap()
}

/// A token pair of ada's, through the passkey on `key`.
pub(super) async fn tokens_after(w: &World, key: &mut TextKey) -> TokenPair {
    let p = pending(w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    answer(w, &p.temporary_token, &key.get(&options)).await.unwrap()
}

#[test]
fn a_counter_must_increase_unless_the_authenticator_keeps_none() {
    assert!(advances(0, 0), "a synced passkey keeps no counter");
    assert!(advances(0, 1));
    assert!(advances(7, 8));
    assert!(!advances(7, 7), "the same value twice: a second copy signed");
    assert!(!advances(7, 3));
    assert!(!advances(7, 0), "a counter that went back to zero");
}

#[test]
fn a_passkey_name_is_1_to_64_printable_characters() {
    assert_eq!(parse_name("  Laptop  ").unwrap(), "Laptop");
    assert_eq!(parse_name(&"é".repeat(64)).unwrap().chars().count(), 64);
    for bad in ["", "   ", &"a".repeat(65), "tab\there"] {
        assert!(matches!(parse_name(bad), Err(Error::InvalidField { field: "name", .. })), "{bad:?}");
    }
}
