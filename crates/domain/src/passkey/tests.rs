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

async fn caller(w: &World, name: &str) -> Caller {
    w.sessions.authenticate(&tokens(w, name).await.access_token).await.unwrap()
}

/// `user` adds the passkey `key` holds, from a session of theirs.
async fn add(w: &World, me: &Caller, key: &TextKey, name: &str) -> crate::Result<Passkey> {
    let reg = w.passkeys.begin(me, &pw(GOOD_PASSWORD)).await?;
    w.passkeys.finish(me, reg.ceremony_id, name, &key.create(&reg.options)).await
}

/// A registered user with one passkey, and the device holding it.
async fn with_passkey(w: &World, name: &str) -> (User, TextKey, Passkey) {
    let user = w.register(name, false).await;
    let me = caller(w, name).await;
    let key = TextKey::new(user.id.0.as_bytes()[15], user.id);
    let passkey = add(w, &me, &key, "Laptop").await.unwrap();
    (user, key, passkey)
}

async fn pending(w: &World, name: &str) -> Pending {
    match w.login.login(&w.from, name, &pw(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::SecondFactor(p) => p,
        other => panic!("expected a second factor, got {other:?}"),
    }
}

async fn answer(w: &World, temporary: &str, credential: &str) -> crate::Result<TokenPair> {
    w.second_factor.verify_passkey_as(&w.from, temporary, credential).await.map(|v| v.pair)
}

/// The details of the newest event of `kind` about `user`.
fn detail(w: &World, user: &User, kind: &str) -> std::collections::BTreeMap<String, String> {
    let t = w.db.tables();
    let mine = crate::subject::Subject::User(user.id);
    let e = t.audit.iter().rev().find(|e| e.subject == mine && e.kind.as_str() == kind);
    e.unwrap_or_else(|| panic!("no {kind} event")).detail.clone()
}

fn remaining(e: Error) -> Option<u32> {
    match e {
        Error::PasskeyInvalid { remaining } => remaining,
        other => panic!("expected passkey_invalid, got {other:?}"),
    }
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

#[tokio::test]
async fn a_passkey_is_added_with_the_password_and_turns_two_factor_login_on() {
    let w = World::new();
    let (user, _, passkey) = with_passkey(&w, "ada").await;
    assert_eq!((passkey.name.as_str(), passkey.user_id, passkey.last_used_at), ("Laptop", user.id, None));
    assert!(w.db.tables().users[&user.id].user.is_2fa);
    assert!(w.events(user.id).contains(&"passkey_added"));
    let me = caller_after_passkey(&w, "ada").await;
    let listed = w.passkeys.list(&me).await.unwrap();
    assert_eq!(listed.iter().map(|p| (p.id, p.last_used_at.is_some())).collect::<Vec<_>>(), [(passkey.id, true)]);
    let factors = w.authenticator.status(&me).await.unwrap();
    assert_eq!((factors.passkeys, factors.methods[0]), (1, Method::Passkey));
}

/// A session of a user who has a passkey: through the second step.
async fn caller_after_passkey(w: &World, name: &str) -> Caller {
    let p = pending(w, name).await;
    let user = w.admin.find_user(name).await.unwrap().unwrap();
    let mut key = TextKey::new(user.id.0.as_bytes()[15], user.id);
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    let pair = answer(w, &p.temporary_token, &key.get(&options)).await.unwrap();
    w.sessions.authenticate(&pair.access_token).await.unwrap()
}

#[tokio::test]
async fn adding_a_passkey_needs_the_right_password() {
    let w = World::new();
    w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    assert!(matches!(w.passkeys.begin(&me, &pw("not-the-password-9")).await, Err(Error::WrongPassword)));
    assert!(w.db.tables().ceremonies.is_empty());
}

#[tokio::test]
async fn a_registration_ceremony_is_spent_once_and_only_by_the_user_it_was_issued_for() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    w.register("bob", false).await;
    let (me, bob) = (caller(&w, "ada").await, caller(&w, "bob").await);
    let key = TextKey::new(1, ada.id);
    let reg = w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    let answer = key.create(&reg.options);
    let stolen = w.passkeys.finish(&bob, reg.ceremony_id, "Mine", &answer).await;
    assert!(matches!(stolen, Err(Error::PasskeyInvalid { remaining: None })), "another user's ceremony");
    // Bob's try did not spend it.
    w.passkeys.finish(&me, reg.ceremony_id, "Laptop", &answer).await.unwrap();
    let again = w.passkeys.finish(&me, reg.ceremony_id, "Again", &answer).await;
    assert!(matches!(again, Err(Error::PasskeyInvalid { .. })), "spent");
    assert_eq!(w.passkeys.list(&me).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_registration_ceremony_is_dead_after_five_minutes() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    let reg = w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    w.clock.advance(Duration::from_secs(300));
    let late = w.passkeys.finish(&me, reg.ceremony_id, "Laptop", &TextKey::new(1, ada.id).create(&reg.options)).await;
    assert!(matches!(late, Err(Error::PasskeyInvalid { .. })));
    assert!(w.events(ada.id).contains(&"passkey_rejected"));
}

#[tokio::test]
async fn a_registration_for_another_origin_is_refused() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    let key = TextKey { origin: "https://authd.test.evil.example".into(), ..TextKey::new(1, ada.id) };
    assert!(matches!(add(&w, &me, &key, "Laptop").await, Err(Error::PasskeyInvalid { .. })));
    assert!(w.passkeys.list(&me).await.unwrap().is_empty());
    assert!(!w.db.tables().users[&ada.id].user.is_2fa);
}

#[tokio::test]
async fn a_credential_id_belongs_to_one_user() {
    let w = World::new();
    let (ada, key, _) = with_passkey(&w, "ada").await;
    let bob = w.register("bob", false).await;
    let me = caller(&w, "bob").await;
    let same_id = TextKey { user: bob.id, key: "other".into(), ..key };
    assert!(matches!(add(&w, &me, &same_id, "Copy").await, Err(Error::PasskeyExists)));
    assert!(w.passkeys.list(&me).await.unwrap().is_empty());
    assert_eq!(w.db.tables().passkeys.values().filter(|p| p.user_id == ada.id).count(), 1);
}

#[tokio::test]
async fn a_password_login_of_a_user_with_a_passkey_lists_it_first_and_sends_nothing() {
    let w = World::new();
    with_passkey(&w, "ada").await;
    let sent = w.messages().await.len();
    let p = pending(&w, "ada").await;
    assert_eq!(p.methods, vec![Method::Passkey, Method::Email]);
    assert_eq!(w.messages().await.len(), sent, "no code is mailed unless asked for");
}

#[tokio::test]
async fn with_passkeys_off_a_login_never_offers_them_and_every_passkey_call_is_refused() {
    let w = World::with_policy(Policy { passkeys: false, ..Policy::default() });
    let ada = w.register("ada", true).await;
    // A passkey added while they were on.
    let key = TextKey::new(1, ada.id);
    let passkey = Passkey {
        id: uuid::Uuid::new_v4(),
        user_id: ada.id,
        credential_id: vec![1, 1],
        name: "Laptop".into(),
        created_at: ada.created_at,
        last_used_at: None,
        backup_eligible: true,
        backed_up: false,
        counter: 0,
        data: format!("key={}", key.key),
    };
    w.db.tables().passkeys.insert(passkey.id, passkey);
    let p = pending(&w, "ada").await;
    assert_eq!(p.methods, vec![Method::Email]);
    let refused = w.second_factor.passkey_options(&p.temporary_token).await;
    assert!(matches!(refused, Err(Error::PasskeysOff)));
    let refused = w.second_factor.verify_passkey_as::<TokenPair>(&w.from, &p.temporary_token, "id=0101").await;
    assert!(matches!(refused, Err(Error::PasskeysOff)));
    assert!(matches!(w.passkey_sign_in.start(&w.from).await, Err(Error::PasskeysOff)));
    let mailed = w.last_code().await;
    let pair = w.second_factor.verify(&w.from, &p.temporary_token, &mailed, None).await.unwrap().pair;
    let me = w.sessions.authenticate(&pair.access_token).await.unwrap();
    assert!(matches!(w.passkeys.list(&me).await, Err(Error::PasskeysOff)));
    assert!(matches!(w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await, Err(Error::PasskeysOff)));
}

#[tokio::test]
async fn the_second_step_accepts_a_passkey_and_records_its_use() {
    let w = World::new();
    let (ada, mut key, passkey) = with_passkey(&w, "ada").await;
    let p = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    let pair = answer(&w, &p.temporary_token, &key.get(&options)).await.unwrap();
    w.sessions.authenticate(&pair.access_token).await.unwrap();
    assert!(w.db.tables().passkeys[&passkey.id].last_used_at.is_some());
    let events = w.events(ada.id);
    assert!(events.ends_with(&["otp_verified", "passkey_used", "login_succeeded"]), "{events:?}");
}

#[tokio::test]
async fn a_typed_code_never_answers_for_a_passkey() {
    let w = World::new();
    with_passkey(&w, "ada").await;
    let p = pending(&w, "ada").await;
    let code = w.second_factor.verify(&w.from, &p.temporary_token, "123456", Some(Method::Passkey)).await;
    assert!(matches!(code, Err(Error::MethodUnavailable)));
    // With no method, a code answers the first typed method: a mailed code.
    w.second_factor.resend(&p.temporary_token, None).await.unwrap();
    let mailed = w.last_code().await;
    w.second_factor.verify(&w.from, &p.temporary_token, &mailed, None).await.unwrap();
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let w = World::new();
    let (_, mut key, _) = with_passkey(&w, "ada").await;
    let first = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&first.temporary_token).await.unwrap();
    let assertion = key.get(&options);
    answer(&w, &first.temporary_token, &assertion).await.unwrap();
    // The same signed answer for the next login: its ceremony is another.
    let next = pending(&w, "ada").await;
    w.second_factor.passkey_options(&next.temporary_token).await.unwrap();
    assert_eq!(remaining(answer(&w, &next.temporary_token, &assertion).await.unwrap_err()), Some(4));
}

