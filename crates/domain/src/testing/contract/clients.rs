//! The contract of [`ClientRepo`](crate::ports::ClientRepo).

use super::{Store, at, nth_id, winners};
use crate::oidc::{Client, ClientId, ClientKind, ClientPatch, IdTokenAlg, Scope, StoredSecret};

/// A confidential client, the `n`-th registered, made at [`at(0)`](super::at),
/// with redirect URIs only an exact store keeps as typed.
pub fn client(n: i64) -> Client {
    Client {
        id: ClientId(nth_id(n)),
        name: format!("Client {n}"),
        redirect_uris: vec![
            format!("https://app{n}.example.com/cb?a=1&b=\"2\""),
            "com.example.app:/oauth2redirect".into(),
        ],
        post_logout_redirect_uris: vec![],
        kind: ClientKind::Confidential,
        scopes: vec![Scope::Openid, Scope::Email, Scope::OfflineAccess],
        skip_consent: false,
        id_token_alg: IdTokenAlg::Rs256,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// A secret of `client` made at `at(secs)`; `tag` tells secrets apart.
pub fn secret(client: &Client, tag: u8, secs: i64) -> StoredSecret {
    StoredSecret {
        hash: vec![tag; 32],
        owner: client.id,
        hint: format!("authd_cs_{tag:02x}"),
        created_at: at(secs),
        expires_at: None,
    }
}

/// The client's secrets as `with_secrets` reads them; none for a missing client.
async fn secrets(s: &Store, id: ClientId) -> Vec<StoredSecret> {
    s.clients.with_secrets(id).await.unwrap().map(|(_, secrets)| secrets).unwrap_or_default()
}

pub async fn a_client_round_trips_with_its_secret_and_lists_in_registration_order(s: Store) {
    let n = s.name;
    let clients: Vec<Client> = (0..3).map(client).collect();
    for (i, c) in clients.iter().enumerate() {
        s.clients.create(c, Some(&secret(c, i as u8 + 1, 0))).await.unwrap();
    }
    let public = Client {
        kind: ClientKind::Public,
        post_logout_redirect_uris: vec!["http://127.0.0.1:9/bye".into()],
        ..client(3)
    };
    s.clients.create(&public, None).await.unwrap();
    assert_eq!(s.clients.get(clients[1].id).await.unwrap().as_ref(), Some(&clients[1]), "{n}: every setting, exactly");
    assert_eq!(s.clients.get(public.id).await.unwrap().as_ref(), Some(&public), "{n}");
    assert!(secrets(&s, public.id).await.is_empty(), "{n}: a public client has none");
    assert_eq!(s.clients.get(ClientId(nth_id(9))).await.unwrap(), None, "{n}");
    let (with, _) = s.clients.with_secrets(clients[1].id).await.unwrap().unwrap();
    assert_eq!(with, clients[1], "{n}: read with its secrets, the same client");
    assert!(s.clients.with_secrets(ClientId(nth_id(9))).await.unwrap().is_none(), "{n}");
    let first = s.clients.list(None, 2).await.unwrap();
    let rest = s.clients.list(Some(first[1].id), 10).await.unwrap();
    let ids: Vec<ClientId> = first.iter().chain(&rest).map(|c| c.id).collect();
    let expected: Vec<ClientId> = clients.iter().chain([&public]).map(|c| c.id).collect();
    assert_eq!(ids, expected, "{n}: a keyset in id order");
    assert_eq!(secrets(&s, clients[2].id).await, [secret(&clients[2], 3, 0)], "{n}");
    let taken = client(5);
    assert!(s.clients.create(&taken, Some(&secret(&taken, 1, 0))).await.is_err(), "{n}: a secret's hash is unique");
    assert_eq!(s.clients.get(taken.id).await.unwrap(), None, "{n}: and nothing of it stays");
}

pub async fn a_new_secret_ends_the_others_at_the_grace_time_and_deleting_the_client_takes_them(s: Store) {
    let n = s.name;
    let c = client(0);
    s.clients.create(&c, Some(&secret(&c, 1, 0))).await.unwrap();
    assert!(s.clients.add_secret(&secret(&c, 2, 10), at(100)).await.unwrap(), "{n}");
    assert!(s.clients.add_secret(&secret(&c, 3, 20), at(500)).await.unwrap(), "{n}");
    let ends: Vec<(u8, Option<chrono::DateTime<chrono::Utc>>)> =
        secrets(&s, c.id).await.iter().map(|k| (k.hash[0], k.expires_at)).collect();
    assert_eq!(ends, [(3, None), (2, Some(at(500))), (1, Some(at(100)))], "{n}: newest first; a grace never extended");
    let gone = client(7);
    assert!(!s.clients.add_secret(&secret(&gone, 9, 0), at(100)).await.unwrap(), "{n}: none for a missing client");
    assert!(s.clients.delete(c.id).await.unwrap(), "{n}");
    s.clients.create(&c, None).await.unwrap();
    assert!(secrets(&s, c.id).await.is_empty(), "{n}: its secrets went with it (none under the same id again)");
    assert!(s.clients.delete(c.id).await.unwrap(), "{n}");
    assert!(!s.clients.delete(c.id).await.unwrap(), "{n}");
    let any = ClientPatch { skip_consent: Some(true), ..Default::default() };
    assert!(s.clients.update(c.id, &any, at(30)).await.unwrap().is_none(), "{n}: a deleted client cannot change");
}

pub async fn concurrent_secret_rotations_leave_exactly_one_secret_without_an_end(s: Store) {
    let n = s.name;
    let c = client(0);
    s.clients.create(&c, Some(&secret(&c, 0, 0))).await.unwrap();
    let tag = std::sync::atomic::AtomicU8::new(1);
    let added = winners(20, || {
        let k = secret(&c, tag.fetch_add(1, std::sync::atomic::Ordering::Relaxed), 1);
        let clients = s.clients.clone();
        async move { clients.add_secret(&k, at(100)).await }
    })
    .await;
    assert_eq!(added, 20, "{n}: every rotation stores its secret");
    let open = secrets(&s, c.id).await.iter().filter(|k| k.expires_at.is_none()).count();
    assert_eq!(open, 1, "{n}: one current secret; every other one has an end");
}

pub async fn a_credentials_grant_is_opened_once_among_concurrent_first_grants_and_ended_by_revocation_or_deletion(
    s: Store,
) {
    let n = s.name;
    let c = client(0);
    s.clients.create(&c, None).await.unwrap();
    assert_eq!(s.clients.credentials_grant(c.id).await.unwrap(), None, "{n}: none before the first grant");
    let opened = futures::future::join_all((1..=20u128).map(|i| {
        let clients = s.clients.clone();
        async move { clients.open_credentials_grant(c.id, uuid::Uuid::from_u128(i)).await.unwrap() }
    }))
    .await;
    let first = opened[0].expect("the client exists");
    assert!(opened.iter().all(|g| *g == Some(first)), "{n}: every concurrent first grant agrees: {opened:?}");
    assert_eq!(s.clients.credentials_grant(c.id).await.unwrap(), Some(first), "{n}");
    s.clients.end_credentials_grant(c.id).await.unwrap();
    assert_eq!(s.clients.credentials_grant(c.id).await.unwrap(), None, "{n}: revoked");
    let next = uuid::Uuid::from_u128(99);
    assert_eq!(s.clients.open_credentials_grant(c.id, next).await.unwrap(), Some(next), "{n}: a new grant");
    assert!(s.clients.delete(c.id).await.unwrap());
    assert_eq!(s.clients.credentials_grant(c.id).await.unwrap(), None, "{n}: gone with its client");
    let gone = s.clients.open_credentials_grant(c.id, uuid::Uuid::from_u128(7)).await.unwrap();
    assert_eq!(gone, None, "{n}: a deleted client opens no grant");
}

pub async fn each_client_change_sets_only_its_settings_and_concurrent_changes_all_take_effect(s: Store) {
    let n = s.name;
    let c = client(0);
    s.clients.create(&c, None).await.unwrap();
    let all = ClientPatch {
        name: Some("Renamed".into()),
        redirect_uris: Some(vec!["http://[::1]:8080/cb".into()]),
        post_logout_redirect_uris: Some(vec!["https://app.example.com/bye".into()]),
        scopes: Some(vec![Scope::Openid]),
        skip_consent: Some(true),
        id_token_alg: Some(IdTokenAlg::EdDsa),
    };
    let written = s.clients.update(c.id, &all, at(5)).await.unwrap().unwrap();
    let expected = Client {
        name: "Renamed".into(),
        redirect_uris: vec!["http://[::1]:8080/cb".into()],
        post_logout_redirect_uris: vec!["https://app.example.com/bye".into()],
        scopes: vec![Scope::Openid],
        skip_consent: true,
        id_token_alg: IdTokenAlg::EdDsa,
        updated_at: at(5),
        ..c.clone()
    };
    assert_eq!(written, expected, "{n}: every setting, and the rest kept");
    assert_eq!(s.clients.get(c.id).await.unwrap().unwrap(), expected, "{n}: as stored");
    let consent = ClientPatch { skip_consent: Some(false), ..Default::default() };
    let name = ClientPatch { name: Some("Both".into()), ..Default::default() };
    let (x, y) = futures::join!(s.clients.update(c.id, &consent, at(6)), s.clients.update(c.id, &name, at(6)));
    assert!(x.unwrap().is_some() && y.unwrap().is_some(), "{n}");
    let after = s.clients.get(c.id).await.unwrap().unwrap();
    assert_eq!((after.skip_consent, after.name.as_str(), after.scopes.len()), (false, "Both", 1), "{n}: neither lost");
}
