//! Registering applications and checking their API keys, on in-memory ports.

use std::time::Duration;

use secrecy::SecretString;

use crate::Error;
use crate::app::{AppChanges, AppForm};
use crate::login::LoginOutcome;
use crate::notify::Channel;
use crate::session::Caller;
use crate::subject::Subject;
use crate::testing::world::{GOOD_PASSWORD, World};
use crate::user::User;

async fn caller(w: &World, u: &User) -> Caller {
    match w.login.login(&w.from, &u.username, &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => w.sessions.authenticate(&t.access_token).await.unwrap(),
        other => panic!("{other:?}"),
    }
}

fn form() -> AppForm {
    AppForm { name: "Acme".into(), channels: vec![Channel::Email, Channel::Sms], ..Default::default() }
}

async fn admin(w: &World) -> Caller {
    let root = w.admin("root").await;
    caller(w, &root).await
}

#[tokio::test]
async fn only_an_active_admin_manages_applications() {
    let w = World::new();
    let root = admin(&w).await;
    let (app, _) = w.apps.create(&root, form()).await.unwrap();
    let ada = w.register("ada", false).await;
    let c = caller(&w, &ada).await;
    assert!(matches!(w.apps.create(&c, form()).await, Err(Error::Forbidden)));
    assert!(matches!(w.apps.list(&c, None, 10).await, Err(Error::Forbidden)));
    assert!(matches!(w.apps.get(&c, app.id).await, Err(Error::Forbidden)));
    assert!(matches!(w.apps.update(&c, app.id, AppChanges::default()).await, Err(Error::Forbidden)));
    assert!(matches!(w.apps.rotate_key(&c, app.id).await, Err(Error::Forbidden)));
    assert!(matches!(w.apps.delete(&c, app.id).await, Err(Error::Forbidden)));
    assert!(matches!(w.apps.events(&c, app.id, None, 10).await, Err(Error::Forbidden)));
}

#[tokio::test]
async fn an_api_key_is_stored_only_as_a_keyed_hash_and_identifies_its_app() {
    let w = World::new();
    let root = admin(&w).await;
    let (app, key) = w.apps.create(&root, form()).await.unwrap();
    assert!(key.expose().starts_with("authd_app_"));
    {
        let t = w.db.tables();
        let stored: Vec<_> = t.app_keys.values().collect();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0].hash, key.expose().as_bytes(), "never the key itself");
        assert_eq!(stored[0].hint, key.hint());
    }
    assert_eq!(w.apps.authenticate(key.expose()).await.unwrap().id, app.id);
    let (_, keys) = w.apps.get(&root, app.id).await.unwrap();
    assert_eq!(keys.len(), 1);
    for wrong in ["", "authd_app_", &key.expose().replace('a', "b"), &format!("{} ", key.expose())] {
        assert!(matches!(w.apps.authenticate(wrong).await, Err(Error::ApiKeyInvalid)), "{wrong:?}");
    }
}

#[tokio::test]
async fn a_deactivated_or_deleted_apps_key_fails_at_once() {
    let w = World::new();
    let root = admin(&w).await;
    let (app, key) = w.apps.create(&root, form()).await.unwrap();
    let off = AppChanges { is_active: Some(false), ..Default::default() };
    assert!(!w.apps.update(&root, app.id, off).await.unwrap().is_active);
    assert!(matches!(w.apps.authenticate(key.expose()).await, Err(Error::ApiKeyInvalid)));
    let on = AppChanges { is_active: Some(true), ..Default::default() };
    w.apps.update(&root, app.id, on).await.unwrap();
    assert!(w.apps.authenticate(key.expose()).await.is_ok(), "reactivating brings the key back");
    w.apps.delete(&root, app.id).await.unwrap();
    assert!(matches!(w.apps.authenticate(key.expose()).await, Err(Error::ApiKeyInvalid)));
    assert!(matches!(w.apps.get(&root, app.id).await, Err(Error::AppNotFound)));
    assert!(matches!(w.apps.delete(&root, app.id).await, Err(Error::AppNotFound)));
    assert!(matches!(w.apps.rotate_key(&root, app.id).await, Err(Error::AppNotFound)));
}