#[tokio::test]
async fn a_login_ceremony_is_spent_by_any_answer_right_or_wrong() {
    let w = World::new();
    let (_, mut key, _) = with_passkey(&w, "ada").await;
    let p = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    let wrong = TextKey { key: "forged".into(), ..key.clone() }.get(&options);
    assert_eq!(remaining(answer(&w, &p.temporary_token, &wrong).await.unwrap_err()), Some(4));
    let right_but_late = key.get(&options);
    assert_eq!(remaining(answer(&w, &p.temporary_token, &right_but_late).await.unwrap_err()), Some(3));
    let fresh = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    answer(&w, &p.temporary_token, &key.get(&fresh)).await.unwrap();
}

#[tokio::test]
async fn five_bad_assertions_close_the_login_and_count_against_the_account_as_wrong_codes_do() {
    let w = World::new();
    let (ada, key, _) = with_passkey(&w, "ada").await;
    let p = pending(&w, "ada").await;
    for left in (0..5).rev() {
        let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
        let forged = TextKey { key: "forged".into(), ..key.clone() }.get(&options);
        match answer(&w, &p.temporary_token, &forged).await.unwrap_err() {
            Error::PasskeyInvalid { remaining } => assert_eq!(remaining, Some(left)),
            Error::OtpLocked => assert_eq!(left, 0),
            other => panic!("{other:?}"),
        }
    }
    assert!(w.second_factor.passkey_options(&p.temporary_token).await.is_err(), "the login is over");
    let events = w.events(ada.id);
    assert_eq!(events.iter().filter(|e| **e == "passkey_rejected").count(), 5);
    assert!(events.contains(&"otp_locked"));
}

