//! Administration rules and the audit trail, on in-memory ports.

use secrecy::SecretString;

use crate::Error;
use crate::admin::{AdminChanges, Bootstrap, admin_form};
use crate::login::LoginOutcome;
use crate::otp::Pending;
use crate::session::Caller;
use crate::testing::world::{GOOD_PASSWORD, World};
use crate::user::{ProfileChanges, User, UserQuery};

async fn caller(w: &World, u: &User) -> Caller {
    match w.login.login(&w.from, &u.username, &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => w.sessions.authenticate(&t.access_token).await.unwrap(),
        other => panic!("{other:?}"),
    }
}

fn query(limit: u32) -> UserQuery {
    UserQuery { limit, ..Default::default() }
}

fn set(is_admin: Option<bool>, is_active: Option<bool>) -> AdminChanges {
    AdminChanges { is_admin, is_active, ..Default::default() }
}

#[tokio::test]
async fn non_admins_are_forbidden_from_every_admin_use_case() {
    let w = World::new();
    let u = w.register("ada", false).await;
    let c = caller(&w, &u).await;
    assert!(matches!(w.admin.list_users(&c, query(10)).await, Err(Error::Forbidden)));
    assert!(matches!(w.admin.get_user(&c, u.id).await, Err(Error::Forbidden)));
    assert!(matches!(w.admin.update_user(&c, u.id, set(Some(true), None)).await, Err(Error::Forbidden)));
    assert!(matches!(w.admin.delete_user(&c, u.id).await, Err(Error::Forbidden)));
    assert!(matches!(w.admin.user_events(&c, u.id, None, 10).await, Err(Error::Forbidden)));
}

#[tokio::test]
async fn a_non_admin_listing_users_is_forbidden_whatever_the_query_and_sees_no_user() {
    let w = World::new();
    let u = w.register("ada", false).await;
    w.register("bob", false).await;
    let c = caller(&w, &u).await;
    // A query the page would refuse, and one that matches users: 403 both.
    assert!(matches!(w.admin.list_users(&c, query(0)).await, Err(Error::Forbidden)));
    let search = UserQuery { search: Some("x".repeat(101)), ..query(10) };
    assert!(matches!(w.admin.list_users(&c, search).await, Err(Error::Forbidden)));
    let matching = UserQuery { search: Some("bob".into()), ..query(10) };
    assert!(matches!(w.admin.list_users(&c, matching).await, Err(Error::Forbidden)));
}

#[tokio::test]
async fn user_list_pages_walk_every_user_once_in_order() {
    // More users than one address may register in an hour.
    let mut policy = crate::policy::Policy::default();
    policy.rate_limits.registrations_per_hour = 0;
    let w = World::with_policy(policy);
    let admin = w.admin("root").await;
    for i in 0..23 {
        w.register(&format!("user{i:02}"), i % 2 == 0).await;
    }
    let c = caller(&w, &admin).await;
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let page = w.admin.list_users(&c, UserQuery { after, ..query(5) }).await.unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|u| u.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((seen.len(), sorted.len()), (24, 24));
    assert_eq!(seen, sorted, "stable id order");
}

#[tokio::test]
async fn user_list_filters_and_searches_case_insensitively() {
    let w = World::new();
    let admin = w.admin("root").await;
    w.register("alice", true).await;
    w.register("bob", false).await;
    let c = caller(&w, &admin).await;
    let names = |p: crate::page::Page<User, _>| p.items.into_iter().map(|u| u.username).collect::<Vec<_>>();
    let search = UserQuery { search: Some("  ALI ".into()), ..query(10) };
    assert_eq!(names(w.admin.list_users(&c, search).await.unwrap()), ["alice"]);
    let two_fa = UserQuery { is_2fa: Some(true), ..query(10) };
    assert_eq!(names(w.admin.list_users(&c, two_fa).await.unwrap()), ["alice"]);
    let admins = UserQuery { is_admin: Some(true), ..query(10) };
    assert_eq!(names(w.admin.list_users(&c, admins).await.unwrap()), ["root"]);
    for bad in [0, 101] {
        assert!(matches!(w.admin.list_users(&c, query(bad)).await, Err(Error::InvalidField { field: "limit", .. })));
    }
}

