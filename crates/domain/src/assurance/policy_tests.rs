//! The second-factor policy (`AUTHD_REQUIRE_2FA`): whom it covers, the
//! session a covered user without a factor gets (it may only enrol one),
//! how that session is lifted, and what admin routes ask under it.

use std::time::Duration;

use super::{Acr, Factor, SecondFactorPolicy};
use crate::clock::Clock;
use crate::error::Error;
use crate::login::LoginOutcome;
use crate::otp::Method;
use crate::policy::Policy;
use crate::session::Caller;
use crate::testing::webauthn::TextKey;
use crate::testing::world::{GOOD_PASSWORD, World, pw, tokens};
use crate::token::TokenPair;
use crate::totp::TotpSecret;
use crate::user::{ProfileChanges, UserQuery};

fn world(required: SecondFactorPolicy) -> World {
    World::with_policy(Policy { require_2fa: required, ..Policy::default() })
}

async fn caller(w: &World, name: &str) -> Caller {
    w.sessions.authenticate(&tokens(w, name).await.access_token).await.unwrap()
}

fn switch_codes(on: bool) -> ProfileChanges {
    ProfileChanges { is_2fa: Some(on), current_password: Some(GOOD_PASSWORD.into()), ..Default::default() }
}

/// `me`'s session stepped up with the password and a code from the app
/// whose secret is `secret` (`aal2`).
async fn stepped_up_with_app(w: &World, me: &Caller, secret: &TotpSecret) -> Caller {
    w.clock.advance(Duration::from_secs(30));
    let code = secret.code_at(w.clock.now());
    let factor = Factor::Code { method: Some(Method::Totp), code: &code };
    let pair: TokenPair = w.step_up.reauthenticate(&w.from, me, Some(&pw(GOOD_PASSWORD)), Some(factor)).await.unwrap();
    w.sessions.authenticate(&pair.access_token).await.unwrap()
}

fn everyone() -> UserQuery {
    UserQuery { limit: 10, ..UserQuery::default() }
}

/// Enrols an authenticator app for `me`; its secret.
async fn enrol_app(w: &World, me: &Caller) -> TotpSecret {
    let secret = TotpSecret::from_base32(&w.authenticator.enrol(me, &pw(GOOD_PASSWORD)).await.unwrap().secret).unwrap();
    w.authenticator.confirm(me, &secret.code_at(w.clock.now())).await.unwrap();
    w.clock.advance(Duration::from_secs(30));
    secret
}

#[tokio::test]
async fn the_policy_covers_nobody_the_administrators_or_everyone() {
    let w = World::new();
    let (user, admin) = (w.register("ada", false).await, w.admin("root").await);
    let covered = |p: SecondFactorPolicy| (p.covers(&user), p.covers(&admin));
    assert_eq!(covered(SecondFactorPolicy::None), (false, false));
    assert_eq!(covered(SecondFactorPolicy::Admins), (false, true));
    assert_eq!(covered(SecondFactorPolicy::All), (true, true));
    assert_eq!(SecondFactorPolicy::default(), SecondFactorPolicy::None);
    let words: Vec<_> = SecondFactorPolicy::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(words, ["none", "admins", "all"]);
}

#[tokio::test]
async fn a_covered_user_without_a_second_factor_gets_a_session_that_may_only_enrol_one_and_a_refresh_keeps_it_so() {
    let w = world(SecondFactorPolicy::All);
    w.register("ada", false).await;
    let pair = tokens(&w, "ada").await;
    let me = w.sessions.authenticate(&pair.access_token).await.unwrap();
    assert!(me.assurance.second_factor_due);
    assert_eq!((me.assurance.amr.words(), me.assurance.acr()), (vec!["pwd"], Acr::Aal1));
    assert!(matches!(me.unrestricted(), Err(Error::SecondFactorRequired)));
    let refreshed = w.sessions.refresh(&pair.refresh_token).await.unwrap();
    let again = w.sessions.authenticate(&refreshed.access_token).await.unwrap();
    assert!(again.assurance.second_factor_due, "a refresh cannot lift it");
    assert!(matches!(again.unrestricted(), Err(Error::SecondFactorRequired)));
}

