//! One's own account: registration, profile, password, deletion.

use std::time::Duration;

use crate::Error;
use crate::account::Registration;
use crate::testing::world::{GOOD_PASSWORD, World, pw, tokens};
use crate::user::ProfileChanges;

#[tokio::test]
async fn change_password_requires_the_current_one_and_revokes_other_sessions() {
    let w = World::new();
    w.register("ada", false).await;
    let here = tokens(&w, "ada").await;
    let elsewhere = tokens(&w, "ada").await;
    let caller = w.sessions.authenticate(&here.access_token).await.unwrap();
    let new = pw("marmalade-quiver-71-lantern");
    assert!(matches!(
        w.accounts.change_password(&caller, &pw("not-my-password-9"), &new, &new).await,
        Err(Error::WrongPassword)
    ));
    assert!(matches!(
        w.accounts.change_password(&caller, &pw(GOOD_PASSWORD), &new, &pw("other-thing-xx-99")).await,
        Err(Error::PasswordMismatch)
    ));
    assert!(matches!(
        w.accounts.change_password(&caller, &pw(GOOD_PASSWORD), &pw("password1"), &pw("password1")).await,
        Err(Error::WeakPassword(_))
    ));
    w.accounts.change_password(&caller, &pw(GOOD_PASSWORD), &new, &new).await.unwrap();
    w.sessions.authenticate(&here.access_token).await.unwrap();
    assert!(matches!(w.sessions.authenticate(&elsewhere.access_token).await, Err(Error::SessionRevoked)));
    assert!(matches!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await, Err(Error::InvalidCredentials)));
    assert!(w.login.login(&w.from, "ada", &new).await.is_ok());
}

#[tokio::test]
async fn delete_me_requires_the_password() {
    let w = World::new();
    w.register("ada", false).await;
    let pair = tokens(&w, "ada").await;
    let caller = w.sessions.authenticate(&pair.access_token).await.unwrap();
    assert!(matches!(w.accounts.delete_me(&caller, &pw("wrong-password-9")).await, Err(Error::WrongPassword)));
    w.accounts.delete_me(&caller, &pw(GOOD_PASSWORD)).await.unwrap();
    assert!(matches!(w.accounts.me(&caller).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await, Err(Error::InvalidCredentials)));
}

#[tokio::test]
async fn registration_refuses_taken_email_and_username_and_weak_passwords() {
    let w = World::new();
    w.register("ada", false).await;
    let form = |email: &str, username: &str, password: &str| Registration {
        email: email.into(),
        username: username.into(),
        name: "Ada".into(),
        lastname: "Lovelace".into(),
        phone: None,
        password: password.into(),
        is_2fa: false,
    };
    assert!(matches!(
        w.accounts.register(&w.from, form("ADA@example.com", "other", GOOD_PASSWORD)).await,
        Err(Error::EmailTaken)
    ));
    assert!(matches!(
        w.accounts.register(&w.from, form("new@example.com", "Ada", GOOD_PASSWORD)).await,
        Err(Error::UsernameTaken)
    ));
    assert!(matches!(
        w.accounts.register(&w.from, form("new@example.com", "new", "password")).await,
        Err(Error::WeakPassword(_))
    ));
    assert!(matches!(
        w.accounts.register(&w.from, form("not-an-email", "new", GOOD_PASSWORD)).await,
        Err(Error::InvalidField { field: "email", .. })
    ));
    let bad_phone =
        Registration { phone: Some("0415 555 0132".into()), ..form("new@example.com", "new", GOOD_PASSWORD) };
    assert!(matches!(w.accounts.register(&w.from, bad_phone).await, Err(Error::InvalidField { field: "phone", .. })));
    let phone = Registration { phone: Some("+1 415 555 0132".into()), ..form("new@example.com", "new", GOOD_PASSWORD) };
    let user = w.accounts.register(&w.from, phone).await.unwrap();
    assert_eq!((user.phone.as_deref(), user.phone_verified_at), (Some("+14155550132"), None), "E.164, unverified");
}

#[tokio::test]
async fn update_me_changes_only_the_given_fields() {
    let w = World::new();
    w.register("ada", false).await;
    w.register("bob", false).await;
    let pair = tokens(&w, "ada").await;
    let caller = w.sessions.authenticate(&pair.access_token).await.unwrap();
    let changes = ProfileChanges { name: Some("Augusta".into()), is_2fa: Some(true), ..Default::default() };
    let u = w.accounts.update_me(&caller, changes).await.unwrap();
    assert_eq!((u.name.as_str(), u.lastname.as_str(), u.is_2fa), ("Augusta", "User", true));
    let taken = ProfileChanges { username: Some("bob".into()), ..Default::default() };
    assert!(matches!(w.accounts.update_me(&caller, taken).await, Err(Error::UsernameTaken)));
}

