//! Sessions opened at the web pages: the browser token is one more key to
//! the same session row, so every rule of sessions holds for it.

use secrecy::SecretString;

use crate::Error;
use crate::login::LoginOutcome;
use crate::session::Caller;
use crate::testing::world::{GOOD_PASSWORD, World};
use crate::token::BrowserToken;

fn pw() -> SecretString {
    GOOD_PASSWORD.into()
}

async fn browser_login(w: &World, login: &str) -> (BrowserToken, Caller) {
    match w.login.login_as::<BrowserToken>(&w.from, login, &pw()).await.unwrap() {
        LoginOutcome::Tokens(t) => {
            let caller = w.sessions.authenticate_browser(&t.token).await.unwrap();
            (t, caller)
        }
        other => panic!("expected a browser session, got {other:?}"),
    }
}

#[tokio::test]
async fn a_browser_token_opens_only_the_pages_and_an_access_token_only_the_api() {
    let w = World::new();
    let user = w.register("ada", false).await;
    let (browser, caller) = browser_login(&w, "ada").await;
    assert_eq!(caller.user_id, user.id);
    assert_eq!(
        browser.expires_in,
        crate::Policy::default().refresh_ttl.as_secs(),
        "the cookie lives as long as its session"
    );
    assert!(matches!(w.sessions.authenticate(&browser.token).await, Err(Error::TokenInvalid)));
    let LoginOutcome::Tokens(pair) = w.login.login(&w.from, "ada", &pw()).await.unwrap() else {
        panic!("no second factor")
    };
    assert!(matches!(w.sessions.authenticate_browser(&pair.access_token).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.sessions.authenticate_browser(&pair.refresh_token).await, Err(Error::TokenInvalid)));
    assert!(w.events(user.id).contains(&"login_succeeded"));
}

#[tokio::test]
async fn a_two_factor_login_in_the_browser_ends_in_a_browser_session() {
    let w = World::new();
    w.register("ada", true).await;
    let LoginOutcome::SecondFactor(due) = w.login.login_as::<BrowserToken>(&w.from, "ada", &pw()).await.unwrap() else {
        panic!("a second factor is due")
    };
    let (status, methods) = w.second_factor.pending(&due.temporary_token).await.unwrap();
    assert_eq!(methods, due.methods);
    assert_eq!(status.remaining_attempts, 5);
    let done = w
        .second_factor
        .verify_as::<BrowserToken>(&w.from, &due.temporary_token, &w.last_code().await, None, Default::default())
        .await
        .unwrap();
    assert!(w.sessions.authenticate_browser(&done.pair.token).await.is_ok());
}

#[tokio::test]
async fn logging_out_everywhere_ends_the_browser_sessions_too() {
    let w = World::new();
    w.register("ada", false).await;
    let (browser, _) = browser_login(&w, "ada").await;
    let LoginOutcome::Tokens(pair) = w.login.login(&w.from, "ada", &pw()).await.unwrap() else {
        panic!("no second factor")
    };
    let api = w.sessions.authenticate(&pair.access_token).await.unwrap();
    w.sessions.logout(&api, true).await.unwrap();
    assert!(matches!(w.sessions.authenticate_browser(&browser.token).await, Err(Error::SessionRevoked)));
}

#[tokio::test]
async fn a_user_lists_and_ends_only_their_own_live_sessions() {
    let w = World::new();
    w.register("ada", false).await;
    w.register("bob", false).await;
    let (_, first) = browser_login(&w, "ada").await;
    w.clock.advance(std::time::Duration::from_secs(1));
    let (_, second) = browser_login(&w, "ada").await;
    let (_, bob) = browser_login(&w, "bob").await;
    let listed: Vec<_> = w.sessions.list(&second).await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(listed, vec![second.session_id, first.session_id], "newest first, and only ada's");

    assert!(matches!(w.sessions.end(&second, bob.session_id).await, Err(Error::SessionNotFound)));
    assert_eq!(w.sessions.list(&bob).await.unwrap().len(), 1, "bob's session lives on");
    w.sessions.end(&second, first.session_id).await.unwrap();
    assert!(matches!(w.sessions.end(&second, first.session_id).await, Err(Error::SessionNotFound)), "ended once");
    let listed: Vec<_> = w.sessions.list(&second).await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(listed, vec![second.session_id]);
    assert!(w.events(second.user_id).contains(&"session_ended"));
}

#[tokio::test]
async fn a_user_reads_their_own_events_and_no_one_elses() {
    let w = World::new();
    w.register("ada", false).await;
    w.register("bob", false).await;
    let (_, ada) = browser_login(&w, "ada").await;
    browser_login(&w, "bob").await;
    let page = w.accounts.my_events(&ada, None, 10).await.unwrap();
    let kinds: Vec<_> = page.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["login_succeeded", "registered"]);
    assert!(page.items.iter().all(|e| e.subject == crate::subject::Subject::User(ada.user_id)));
    assert_eq!(page.next, None, "all of them fit");
    let first = w.accounts.my_events(&ada, None, 1).await.unwrap();
    assert_eq!((first.items.len(), first.next), (1, Some(page.items[0].id)), "one, and where the rest begin");
    let rest = w.accounts.my_events(&ada, first.next, 10).await.unwrap();
    assert_eq!(rest.items.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), vec!["registered"]);
}