#[tokio::test]
async fn deactivating_a_user_revokes_their_sessions_and_refuses_their_logins() {
    let w = World::new();
    let admin = w.admin("root").await;
    let u = w.register("ada", false).await;
    let LoginOutcome::Tokens(pair) = w.login.login(&w.from, "ada", &SecretString::from(GOOD_PASSWORD)).await.unwrap()
    else {
        panic!("expected tokens")
    };
    let c = caller(&w, &admin).await;
    let updated = w.admin.update_user(&c, u.id, set(None, Some(false))).await.unwrap();
    assert!(!updated.is_active);
    assert!(matches!(w.sessions.authenticate(&pair.access_token).await, Err(Error::SessionRevoked)));
    assert!(matches!(w.sessions.refresh(&pair.refresh_token).await, Err(Error::SessionRevoked)));
    assert!(matches!(
        w.login.login(&w.from, "ada", &SecretString::from(GOOD_PASSWORD)).await,
        Err(Error::InvalidCredentials)
    ));
    let events = w.events(u.id);
    assert!(events.contains(&"user_deactivated") && events.contains(&"user_updated_by_admin"), "{events:?}");
}

#[tokio::test]
async fn the_last_active_admin_cannot_demote_deactivate_or_delete_themselves() {
    let w = World::new();
    let admin = w.admin("root").await;
    let c = caller(&w, &admin).await;
    assert!(matches!(w.admin.update_user(&c, admin.id, set(Some(false), None)).await, Err(Error::LastAdmin)));
    assert!(matches!(w.admin.update_user(&c, admin.id, set(None, Some(false))).await, Err(Error::LastAdmin)));
    assert!(matches!(w.admin.delete_user(&c, admin.id).await, Err(Error::LastAdmin)));
    assert!(matches!(w.accounts.delete_me(&c, &SecretString::from(GOOD_PASSWORD)).await, Err(Error::LastAdmin)));
    assert!(w.admin.require_admin(&c).await.is_ok());
    let LoginOutcome::Tokens(pair) = w.login.login(&w.from, "root", &SecretString::from(GOOD_PASSWORD)).await.unwrap()
    else {
        panic!()
    };
    let fresh = w.sessions.authenticate(&pair.access_token).await.unwrap();
    assert!(matches!(w.admin.delete_user(&fresh, admin.id).await, Err(Error::LastAdmin)));
    w.sessions.authenticate(&pair.access_token).await.expect("a refused delete leaves the sessions alone");
    // With a second admin, the first may step down.
    let other = w.register("deputy", false).await;
    w.admin.update_user(&c, other.id, set(Some(true), None)).await.unwrap();
    w.admin.update_user(&c, admin.id, set(Some(false), None)).await.unwrap();
    let d = caller(&w, &other).await;
    assert!(matches!(w.admin.delete_user(&d, other.id).await, Err(Error::LastAdmin)));
}

#[tokio::test]
async fn admin_edits_keep_email_and_username_unique_and_unknown_ids_are_not_found() {
    let w = World::new();
    let admin = w.admin("root").await;
    let u = w.register("ada", false).await;
    let c = caller(&w, &admin).await;
    let taken = AdminChanges {
        profile: ProfileChanges { email: Some("root@example.com".into()), ..Default::default() },
        ..Default::default()
    };
    assert!(matches!(w.admin.update_user(&c, u.id, taken).await, Err(Error::EmailTaken)));
    let nobody = crate::user::UserId(uuid::Uuid::nil());
    assert!(matches!(w.admin.get_user(&c, nobody).await, Err(Error::UserNotFound)));
    assert!(matches!(w.admin.update_user(&c, nobody, set(Some(true), None)).await, Err(Error::UserNotFound)));
    assert!(matches!(w.admin.delete_user(&c, nobody).await, Err(Error::UserNotFound)));
    assert!(matches!(w.admin.user_events(&c, nobody, None, 10).await, Err(Error::UserNotFound)));
}

#[tokio::test]
async fn security_events_are_recorded_with_the_acting_admin_and_no_secret() {
    let w = World::new();
    let admin = w.admin("root").await;
    let u = w.register("bob", true).await;
    let _ = w.login.login(&w.from, "bob", &SecretString::from("wrong-password-123")).await;
    let tmp = match w.login.login(&w.from, "bob", &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::SecondFactor(Pending { temporary_token, .. }) => temporary_token,
        other => panic!("{other:?}"),
    };
    let code = w.last_code().await;
    let _ = w.second_factor.verify(&w.from, &tmp, if code == "000000" { "111111" } else { "000000" }, None).await;
    w.second_factor.verify(&w.from, &tmp, &code, None).await.unwrap();
    let c = caller(&w, &admin).await;
    w.admin.update_user(&c, u.id, set(None, Some(false))).await.unwrap();
    assert_eq!(
        w.events(u.id),
        [
            "registered",
            "login_failed",
            "otp_sent",
            "delivery_sent",
            "otp_failed",
            "otp_verified",
            "login_succeeded",
            "user_updated_by_admin",
            "user_deactivated"
        ]
    );
    let events = w.db.tables().audit.clone();
    let by_admin =
        events.iter().filter(|e| e.kind.as_str().ends_with("by_admin") || e.kind.as_str() == "user_deactivated");
    assert!(by_admin.clone().count() >= 2 && by_admin.clone().all(|e| e.actor_id == Some(admin.id)));
    let text = format!("{events:?}");
    assert!(!text.contains(GOOD_PASSWORD) && !text.contains("wrong-password") && !text.contains(&code));
    let page = w.admin.user_events(&c, u.id, None, 3).await.unwrap();
    assert_eq!(
        page.items.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["user_deactivated", "user_updated_by_admin", "login_succeeded"]
    );
    let rest = w.admin.user_events(&c, u.id, page.next, 100).await.unwrap();
    assert_eq!(rest.items.len(), 6);
    assert!(rest.next.is_none());
}

