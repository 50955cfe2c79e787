//! Registering OpenID Connect clients and a client proving itself, on
//! in-memory ports.

use std::time::Duration;

use super::{ClientChanges, ClientForm, ClientKind};
use crate::Error;
use crate::session::Caller;
use crate::testing::world::{World, tokens};

async fn admin(w: &World) -> Caller {
    w.admin("root").await;
    w.sessions.authenticate(&tokens(w, "root").await.access_token).await.unwrap()
}

fn form(kind: &str) -> ClientForm {
    ClientForm {
        name: "Grafana".into(),
        redirect_uris: vec!["https://grafana.example.com/login/generic_oauth".into()],
        kind: kind.into(),
        ..ClientForm::default()
    }
}

#[tokio::test]
async fn only_an_admin_registers_and_manages_clients() {
    let w = World::new();
    let root = admin(&w).await;
    let (client, _) = w.clients.create(&root, form("public")).await.unwrap();
    w.register("ada", false).await;
    let ada = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    assert!(matches!(w.clients.create(&ada, form("public")).await, Err(Error::Forbidden)));
    assert!(matches!(w.clients.list(&ada, None, 10).await, Err(Error::Forbidden)));
    assert!(matches!(w.clients.get(&ada, client.id).await, Err(Error::Forbidden)));
    assert!(matches!(w.clients.update(&ada, client.id, ClientChanges::default()).await, Err(Error::Forbidden)));
    assert!(matches!(w.clients.rotate_secret(&ada, client.id).await, Err(Error::Forbidden)));
    assert!(matches!(w.clients.delete(&ada, client.id).await, Err(Error::Forbidden)));
    assert_eq!(w.clients.list(&root, None, 10).await.unwrap().items.len(), 1);
    for _ in 0..2 {
        w.clients.create(&root, form("public")).await.unwrap();
    }
    let first = w.clients.list(&root, None, 2).await.unwrap();
    assert_eq!((first.items.len(), first.items[0].id), (2, client.id), "registration order");
    let rest = w.clients.list(&root, first.next, 2).await.unwrap();
    assert_eq!((rest.items.len(), rest.next), (1, None), "a keyset page, then the last");
}

#[tokio::test]
async fn a_confidential_client_gets_a_secret_shown_once_and_kept_only_as_a_keyed_hash() {
    let w = World::new();
    let root = admin(&w).await;
    let (client, secret) = w.clients.create(&root, form("confidential")).await.unwrap();
    let secret = secret.expect("a confidential client's first secret");
    let (_, stored) = w.clients.get(&root, client.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].hint, secret.hint());
    assert_ne!(stored[0].hash, secret.expose().as_bytes(), "stored hashed, never as given");
    let events = w.events(root.user_id);
    assert!(events.contains(&"oidc_client_created"), "{events:?}");
    let (public, none) = w.clients.create(&root, form("public")).await.unwrap();
    assert_eq!((public.kind, none.is_none()), (ClientKind::Public, true));
    assert!(w.clients.get(&root, public.id).await.unwrap().1.is_empty());
}

#[tokio::test]
async fn a_client_proves_itself_with_a_live_secret_or_as_a_public_client_with_none() {
    let w = World::new();
    let root = admin(&w).await;
    let (client, secret) = w.clients.create(&root, form("confidential")).await.unwrap();
    let (public, _) = w.clients.create(&root, form("public")).await.unwrap();
    let (id, secret) = (client.id.to_string(), secret.unwrap());
    let proved = |id: String, s: Option<String>| {
        let w = &w;
        async move { w.clients.authenticate(&id, s.as_deref()).await.unwrap().map(|c| c.id) }
    };
    assert_eq!(proved(id.clone(), Some(secret.expose().into())).await, Some(client.id));
    assert_eq!(proved(id.clone(), None).await, None, "a confidential client without its secret");
    let wrong = format!("authd_cs_{}", "0".repeat(40));
    assert_eq!(proved(id.clone(), Some(wrong)).await, None);
    assert_eq!(proved(id.clone(), Some("not-a-secret".into())).await, None);
    assert_eq!(proved(public.id.to_string(), None).await, Some(public.id));
    assert_eq!(proved(public.id.to_string(), Some(secret.expose().into())).await, None, "a public client has none");
    assert_eq!(proved("nobody".into(), None).await, None);
    assert_eq!(proved(uuid::Uuid::new_v4().to_string(), Some(secret.expose().into())).await, None);

    let rotated = w.clients.rotate_secret(&root, client.id).await.unwrap();
    assert_eq!(proved(id.clone(), Some(rotated.key.expose().into())).await, Some(client.id));
    assert_eq!(proved(id.clone(), Some(secret.expose().into())).await, Some(client.id), "the old one, in its grace");
    w.clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(proved(id.clone(), Some(secret.expose().into())).await, None, "and not after it");
    assert_eq!(proved(id.clone(), Some(rotated.key.expose().into())).await, Some(client.id));
    assert!(matches!(w.clients.rotate_secret(&root, public.id).await, Err(Error::ClientPublic)));
    assert!(w.events(root.user_id).contains(&"oidc_client_secret_rotated"));

    w.clients.delete(&root, client.id).await.unwrap();
    assert_eq!(proved(id, Some(rotated.key.expose().into())).await, None, "a deleted client proves nothing");
    assert!(matches!(w.clients.delete(&root, client.id).await, Err(Error::ClientNotFound)));
    assert!(matches!(w.clients.rotate_secret(&root, client.id).await, Err(Error::ClientNotFound)));
    assert!(matches!(w.clients.get(&root, client.id).await, Err(Error::ClientNotFound)));
}

#[tokio::test]
async fn a_clients_settings_change_by_the_registration_rules() {
    let w = World::new();
    let root = admin(&w).await;
    let (client, _) = w.clients.create(&root, form("confidential")).await.unwrap();
    let bad = ClientChanges { redirect_uris: Some(vec!["http://grafana.example.com/cb".into()]), ..Default::default() };
    assert!(matches!(
        w.clients.update(&root, client.id, bad).await,
        Err(Error::InvalidField { field: "redirect_uris", .. })
    ));
    let good = ClientChanges { name: Some("Grafana (prod)".into()), skip_consent: Some(true), ..Default::default() };
    let changed = w.clients.update(&root, client.id, good).await.unwrap();
    assert_eq!((changed.name.as_str(), changed.skip_consent), ("Grafana (prod)", true));
    assert_eq!(changed.redirect_uris, client.redirect_uris, "what the change does not name stays");
    let missing = super::ClientId(uuid::Uuid::new_v4());
    assert!(matches!(w.clients.update(&root, missing, ClientChanges::default()).await, Err(Error::ClientNotFound)));
    assert!(w.events(root.user_id).contains(&"oidc_client_updated"));
}
