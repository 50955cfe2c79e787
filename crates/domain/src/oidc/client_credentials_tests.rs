//! `client_credentials` on in-memory ports: who may use it, what its token
//! says and opens, and how long it lives.

use std::time::Duration;

use super::token_grants::{GrantRefusal, Introspection};
use super::{Client, ClientForm, ClientId};
use crate::Error;
use crate::testing::world::{World, tokens};
use crate::token::{Claims, TokenKind};

async fn setup() -> (World, Client, Client) {
    let w = World::new();
    w.admin("root").await;
    let root = w.sessions.authenticate(&tokens(&w, "root").await.access_token).await.unwrap();
    let form = |name: &str, kind: &str| ClientForm {
        name: name.into(),
        redirect_uris: vec!["https://app.example.com/cb".into()],
        kind: kind.into(),
        ..ClientForm::default()
    };
    let (service, _) = w.clients.create(&root, form("Service", "confidential")).await.unwrap();
    let (spa, _) = w.clients.create(&root, form("SPA", "public")).await.unwrap();
    (w, service, spa)
}

fn refusal(granted: super::Granted) -> GrantRefusal {
    granted.expect_err("refused")
}

#[tokio::test]
async fn client_credentials_is_for_confidential_clients_and_grants_no_user_scope_id_token_or_refresh_token() {
    let (w, service, spa) = setup().await;
    let g = &w.token_grants;
    assert_eq!(refusal(g.client_credentials(&spa, None).await.unwrap()).error(), "unauthorized_client");
    for scope in ["openid", "email profile", "offline_access", "write:everything"] {
        let refused = refusal(g.client_credentials(&service, Some(scope)).await.unwrap());
        assert_eq!(refused.error(), "invalid_scope", "{scope}");
    }
    let answer = g.client_credentials(&service, Some("")).await.unwrap().unwrap();
    assert_eq!((answer.id_token, answer.refresh_token, answer.scope.as_str()), (None, None, ""));
    assert_eq!(answer.expires_in, crate::policy::Policy::default().access_ttl.as_secs());
    let claims = w.sessions.tokens.check(&answer.access_token, TokenKind::Client).unwrap();
    assert_eq!((claims.sub, claims.client.map(|c| c.client_id)), (Claims::NO_USER, Some(service.id)));
}

#[tokio::test]
async fn a_client_credentials_token_opens_no_route_that_speaks_of_a_user() {
    let (w, service, _) = setup().await;
    let token = w.token_grants.client_credentials(&service, None).await.unwrap().unwrap().access_token;
    assert!(matches!(w.sessions.authenticate(&token).await, Err(Error::TokenInvalid)), "authd's own API");
    assert!(
        matches!(w.sessions.authenticate_resource(&token).await, Err(Error::TokenInvalid)),
        "verify-token, userinfo"
    );
    assert!(w.sessions.refresh(&token).await.is_err(), "refresh");
}

#[tokio::test]
async fn a_client_credentials_token_is_live_while_its_grant_is_and_its_clients_revocation_ends_every_token_of_it() {
    let (w, service, _) = setup().await;
    let g = &w.token_grants;
    let first = g.client_credentials(&service, None).await.unwrap().unwrap().access_token;
    let second = g.client_credentials(&service, None).await.unwrap().unwrap().access_token;
    let other = Client { id: ClientId(uuid::Uuid::new_v4()), ..service.clone() };
    for token in [&first, &second] {
        let Introspection::Active { claims, token_type } = g.introspect(&other, token).await.unwrap() else {
            panic!("live")
        };
        assert_eq!((claims.kind, token_type), (TokenKind::Client, "access_token"));
    }
    // Another client cannot revoke it.
    g.revoke(&other, &first).await.unwrap();
    assert!(matches!(g.introspect(&service, &first).await.unwrap(), Introspection::Active { .. }));
    // Its own client's revocation ends the grant: both tokens.
    g.revoke(&service, &first).await.unwrap();
    for token in [&first, &second] {
        assert_eq!(g.introspect(&service, token).await.unwrap(), Introspection::Inactive);
    }
    // The next token opens a new grant, which lives until its end.
    let third = g.client_credentials(&service, None).await.unwrap().unwrap().access_token;
    assert!(matches!(g.introspect(&service, &third).await.unwrap(), Introspection::Active { .. }));
    assert_eq!(g.introspect(&service, &first).await.unwrap(), Introspection::Inactive, "the old grant stays ended");
    w.clock.advance(crate::policy::Policy::default().access_ttl + Duration::from_secs(1));
    assert_eq!(g.introspect(&service, &third).await.unwrap(), Introspection::Inactive, "expired");
}

#[tokio::test]
async fn a_clients_own_grants_are_its_events_which_only_admins_read_and_which_outlive_it() {
    let (w, service, _) = setup().await;
    let token = w.token_grants.client_credentials(&service, None).await.unwrap().unwrap().access_token;
    w.token_grants.revoke(&service, &token).await.unwrap();
    let root = w.sessions.authenticate(&tokens(&w, "root").await.access_token).await.unwrap();
    let page = w.clients.events(&root, service.id, None, 10).await.unwrap();
    let kinds: Vec<&str> = page.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["oidc_token_revoked", "oidc_tokens_issued"], "newest first");
    assert_eq!(page.items[1].detail["grant_type"], "client_credentials");
    assert_eq!(page.items[0].detail["grant"], page.items[1].detail["grant"], "the grant issued is the one ended");
    // A page at a time, older ones by the cursor.
    let first = w.clients.events(&root, service.id, None, 1).await.unwrap();
    assert_eq!((first.items.len(), first.next), (1, Some(page.items[0].id)));
    let rest = w.clients.events(&root, service.id, first.next, 1).await.unwrap();
    assert_eq!((rest.items[0].id, rest.next), (page.items[1].id, None));
    w.register("ada", false).await;
    let ada = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    assert!(matches!(w.clients.events(&ada, service.id, None, 10).await, Err(Error::Forbidden)));
    w.clients.delete(&root, service.id).await.unwrap();
    assert_eq!(w.clients.events(&root, service.id, None, 10).await.unwrap().items.len(), 2, "kept after deletion");
    let unknown = ClientId(uuid::Uuid::new_v4());
    assert!(matches!(w.clients.events(&root, unknown, None, 10).await, Err(Error::ClientNotFound)));
}

#[tokio::test]
async fn deleting_a_client_ends_its_client_credentials_tokens() {
    let (w, service, _) = setup().await;
    let token = w.token_grants.client_credentials(&service, None).await.unwrap().unwrap().access_token;
    let root = w.sessions.authenticate(&tokens(&w, "root").await.access_token).await.unwrap();
    w.clients.delete(&root, service.id).await.unwrap();
    assert_eq!(w.token_grants.introspect(&service, &token).await.unwrap(), Introspection::Inactive);
}