#[tokio::test]
async fn bootstrap_creates_the_first_admin_once_and_promotes_an_existing_user() {
    let w = World::new();
    let form =
        || admin_form("boss@example.com", "boss", "The", "Boss", Some(SecretString::from("plum-orchard-velvet-62")));
    match w.admin.bootstrap_admin(form(), true).await.unwrap() {
        Bootstrap::Created(u) => assert!(u.is_admin && u.is_active),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.admin.bootstrap_admin(form(), true).await.unwrap(), Bootstrap::AdminExists);

    let existing = w.register("ada", false).await;
    w.deactivate(existing.id);
    match w.admin.bootstrap_admin(admin_form("ada@example.com", "ada", "A", "B", None), false).await.unwrap() {
        Bootstrap::Promoted(u) => assert_eq!((u.id, u.is_admin, u.is_active), (existing.id, true, true)),
        other => panic!("{other:?}"),
    }
    assert!(
        w.login.login(&w.from, "ada", &SecretString::from(GOOD_PASSWORD)).await.is_ok(),
        "promotion keeps the password"
    );
    let no_password = admin_form("new@example.com", "newbie", "N", "B", None);
    assert!(matches!(
        w.admin.bootstrap_admin(no_password, false).await,
        Err(Error::InvalidField { field: "password", .. })
    ));
}

#[tokio::test]
async fn a_two_factor_login_finished_after_deactivation_opens_no_session() {
    let w = World::new();
    let admin = w.admin("root").await;
    let u = w.register("bob", true).await;
    let LoginOutcome::SecondFactor(Pending { temporary_token, .. }) =
        w.login.login(&w.from, "bob", &SecretString::from(GOOD_PASSWORD)).await.unwrap()
    else {
        panic!("expected a second factor")
    };
    let c = caller(&w, &admin).await;
    w.admin.update_user(&c, u.id, set(None, Some(false))).await.unwrap();
    let code = w.last_code().await;
    assert!(matches!(w.second_factor.verify(&w.from, &temporary_token, &code, None).await, Err(Error::TokenInvalid)));
}

#[tokio::test]
async fn a_page_that_ends_at_the_last_user_has_no_next_cursor() {
    let w = World::new();
    let admin = w.admin("root").await;
    for i in 0..4 {
        w.register(&format!("user{i}"), false).await;
    }
    let c = caller(&w, &admin).await;
    let exact = w.admin.list_users(&c, query(5)).await.unwrap();
    assert_eq!((exact.items.len(), exact.next), (5, None));
    let short = w.admin.list_users(&c, query(4)).await.unwrap();
    assert_eq!(short.next, Some(short.items[3].id));
}

#[tokio::test]
async fn the_user_search_term_is_at_most_100_characters() {
    let w = World::new();
    let admin = w.admin("root").await;
    let c = caller(&w, &admin).await;
    let search = |n: usize| UserQuery { search: Some("a".repeat(n)), ..query(10) };
    assert!(w.admin.list_users(&c, search(100)).await.unwrap().items.is_empty());
    assert!(matches!(w.admin.list_users(&c, search(101)).await, Err(Error::InvalidField { field: "q", .. })));
}

#[tokio::test]
async fn a_deleted_users_events_stay_readable_and_an_unknown_user_is_not_found() {
    let w = World::new();
    let admin = w.admin("root").await;
    let c = caller(&w, &admin).await;
    let bob = w.register("bob", false).await;
    w.admin.delete_user(&c, bob.id).await.unwrap();
    let page = w.admin.user_events(&c, bob.id, None, 10).await.unwrap();
    let kinds: Vec<&str> = page.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["user_deleted_by_admin", "registered"]);
    let ghost = crate::user::UserId(uuid::Uuid::new_v4());
    assert!(matches!(w.admin.user_events(&c, ghost, None, 10).await, Err(Error::UserNotFound)));
}