#[tokio::test]
async fn a_user_the_policy_does_not_cover_or_who_has_a_second_factor_gets_a_session_that_may_do_anything() {
    let w = world(SecondFactorPolicy::Admins);
    w.register("ada", false).await;
    let plain = caller(&w, "ada").await;
    assert!(!plain.assurance.second_factor_due, "admins: a user is not covered");
    assert_eq!(plain.unrestricted().unwrap(), plain);

    let w = world(SecondFactorPolicy::All);
    w.register("bob", true).await;
    let LoginOutcome::SecondFactor(p) = w.login.login(&w.from, "bob", &pw(GOOD_PASSWORD)).await.unwrap() else {
        panic!("bob has mailed codes")
    };
    let pair = w.second_factor.verify(&w.from, &p.temporary_token, &w.last_code().await, None).await.unwrap().pair;
    let bob = w.sessions.authenticate(&pair.access_token).await.unwrap();
    assert!(!bob.assurance.second_factor_due);
    assert!(bob.unrestricted().is_ok());
}

#[tokio::test]
async fn a_session_that_may_only_enrol_may_switch_sent_codes_on_or_give_a_phone_and_change_nothing_else() {
    let w = world(SecondFactorPolicy::All);
    w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    let rename = ProfileChanges { name: Some("Other".into()), ..Default::default() };
    let r = w.accounts.update_me(&me, rename).await;
    assert!(matches!(r, Err(Error::SecondFactorRequired)), "{r:?}");
    let both = ProfileChanges { name: Some("Other".into()), ..switch_codes(true) };
    assert!(matches!(w.accounts.update_me(&me, both).await, Err(Error::SecondFactorRequired)));
    assert_eq!(w.accounts.me(&me).await.unwrap().name, "Test", "nothing was written");
    let phone = |p: Option<&str>| ProfileChanges {
        phone: Some(p.map(str::to_owned)),
        current_password: Some(GOOD_PASSWORD.into()),
        ..Default::default()
    };
    let given = w.accounts.update_me(&me, phone(Some("+14155550132"))).await.unwrap();
    assert_eq!(given.phone.as_deref(), Some("+14155550132"), "before any factor: a number to prove, for codes by SMS");
    let r = w.accounts.update_me(&me, phone(None)).await;
    assert!(matches!(r, Err(Error::SecondFactorRequired)), "removing one enrols nothing: {r:?}");
    let unchanged = ProfileChanges { name: Some("Test".into()), ..switch_codes(true) };
    assert!(w.accounts.update_me(&me, unchanged).await.unwrap().is_2fa, "an unchanged field changes nothing");
}

#[tokio::test]
async fn an_enrolment_only_session_is_lifted_by_a_step_up_with_two_factors_and_not_by_a_password_or_a_code_alone() {
    let w = world(SecondFactorPolicy::All);
    w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    let secret = enrol_app(&w, &me).await;
    let step = |password: bool, code: Option<String>| {
        let (w, me) = (&w, me);
        async move {
            let factor = code.as_deref().map(|code| Factor::Code { method: Some(Method::Totp), code });
            let password = password.then(|| pw(GOOD_PASSWORD));
            let pair: TokenPair = w.step_up.reauthenticate(&w.from, &me, password.as_ref(), factor).await.unwrap();
            w.sessions.authenticate(&pair.access_token).await.unwrap()
        }
    };
    let by_password = step(true, None).await;
    assert!(by_password.assurance.second_factor_due, "a password alone proves one factor");
    w.clock.advance(Duration::from_secs(30));
    let by_code = step(false, Some(secret.code_at(w.clock.now()))).await;
    assert!(by_code.assurance.second_factor_due, "a code alone proves one factor");
    w.clock.advance(Duration::from_secs(30));
    let by_both = step(true, Some(secret.code_at(w.clock.now()))).await;
    assert!(!by_both.assurance.second_factor_due);
    assert_eq!(by_both.assurance.acr(), Acr::Aal2);
    assert!(by_both.unrestricted().is_ok());
}