#[tokio::test]
async fn an_assertion_for_another_origin_is_refused() {
    let w = World::new();
    let (_, key, _) = with_passkey(&w, "ada").await;
    let p = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    let phished = TextKey { origin: "https://authd-login.example".into(), ..key }.get(&options);
    assert!(answer(&w, &p.temporary_token, &phished).await.is_err());
}

#[tokio::test]
async fn an_assertion_without_user_verification_is_refused() {
    let w = World::new();
    let (ada, key, _) = with_passkey(&w, "ada").await;
    let p = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    let presence_only = TextKey { verifies_user: false, ..key }.get(&options);
    assert_eq!(remaining(answer(&w, &p.temporary_token, &presence_only).await.unwrap_err()), Some(4));
    assert!(w.events(ada.id).contains(&"passkey_rejected"));
}

#[tokio::test]
async fn another_users_passkey_does_not_answer_a_login() {
    let w = World::new();
    with_passkey(&w, "ada").await;
    let (_, mut bobs, _) = with_passkey(&w, "bob").await;
    let p = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    assert!(answer(&w, &p.temporary_token, &bobs.get(&options)).await.is_err());
}

#[tokio::test]
async fn a_counter_that_does_not_increase_is_refused_recorded_and_the_passkey_kept() {
    let w = World::new();
    let (ada, key, passkey) = with_passkey(&w, "ada").await;
    let mut device = TextKey { counter: 1, ..key };
    let p = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    answer(&w, &p.temporary_token, &device.get(&options)).await.unwrap();
    assert_eq!(w.db.tables().passkeys[&passkey.id].counter, 2);
    // A copy of the key, which signed less often.
    let mut clone = TextKey { counter: 1, ..device.clone() };
    let p = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    assert!(answer(&w, &p.temporary_token, &clone.get(&options)).await.is_err());
    assert!(w.events(ada.id).contains(&"passkey_clone_suspected"));
    assert_eq!(w.db.tables().passkeys[&passkey.id].counter, 2, "the stored counter stays");
    assert!(w.db.tables().passkeys.contains_key(&passkey.id), "kept: the user or an admin decides");
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    answer(&w, &p.temporary_token, &device.get(&options)).await.unwrap();
}

