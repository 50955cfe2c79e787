//! Adding, listing, renaming and removing passkeys; ceremonies; events.

use super::*;

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
        (d["passkey_id"].to_string(), d["name"].to_string())
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
    assert_eq!(crate::passkey::Refusal::CloneSuspected.reason(), "counter_did_not_increase");
}
