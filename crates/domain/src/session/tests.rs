//! Tokens and sessions: kinds never cross, refresh rotation and reuse,
//! lifetimes, logout.

use std::time::Duration;

use crate::Error;
use crate::testing::world::{World, temporary, tokens};

#[tokio::test]
async fn token_kinds_are_refused_outside_their_own_use_case() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    assert!(matches!(w.sessions.authenticate(&tmp).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.sessions.refresh(&tmp).await, Err(Error::TokenInvalid)));
    let pair = w.second_factor.verify(&w.from, &tmp, &w.last_code().await, None).await.unwrap().pair;
    assert!(matches!(
        w.second_factor.verify(&w.from, &pair.access_token, "123456", None).await,
        Err(Error::TokenInvalid)
    ));
    assert!(matches!(w.second_factor.resend(&pair.access_token, None).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.sessions.refresh(&pair.access_token).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.sessions.authenticate(&pair.refresh_token).await, Err(Error::TokenInvalid)));
    assert!(matches!(
        w.second_factor.verify(&w.from, &pair.refresh_token, "123456", None).await,
        Err(Error::TokenInvalid)
    ));
}

#[tokio::test]
async fn refresh_token_works_once_and_its_reuse_revokes_the_session() {
    let w = World::new();
    w.register("ada", false).await;
    let first = tokens(&w, "ada").await;
    let second = w.sessions.refresh(&first.refresh_token).await.unwrap();
    w.sessions.authenticate(&second.access_token).await.unwrap();
    assert!(matches!(w.sessions.refresh(&first.refresh_token).await, Err(Error::RefreshReused)));
    assert!(matches!(w.sessions.authenticate(&second.access_token).await, Err(Error::SessionRevoked)));
    assert!(matches!(w.sessions.refresh(&second.refresh_token).await, Err(Error::SessionRevoked)));
}

#[tokio::test]
async fn refresh_token_expires_after_its_lifetime() {
    let w = World::new();
    w.register("ada", false).await;
    let pair = tokens(&w, "ada").await;
    w.clock.advance(crate::Policy::default().refresh_ttl);
    assert!(matches!(w.sessions.refresh(&pair.refresh_token).await, Err(Error::TokenExpired)));
}

#[tokio::test]
async fn access_token_expires_after_its_lifetime() {
    let w = World::new();
    w.register("ada", false).await;
    let pair = tokens(&w, "ada").await;
    w.clock.advance(crate::Policy::default().access_ttl - Duration::from_secs(1));
    w.sessions.authenticate(&pair.access_token).await.unwrap();
    w.clock.advance(Duration::from_secs(1));
    assert!(matches!(w.sessions.authenticate(&pair.access_token).await, Err(Error::TokenExpired)));
}

#[tokio::test]
async fn logout_revokes_the_session_and_logout_all_revokes_every_session() {
    let w = World::new();
    w.register("ada", false).await;
    let one = tokens(&w, "ada").await;
    let two = tokens(&w, "ada").await;
    let three = tokens(&w, "ada").await;
    let c1 = w.sessions.authenticate(&one.access_token).await.unwrap();
    w.sessions.logout(&c1, false).await.unwrap();
    assert!(matches!(w.sessions.authenticate(&one.access_token).await, Err(Error::SessionRevoked)));
    let c2 = w.sessions.authenticate(&two.access_token).await.unwrap();
    w.sessions.authenticate(&three.access_token).await.unwrap();
    w.sessions.logout(&c2, true).await.unwrap();
    assert!(w.sessions.authenticate(&two.access_token).await.is_err());
    assert!(w.sessions.authenticate(&three.access_token).await.is_err());
    assert!(w.sessions.refresh(&three.refresh_token).await.is_err());
}