#[tokio::test]
async fn switching_the_second_factor_off_or_changing_the_email_or_phone_needs_the_current_password() {
    let w = World::new();
    w.register("ada", false).await;
    let caller = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    let on = ProfileChanges { is_2fa: Some(true), ..Default::default() };
    assert!(w.accounts.update_me(&caller, on).await.unwrap().is_2fa, "switching it on needs no password");
    let caller = w.stepped_up(&caller).await;
    let weakening = [
        ProfileChanges { is_2fa: Some(false), ..Default::default() },
        ProfileChanges { email: Some("mallory@example.com".into()), ..Default::default() },
        ProfileChanges { phone: Some(Some("+14155550132".into())), ..Default::default() },
    ];
    for change in &weakening {
        let refused = w.accounts.update_me(&caller, change.clone()).await;
        assert!(matches!(refused, Err(Error::PasswordRequired)), "{change:?}: {refused:?}");
        let wrong = ProfileChanges { current_password: Some(pw("wrong-password-123")), ..change.clone() };
        let refused = w.accounts.update_me(&caller, wrong).await;
        assert!(matches!(refused, Err(Error::WrongPassword)), "{change:?}: {refused:?}");
        let me = w.accounts.me(&caller).await.unwrap();
        assert_eq!((me.is_2fa, me.email.as_str(), me.phone), (true, "ada@example.com", None), "{change:?}");
    }
    for change in weakening {
        let with_password = ProfileChanges { current_password: Some(pw(GOOD_PASSWORD)), ..change };
        w.accounts.update_me(&caller, with_password).await.unwrap();
    }
    let me = w.accounts.me(&caller).await.unwrap();
    assert_eq!(
        (me.is_2fa, me.email.as_str(), me.phone.as_deref()),
        (false, "mallory@example.com", Some("+14155550132"))
    );
    let removal = ProfileChanges { phone: Some(None), ..Default::default() };
    assert!(matches!(w.accounts.update_me(&caller, removal).await, Err(Error::PasswordRequired)), "removing the phone");
    let tokens_now = tokens(&w, "mallory@example.com").await;
    assert!(w.sessions.authenticate(&tokens_now.access_token).await.is_ok(), "the login asks for no code now");
}

#[tokio::test]
async fn a_profile_change_that_leaves_the_email_phone_and_second_factor_as_they_are_needs_no_password() {
    let w = World::new();
    w.register("ada", false).await;
    let caller = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    let on = ProfileChanges { is_2fa: Some(true), ..Default::default() };
    w.accounts.update_me(&caller, on).await.unwrap();
    // The whole form as a page sends it: the same email (in other case),
    // no phone as before, the second factor still on, a new name.
    let same = ProfileChanges {
        email: Some(" ADA@example.com ".into()),
        username: Some("ada".into()),
        name: Some("Augusta".into()),
        lastname: Some("King".into()),
        phone: Some(None),
        is_2fa: Some(true),
        current_password: None,
    };
    let me = w.accounts.update_me(&caller, same).await.unwrap();
    assert_eq!(
        (me.name.as_str(), me.lastname.as_str(), me.email.as_str(), me.is_2fa),
        ("Augusta", "King", "ada@example.com", true)
    );
}

#[tokio::test]
async fn registrations_from_one_address_past_its_limit_are_refused_and_create_nothing() {
    let w = World::new();
    for i in 0..20 {
        w.register(&format!("user{i:02}"), false).await;
    }
    let form = |name: &str| World::form(name, false);
    match w.accounts.register(&w.from, form("late")).await {
        Err(Error::RateLimited { retry_after, .. }) => assert!(retry_after <= Duration::from_secs(3600)),
        other => panic!("the 21st registration of the hour: {other:?}"),
    }
    assert!(w.login.login(&w.from, "late", &pw(GOOD_PASSWORD)).await.is_err(), "no account was made");
    let elsewhere = crate::throttle::ClientAddress::from("203.0.113.5");
    w.accounts.register(&elsewhere, form("other")).await.unwrap();
}

#[test]
fn a_registration_form_names_every_field_at_fault_at_once_as_register_would_refuse_it() {
    let form = Registration {
        email: "not-an-address".into(),
        username: "ok_name".into(),
        name: "Ada".into(),
        lastname: "".into(),
        phone: Some("12".into()),
        password: "ok_name".into(),
        is_2fa: false,
    };
    let faults: Vec<String> = form
        .faults()
        .iter()
        .map(|e| match e {
            Error::InvalidField { field, .. } => (*field).to_owned(),
            Error::WeakPassword(_) => "password".to_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(faults, ["email", "lastname", "phone", "password"]);
    let good = Registration {
        email: "ada@example.com".into(),
        lastname: "Lovelace".into(),
        phone: Some("+14155550132".into()),
        password: GOOD_PASSWORD.into(),
        ..form
    };
    assert!(good.faults().is_empty(), "{:?}", good.faults());
}