#[tokio::test]
async fn signing_in_with_a_passkey_alone_opens_a_session() {
    let w = World::new();
    let (ada, mut key, _) = with_passkey(&w, "ada").await;
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let pair = w.passkey_sign_in.finish(started.ceremony_id, &key.get(&started.options)).await.unwrap();
    assert_eq!(w.sessions.authenticate(&pair.access_token).await.unwrap().user_id, ada.id);
    let events = w.events(ada.id);
    assert!(events.ends_with(&["passkey_used", "login_succeeded"]), "{events:?}");
    let again = w.passkey_sign_in.finish(started.ceremony_id, &key.get(&started.options)).await;
    assert!(matches!(again, Err(Error::PasskeyInvalid { remaining: None })), "spent");
}

#[tokio::test]
async fn a_sign_in_gives_one_answer_for_an_unknown_credential_a_bad_signature_and_a_spent_ceremony() {
    let w = World::new();
    let (ada, key, _) = with_passkey(&w, "ada").await;
    let mut unknown = TextKey::new(0xee, ada.id);
    let mut forged = TextKey { key: "forged".into(), ..key.clone() };
    let mut other_user = TextKey { user: w.register("bob", false).await.id, ..key };
    let mut answers = vec![];
    for device in [&mut unknown, &mut forged, &mut other_user] {
        let started = w.passkey_sign_in.start(&w.from).await.unwrap();
        answers.push(w.passkey_sign_in.finish(started.ceremony_id, &device.get(&started.options)).await);
    }
    answers.push(w.passkey_sign_in.finish(uuid::Uuid::nil(), "id=0101").await);
    for a in answers {
        assert!(matches!(a, Err(Error::PasskeyInvalid { remaining: None })), "{a:?}");
    }
}

#[tokio::test]
async fn a_bad_sign_in_with_a_known_passkey_counts_against_its_account() {
    let w = World::new();
    let (ada, key, _) = with_passkey(&w, "ada").await;
    // The free failures of the lockout schedule, then one more.
    for _ in 0..=crate::throttle::schedule::FREE_FAILURES {
        let started = w.passkey_sign_in.start(&w.from).await.unwrap();
        let forged = TextKey { key: "forged".into(), ..key.clone() }.get(&started.options);
        w.passkey_sign_in.finish(started.ceremony_id, &forged).await.unwrap_err();
    }
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let right = key.clone().get(&started.options);
    assert!(matches!(w.passkey_sign_in.finish(started.ceremony_id, &right).await, Err(Error::AccountLocked { .. })));
    assert!(w.events(ada.id).contains(&"account_locked"));
}

#[tokio::test]
async fn a_deactivated_account_cannot_sign_in_with_its_passkey() {
    let w = World::new();
    let (ada, mut key, _) = with_passkey(&w, "ada").await;
    w.deactivate(ada.id);
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let refused = w.passkey_sign_in.finish(started.ceremony_id, &key.get(&started.options)).await;
    assert!(matches!(refused, Err(Error::AccountInactive)));
}

#[tokio::test]
async fn starting_a_sign_in_counts_against_the_per_address_login_limit() {
    let w = World::new();
    let limit = Policy::default().rate_limits.token_per_minute;
    for _ in 0..limit {
        w.passkey_sign_in.start(&w.from).await.unwrap();
    }
    assert!(matches!(w.passkey_sign_in.start(&w.from).await, Err(Error::RateLimited { .. })));
}

#[tokio::test]
async fn a_sign_in_ceremony_finished_by_50_concurrent_calls_has_one_winner() {
    let w = World::new();
    let (_, mut key, _) = with_passkey(&w, "ada").await;
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let assertion = key.get(&started.options);
    let tries = (0..50).map(|_| w.passkey_sign_in.finish(started.ceremony_id, &assertion));
    let won = futures::future::join_all(tries).await.into_iter().filter(Result::is_ok).count();
    assert_eq!(won, 1);
}

