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
async fn an_apps_geo_permissions_refuse_a_number_of_another_country_before_it_is_counted_and_an_admin_widens_them() {
    let w = World::new();
    let root = w.admin("root").await;
    let caller = match w.login.login(&w.from, &root.username, &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => w.sessions.authenticate(&t.access_token).await.unwrap(),
        other => panic!("{other:?}"),
    };
    let form = AppForm {
        name: "Acme".into(),
        channels: vec![Channel::Sms, Channel::Whatsapp],
        sms_countries: vec!["us".into()],
        ..Default::default()
    };
    let acme = w.apps.create(&caller, form).await.unwrap().0;
    w.verifications.send(&acme, "+14155550100", Channel::Sms).await.unwrap();
    // +1 613 is Canada: the same calling code, another country.
    let reason = refused(w.verifications.send(&acme, "+16135550100", Channel::Sms).await);
    assert!(reason.contains("no sms codes to CA numbers"), "{reason}");
    let counted = w.db.tables().throttles.iter().filter(|(k, _)| k.contains("+16135550100")).count();
    assert_eq!((counted, w.messages().await.len()), (0, 1), "nothing counted, nothing queued");
    w.verifications.send(&acme, "+16135550100", Channel::Whatsapp).await.unwrap();
    let widened = crate::app::AppChanges { sms_countries: Some(vec!["US".into(), "CA".into()]), ..Default::default() };
    let acme = w.apps.update(&caller, acme.id, widened).await.unwrap();
    w.verifications.send(&acme, "+16135550100", Channel::Sms).await.unwrap();
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

/// A world whose guard judges conversion from `floor` sends (20 %), with no
/// velocity limit unless `velocity`, and its app sending SMS.
async fn guarded(floor: u32, velocity: u32) -> (World, crate::app::App) {
    let prefixes = crate::sms_guard::PrefixRules {
        volume_floor: floor,
        sends_per_window: velocity,
        ..crate::sms_guard::PrefixRules::default()
    };
    let mut policy = Policy { sms_prefixes: prefixes, ..Policy::default() };
    policy.rate_limits.verifications_per_app_per_minute = 0;
    let w = World::with_policy(policy);
    let acme = app(&w).await;
    (w, acme)
}

#[tokio::test]
async fn past_the_deployments_hourly_cap_texted_codes_pause_with_one_event_and_mail_still_goes() {
    let prefixes =
        crate::sms_guard::PrefixRules { sends_in_all: 3, volume_floor: 0, ..crate::sms_guard::PrefixRules::default() };
    let mut policy = Policy { sms_prefixes: prefixes, ..Policy::default() };
    policy.rate_limits.verifications_per_app_per_minute = 0;
    let w = World::with_policy(policy);
    let acme = app(&w).await;
    for area in ["415", "212", "303"] {
        w.verifications.send(&acme, &format!("+1{area}5550100"), Channel::Sms).await.unwrap();
    }
    for area in ["617", "206"] {
        match w.verifications.send(&acme, &format!("+1{area}5550100"), Channel::Sms).await {
            Err(Error::SendingPaused { retry_after }) => {
                assert_eq!(retry_after, std::time::Duration::from_secs(3600), "until the hour's end")
            }
            other => panic!("the fourth texted code of the hour: {other:?}"),
        }
    }
    let told = w.db.tables().audit.iter().filter(|e| e.kind.as_str() == "sms_sending_paused").count();
    assert_eq!(told, 1, "one event for the window, not one per refusal");
    w.verifications.send(&acme, "ada@example.com", Channel::Email).await.unwrap();
    assert_eq!(w.messages().await.len(), 4, "three texts and the mail; nothing queued for the refused");
    w.clock.advance(std::time::Duration::from_secs(3600));
    w.verifications.send(&acme, "+16175550100", Channel::Sms).await.unwrap();
}

/// The `n`-th number of one Cameroonian mobile prefix (`+2376712`).
fn pumped(n: u32) -> String {
    format!("+2376712{n:05}")
}

#[tokio::test]
async fn a_prefix_whose_codes_are_not_checked_is_blocked_at_the_volume_floor_and_its_queued_codes_are_not_sent() {
    let (w, acme) = guarded(10, 0).await;
    for n in 0..9 {
        w.verifications.send(&acme, &pumped(n), Channel::Sms).await.unwrap();
    }
    // The tenth send reaches the floor with no code checked: blocked now, for 15 minutes.
    match w.verifications.send(&acme, &pumped(9), Channel::Sms).await {
        Err(Error::DestinationBlocked { retry_after }) => assert_eq!(retry_after.as_secs(), 15 * 60),
        other => panic!("{other:?}"),
    }
    let blocked: Vec<_> =
        w.db.tables().audit.iter().filter(|e| e.kind.as_str() == "fraud_prefix_blocked").cloned().collect();
    assert_eq!(blocked.len(), 1, "one event");
    let d = &blocked[0].detail;
    assert_eq!((d["prefix"].text(), d["country"].text()), (Some("+2376712"), Some("CM")));
    assert_eq!((d["sends"].count(), d["verified"].count(), d["strike"].count()), (Some(10), Some(0), Some(1)));
    assert!(matches!(
        w.verifications.send(&acme, &pumped(10), Channel::Sms).await,
        Err(Error::DestinationBlocked { .. })
    ));
    // Another prefix of the same country, and mail, go on.
    w.verifications.send(&acme, "+237699123456", Channel::Sms).await.unwrap();
    w.verifications.send(&acme, "ada@example.com", Channel::Email).await.unwrap();
    // The nine queued codes of the blocked prefix are given up, not sent.
    let sent = w.messages().await;
    assert_eq!(sent.iter().filter(|m| m.to.starts_with("+2376712")).count(), 0, "none of the pumped range");
    assert_eq!(sent.len(), 2);
    // After 15 minutes it takes codes again; the next block lasts twice as long.
    w.clock.advance(std::time::Duration::from_secs(15 * 60));
    for n in 20..29 {
        w.verifications.send(&acme, &pumped(n), Channel::Sms).await.unwrap();
    }
    match w.verifications.send(&acme, &pumped(29), Channel::Sms).await {
        Err(Error::DestinationBlocked { retry_after }) => assert_eq!(retry_after.as_secs(), 30 * 60, "doubled"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn codes_checked_at_the_threshold_keep_their_prefix_open() {
    let (w, acme) = guarded(10, 0).await;
    let mut ids = Vec::new();
    for n in 0..9 {
        ids.push(w.verifications.send(&acme, &pumped(n), Channel::Sms).await.unwrap().id);
    }
    // Two of ten checked correctly: exactly 20 %, not below.
    let sent = w.messages().await;
    for (id, n) in ids.iter().zip(0..2) {
        let code = sent.iter().find(|m| m.to == pumped(n)).unwrap().code.clone().unwrap();
        w.verifications.check(&acme, *id, code.as_str()).await.unwrap();
    }
    w.verifications.send(&acme, &pumped(9), Channel::Sms).await.unwrap();
    // One more unchecked send: 2 of 11 is below 20 %.
    assert!(matches!(
        w.verifications.send(&acme, &pumped(10), Channel::Sms).await,
        Err(Error::DestinationBlocked { .. })
    ));
}

#[tokio::test]
async fn a_prefix_takes_at_most_its_velocity_limit_per_window_and_a_refusal_counts_nothing() {
    let (w, acme) = guarded(0, 3).await;
    for n in 0..3 {
        w.verifications.send(&acme, &pumped(n), Channel::Sms).await.unwrap();
    }
    for n in 3..6 {
        match w.verifications.send(&acme, &pumped(n), Channel::Sms).await {
            Err(Error::DestinationThrottled { retry_after }) => {
                assert!(retry_after.as_secs() > 3500, "{retry_after:?}")
            }
            other => panic!("{other:?}"),
        }
    }
    w.verifications.send(&acme, "+237699123456", Channel::Sms).await.unwrap();
    w.clock.advance(std::time::Duration::from_secs(3600));
    for n in 6..9 {
        w.verifications.send(&acme, &pumped(n), Channel::Sms).await.unwrap();
    }
}

#[tokio::test]
async fn a_resend_asked_for_within_the_cooldown_is_no_send_for_the_guard() {
    let (w, acme) = guarded(0, 2).await;
    let v = w.verifications.send(&acme, &pumped(0), Channel::Sms).await.unwrap();
    for _ in 0..5 {
        assert!(matches!(w.verifications.resend(&acme, v.id).await, Err(Error::ResendCooldown { .. })));
    }
    w.verifications.send(&acme, &pumped(1), Channel::Sms).await.unwrap();
}

#[tokio::test]
async fn a_login_whose_phone_prefix_is_blocked_offers_the_next_method_instead_of_failing() {
    use crate::clock::Clock;
    use crate::ports::SmsGuardStore;
    let w = World::new();
    w.with_verified_phone("ada", "+14155550132").await;
    let login = || async { w.login.login(&w.from, "ada", &SecretString::from(GOOD_PASSWORD)).await.unwrap() };
    let LoginOutcome::SecondFactor(open) = login().await else { panic!("a second factor") };
    assert_eq!(open.methods[0], crate::otp::Method::Sms, "the phone first while its prefix is open");
    // The prefix of ada's number is blocked: her login goes on by mail.
    let now = w.clock.now();
    let limits = crate::ports::SendLimits { window: std::time::Duration::from_secs(3600), per_prefix: 0, in_all: 0 };
    let strikes = match w.db.count_send("+14155", "US", now, limits).await.unwrap() {
        crate::ports::PrefixCount::Counted(window) => window.strikes,
        other => panic!("{other:?}"),
    };
    assert!(w.db.block("+14155", strikes, now, now + chrono::Duration::hours(1)).await.unwrap());
    let before = w.messages().await.len();
    let LoginOutcome::SecondFactor(fallback) = login().await else { panic!("a second factor, not a failure") };
    assert_eq!(fallback.methods[0], crate::otp::Method::Email, "the next method is the default");
    assert!(fallback.methods.contains(&crate::otp::Method::Sms), "the phone stays offered, after it");
    let sent = w.messages().await;
    assert_eq!(sent.len(), before + 1);
    assert_eq!(sent.last().unwrap().channel, Channel::Email);
}

#[tokio::test]
async fn admins_alone_see_a_block_and_lift_it_which_is_an_event_and_opens_the_prefix_again() {
    let (w, acme) = guarded(3, 0).await;
    for n in 0..2 {
        w.verifications.send(&acme, &pumped(n), Channel::Sms).await.unwrap();
    }
    assert!(matches!(
        w.verifications.send(&acme, &pumped(2), Channel::Sms).await,
        Err(Error::DestinationBlocked { .. })
    ));
    let root = signed_in(&w, "root").await;
    let blocks = w.prefix_blocks.list(&root).await.unwrap();
    assert_eq!(
        blocks.iter().map(|b| (b.prefix.as_str(), b.country.as_str(), b.strikes)).collect::<Vec<_>>(),
        [("+2376712", "CM", 1)]
    );
    w.register("ada", false).await;
    let ada = signed_in(&w, "ada").await;
    assert!(matches!(w.prefix_blocks.list(&ada).await, Err(Error::Forbidden)));
    assert!(matches!(w.prefix_blocks.lift(&ada, "+2376712").await, Err(Error::Forbidden)));
    w.prefix_blocks.lift(&root, "2376712").await.unwrap();
    assert!(w.events(root.user_id).contains(&"fraud_prefix_unblocked"));
    assert!(w.prefix_blocks.list(&root).await.unwrap().is_empty());
    assert!(matches!(w.prefix_blocks.lift(&root, "+2376712").await, Err(Error::BlockNotFound)), "not blocked now");
    w.verifications.send(&acme, &pumped(3), Channel::Sms).await.unwrap();
}

async fn signed_in(w: &World, name: &str) -> crate::session::Caller {
    match w.login.login(&w.from, name, &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => w.sessions.authenticate(&t.access_token).await.unwrap(),
        other => panic!("{other:?}"),
    }
}
