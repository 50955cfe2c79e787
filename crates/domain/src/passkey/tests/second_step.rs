//! A passkey as the second step of a password login.

use super::*;

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
    assert!(World::new().passkeys.enabled() && World::new().passkey_sign_in.enabled());
    let w = World::with_policy(Policy { passkeys: false, ..Policy::default() });
    assert!(!w.passkeys.enabled() && !w.passkey_sign_in.enabled(), "the pages hide the buttons");
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
    let refused = w
        .second_factor
        .verify_passkey_as::<TokenPair>(&w.from, &p.temporary_token, "id=0101", Default::default())
        .await;
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
