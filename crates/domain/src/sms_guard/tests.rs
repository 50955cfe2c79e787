//! The number rules on the use cases that text codes, on in-memory ports:
//! a refused number is refused before anything is counted, stored or queued.

use secrecy::SecretString;

use crate::Error;
use crate::app::AppForm;
use crate::login::LoginOutcome;
use crate::notify::Channel;
use crate::policy::Policy;
use crate::sms_guard::NumberRules;
use crate::testing::world::{GOOD_PASSWORD, World};
use crate::user::ProfileChanges;

async fn app(w: &World) -> crate::app::App {
    let root = w.admin("root").await;
    let caller = match w.login.login(&w.from, &root.username, &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => w.sessions.authenticate(&t.access_token).await.unwrap(),
        other => panic!("{other:?}"),
    };
    let form = AppForm { name: "Acme".into(), channels: vec![Channel::Email, Channel::Sms], ..Default::default() };
    w.apps.create(&caller, form).await.unwrap().0
}

fn refused<T: std::fmt::Debug>(r: crate::Result<T>) -> String {
    match r {
        Err(Error::DestinationNotAllowed { reason }) => reason,
        other => panic!("expected destination_not_allowed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_verification_to_a_refused_number_is_refused_before_it_is_counted_stored_or_queued() {
    let policy = Policy {
        sms_numbers: NumberRules { countries: vec!["US".into()], costly_numbers: false },
        ..Policy::default()
    };
    let w = World::with_policy(policy);
    let acme = app(&w).await;
    for (number, why) in [("+19002345678", "premium-rate"), ("+881612345678", "satellite"), ("+237671234567", "CM")] {
        assert!(refused(w.verifications.send(&acme, number, Channel::Sms).await).contains(why), "{number}");
    }
    assert!(w.messages().await.is_empty() && w.db.tables().otps.is_empty(), "nothing queued, nothing stored");
    let counted = w.db.tables().throttles.keys().filter(|k| k.starts_with("app:")).count();
    assert_eq!(counted, 0, "no app counter moved: a refusal is no send");
    // Allowed numbers and mail go out as before.
    w.verifications.send(&acme, "+14155550100", Channel::Sms).await.unwrap();
    w.verifications.send(&acme, "ada@example.com", Channel::Email).await.unwrap();
    assert_eq!(w.messages().await.len(), 2);
}

#[tokio::test]
async fn a_phone_verification_to_a_refused_number_sends_nothing_and_mail_is_never_refused() {
    let w = World::new();
    w.register("ada", false).await;
    let me = match w.login.login(&w.from, "ada", &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => w.sessions.authenticate(&t.access_token).await.unwrap(),
        other => panic!("{other:?}"),
    };
    let satellite = ProfileChanges {
        phone: Some(Some("+881612345678".into())),
        current_password: Some(GOOD_PASSWORD.into()),
        ..Default::default()
    };
    w.accounts.update_me(&me, satellite).await.unwrap();
    assert!(refused(w.phones.send_code(&me, None).await).contains("+881"));
    assert!(w.messages().await.is_empty());
    let costly =
        Policy { sms_numbers: NumberRules { costly_numbers: true, ..Default::default() }, ..Policy::default() };
    assert!(costly.sms_numbers.admit("+881612345678").is_ok(), "the operator may allow them");
}