#[tokio::test]
async fn a_rotated_key_keeps_working_for_the_grace_period_and_then_stops() {
    let w = World::new();
    let root = admin(&w).await;
    let (app, old) = w.apps.create(&root, form()).await.unwrap();
    let grace = crate::policy::Policy::default().app_key_grace;
    assert_eq!(grace, Duration::from_secs(24 * 3600));
    let before = crate::clock::Clock::now(&*w.clock);
    let issued = w.apps.rotate_key(&root, app.id).await.unwrap();
    let until = issued.previous_until - before;
    assert!(until >= crate::clock::span(grace) && until < crate::clock::span(grace + Duration::from_secs(1)));
    assert!(w.apps.authenticate(issued.key.expose()).await.is_ok());
    w.clock.advance(grace - Duration::from_secs(1));
    assert!(w.apps.authenticate(old.expose()).await.is_ok(), "the old key works during the grace period");
    w.clock.advance(Duration::from_secs(1));
    assert!(matches!(w.apps.authenticate(old.expose()).await, Err(Error::ApiKeyInvalid)), "and stops after it");
    w.clock.advance(Duration::from_secs(365 * 24 * 3600));
    assert!(w.apps.authenticate(issued.key.expose()).await.is_ok(), "the current key does not expire");
}

#[tokio::test]
async fn every_change_to_an_app_is_an_event_naming_the_admin() {
    let w = World::new();
    let root_user = w.admin("root").await;
    let root = caller(&w, &root_user).await;
    let (app, created_key) = w.apps.create(&root, form()).await.unwrap();
    w.apps.update(&root, app.id, AppChanges { max_attempts: Some(3), ..Default::default() }).await.unwrap();
    w.apps.update(&root, app.id, AppChanges { is_active: Some(false), ..Default::default() }).await.unwrap();
    let rotated_key = w.apps.rotate_key(&root, app.id).await.unwrap().key;
    w.apps.delete(&root, app.id).await.unwrap();
    let page = w.apps.events(&root, app.id, None, 10).await.unwrap();
    let kinds: Vec<&str> = page.items.iter().rev().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["app_created", "app_updated", "app_deactivated", "app_key_rotated", "app_deleted"]);
    assert!(page.items.iter().all(|e| e.subject == Subject::App(app.id) && e.actor_id == Some(root_user.id)));
    assert_eq!(page.items[3].detail["fields"], "max_attempts");
    let first = w.apps.events(&root, app.id, None, 2).await.unwrap();
    let rest = w.apps.events(&root, app.id, first.next, 10).await.unwrap();
    assert_eq!((first.items.len(), rest.items.len(), rest.next), (2, 3, None), "keyset pages, newest first");
    assert_eq!(first.items[0].id, page.items[0].id);
    let text = format!("{:?}", w.db.tables().audit);
    for key in [&created_key, &rotated_key] {
        assert!(text.contains(&key.hint()), "the hint names the key: {text}");
        assert!(!text.contains(&key.expose()[key.hint().len()..]), "but no more of it: {text}");
    }
}

#[tokio::test]
async fn an_app_lists_in_registration_order_a_page_at_a_time() {
    let w = World::new();
    let root = admin(&w).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let f = AppForm { name: format!("App {n}"), ..form() };
        ids.push(w.apps.create(&root, f).await.unwrap().0.id);
        w.clock.advance(Duration::from_millis(2));
    }
    let first = w.apps.list(&root, None, 2).await.unwrap();
    assert_eq!(first.items.iter().map(|a| a.id).collect::<Vec<_>>(), ids[..2]);
    let rest = w.apps.list(&root, first.next, 2).await.unwrap();
    assert_eq!((rest.items.len(), rest.next), (1, None));
    assert!(matches!(w.apps.list(&root, None, 0).await, Err(Error::InvalidField { field: "limit", .. })));
}