#[tokio::test]
async fn under_the_policy_the_last_second_factor_cannot_be_removed_and_one_of_two_can() {
    let w = world(SecondFactorPolicy::All);
    w.register("ada", true).await;
    w.register("bob", false).await;
    // ada's only factor is codes by mail.
    let LoginOutcome::SecondFactor(p) = w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await.unwrap() else {
        panic!("ada has mailed codes")
    };
    let pair = w.second_factor.verify(&w.from, &p.temporary_token, &w.last_code().await, None).await.unwrap().pair;
    let ada = w.sessions.authenticate(&pair.access_token).await.unwrap();
    let r = w.accounts.update_me(&ada, switch_codes(false)).await;
    assert!(matches!(r, Err(Error::LastSecondFactor)), "{r:?}");
    assert!(w.accounts.me(&ada).await.unwrap().is_2fa);

    // bob enrols an app, then two passkeys (each switches codes by mail
    // on): each may go but the last.
    let bob = caller(&w, "bob").await;
    let secret = enrol_app(&w, &bob).await;
    let bob = stepped_up_with_app(&w, &bob, &secret).await;
    w.accounts.update_me(&bob, switch_codes(false)).await.unwrap();
    let r = w.authenticator.disable(&bob, &pw(GOOD_PASSWORD)).await;
    assert!(matches!(r, Err(Error::LastSecondFactor)), "the app alone: {r:?}");
    for (seed, name) in [(3, "Laptop"), (4, "Phone")] {
        let key = TextKey::new(seed, bob.user_id);
        let reg = w.passkeys.begin(&bob, &pw(GOOD_PASSWORD)).await.unwrap();
        w.passkeys.finish(&bob, reg.ceremony_id, name, &key.create(&reg.options)).await.unwrap();
    }
    let keys = w.passkeys.list(&bob).await.unwrap();
    w.accounts.update_me(&bob, switch_codes(false)).await.unwrap();
    w.authenticator.disable(&bob, &pw(GOOD_PASSWORD)).await.expect("the passkeys stay");
    w.accounts.update_me(&bob, switch_codes(true)).await.unwrap();
    w.accounts.update_me(&bob, switch_codes(false)).await.expect("the passkeys stay");
    w.passkeys.remove(&bob, keys[0].id, &pw(GOOD_PASSWORD)).await.expect("one passkey stays");
    let r = w.passkeys.remove(&bob, keys[1].id, &pw(GOOD_PASSWORD)).await;
    assert!(matches!(r, Err(Error::LastSecondFactor)), "{r:?}");
    assert_eq!(w.passkeys.list(&bob).await.unwrap().len(), 1);

    // Without the policy, the last one goes.
    let w = World::new();
    w.register("cyd", false).await;
    let cy = caller(&w, "cyd").await;
    let secret = enrol_app(&w, &cy).await;
    let cy = stepped_up_with_app(&w, &cy, &secret).await;
    w.authenticator.disable(&cy, &pw(GOOD_PASSWORD)).await.unwrap();
}

#[tokio::test]
async fn under_the_admins_policy_an_admin_route_asks_an_admin_without_a_factor_to_add_one_and_one_with_a_factor_for_aal2()
 {
    let w = world(SecondFactorPolicy::Admins);
    w.admin("root").await;
    let root = caller(&w, "root").await;
    assert!(root.assurance.second_factor_due);
    let r = w.admin.list_users(&root, everyone()).await;
    assert!(matches!(r, Err(Error::SecondFactorRequired)), "{r:?}");

    let secret = enrol_app(&w, &root).await;
    let r = w.admin.list_users(&root, everyone()).await;
    let asked = matches!(r, Err(Error::ReauthenticationRequired { max_age: None, two_factors: true }));
    assert!(asked, "a factor, but the session is aal1: {r:?}");
    let stepped = stepped_up_with_app(&w, &root, &secret).await;
    assert_eq!(stepped.assurance.acr(), Acr::Aal2);
    assert!(w.admin.list_users(&stepped, everyone()).await.is_ok());

    let w = World::new();
    w.admin("root").await;
    let root = caller(&w, "root").await;
    assert!(w.admin.list_users(&root, everyone()).await.is_ok(), "no policy: aal1 will do");
}

#[test]
fn the_policy_is_read_from_settings_by_its_word_and_any_other_word_is_refused_naming_the_three() {
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};
    let read = |word: &str| SecondFactorPolicy::deserialize::<StrDeserializer<ValueError>>(word.into_deserializer());
    for policy in SecondFactorPolicy::ALL {
        assert_eq!(read(policy.as_str()).unwrap(), policy);
    }
    let refused = read("Admins").unwrap_err().to_string();
    assert!(refused.contains("expected none, admins or all") && refused.contains("\"Admins\""), "{refused}");
}