#[tokio::test]
async fn renaming_and_removing_touch_only_the_callers_own_passkeys() {
    let w = World::new();
    let (_, _, passkey) = with_passkey(&w, "ada").await;
    with_passkey(&w, "bob").await;
    let bob = caller_after_passkey(&w, "bob").await;
    assert!(matches!(w.passkeys.rename(&bob, passkey.id, "Mine").await, Err(Error::PasskeyNotFound)));
    assert!(matches!(w.passkeys.remove(&bob, passkey.id, &pw(GOOD_PASSWORD)).await, Err(Error::PasskeyNotFound)));
    let ada = caller_after_passkey(&w, "ada").await;
    assert_eq!(w.passkeys.rename(&ada, passkey.id, " Phone ").await.unwrap().name, "Phone");
    let wrong = w.passkeys.remove(&ada, passkey.id, &pw("not-the-password-9")).await;
    assert!(matches!(wrong, Err(Error::WrongPassword)));
    assert_eq!(w.passkeys.list(&ada).await.unwrap().len(), 1);
}

#[tokio::test]
async fn removing_a_passkey_ends_the_users_other_sessions() {
    let w = World::new();
    let (ada, _, passkey) = with_passkey(&w, "ada").await;
    let other = caller_after_passkey(&w, "ada").await;
    let me = caller_after_passkey(&w, "ada").await;
    w.passkeys.remove(&me, passkey.id, &pw(GOOD_PASSWORD)).await.unwrap();
    assert!(w.passkeys.list(&me).await.unwrap().is_empty());
    let gone = w.db.tables().sessions[&other.session_id].revoked_at.is_some();
    assert!(gone, "the other session ended");
    assert!(w.db.tables().sessions[&me.session_id].revoked_at.is_none());
    assert!(w.events(ada.id).contains(&"passkey_removed"));
}

#[tokio::test]
async fn an_admin_reset_of_second_factors_removes_the_passkeys() {
    let w = World::new();
    let (ada, _, _) = with_passkey(&w, "ada").await;
    w.admin("root").await;
    let root = caller(&w, "root").await;
    w.admin.reset_second_factors(&root, ada.id).await.unwrap();
    assert!(w.db.tables().passkeys.is_empty());
    assert_eq!(pending(&w, "ada").await.methods, vec![Method::Email], "two-factor by mail stays on");
}

#[tokio::test]
async fn expired_ceremonies_are_purged() {
    let w = World::new();
    w.passkey_sign_in.start(&w.from).await.unwrap();
    w.clock.advance(Duration::from_secs(301));
    assert_eq!(w.janitor.run_once().await.unwrap().ceremonies, 1);
    assert!(w.db.tables().ceremonies.is_empty());
}

#[tokio::test]
async fn events_name_the_passkey_and_why_one_was_refused() {
    let w = World::new();
    let (ada, mut key, passkey) = with_passkey(&w, "ada").await;
    let named = |kind| {
        let d = detail(&w, &ada, kind);
        (d["passkey_id"].clone(), d["name"].clone())
    };
    assert_eq!(named("passkey_added"), (passkey.id.to_string(), "Laptop".to_owned()));
    let p = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    let presence_only = TextKey { verifies_user: false, ..key.clone() }.get(&options);
    answer(&w, &p.temporary_token, &presence_only).await.unwrap_err();
    assert_eq!(detail(&w, &ada, "passkey_rejected")["reason"], "user_not_verified");
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    answer(&w, &p.temporary_token, &key.get(&options)).await.unwrap();
    assert_eq!(named("passkey_used"), (passkey.id.to_string(), "Laptop".to_owned()));
    // A registration the library refuses says the library's reason.
    let me = w.sessions.authenticate(&tokens_after(&w, &mut key).await.access_token).await.unwrap();
    let phished = TextKey { origin: "https://elsewhere.example".into(), ..TextKey::new(9, ada.id) };
    add(&w, &me, &phished, "Phished").await.unwrap_err();
    assert_eq!(detail(&w, &ada, "passkey_rejected")["reason"], "wrong_origin");
    assert_eq!(super::Refusal::CloneSuspected.reason(), "counter_did_not_increase");
}

/// A token pair of ada's, through the passkey on `key`.
async fn tokens_after(w: &World, key: &mut TextKey) -> TokenPair {
    let p = pending(w, "ada").await;
    let options = w.second_factor.passkey_options(&p.temporary_token).await.unwrap();
    answer(w, &p.temporary_token, &key.get(&options)).await.unwrap()
}
