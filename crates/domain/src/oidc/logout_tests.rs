//! RP-initiated logout on in-memory ports: which requests are followed,
//! which are shown, and that only the person's confirmation ends anything.

use super::authorizations::Answer;
use super::logout::{EndSession, LogoutParams};
use super::request::AuthorizeParams;
use super::{Client, ClientForm};
use crate::session::Caller;
use crate::testing::world::{World, tokens};

const REDIRECT: &str = "https://app.example.com/cb";
const AFTER: &str = "https://app.example.com/signed-out?from=authd";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn client(w: &World, root: &Caller, name: &str) -> Client {
    let form = ClientForm {
        name: name.into(),
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec![AFTER.into()],
        kind: "confidential".into(),
        skip_consent: true,
        ..ClientForm::default()
    };
    w.clients.create(root, form).await.unwrap().0
}

/// A world with two clients and ada signed in at the pages, and an ID
/// token the first client got for her.
async fn setup() -> (World, Client, Client, Caller, String) {
    let w = World::new();
    w.admin("root").await;
    let root = w.sessions.authenticate(&tokens(&w, "root").await.access_token).await.unwrap();
    let (app, other) = (client(&w, &root, "App").await, client(&w, &root, "Other").await);
    w.register("ada", false).await;
    let ada = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    let params = AuthorizeParams {
        response_type: Some("code".into()),
        client_id: Some(app.id.to_string()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("openid".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        ..AuthorizeParams::default()
    };
    let Answer::ToClient(url) = w.authorizations.authorize(&params, Some(&ada)).await.unwrap() else { panic!() };
    let code = url::Url::parse(&url).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let answer = w.token_grants.exchange_code(&app, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap().unwrap();
    (w, app, other, ada, answer.id_token.unwrap())
}

fn params(hint: Option<&str>, client: Option<&Client>, uri: Option<&str>, state: Option<&str>) -> LogoutParams {
    LogoutParams {
        id_token_hint: hint.map(str::to_owned),
        client_id: client.map(|c| c.id.to_string()),
        post_logout_redirect_uri: uri.map(str::to_owned),
        state: state.map(str::to_owned),
        ..LogoutParams::default()
    }
}

#[tokio::test]
async fn a_logout_returns_only_to_an_address_its_client_registered_with_the_state_untouched() {
    let (w, app, _, ada, id_token) = setup().await;
    let l = &w.logouts;
    // By the hint alone, or by client_id alone: the registered address, state added to its query.
    for p in [
        params(Some(&id_token), None, Some(AFTER), Some("s t/1")),
        params(None, Some(&app), Some(AFTER), Some("s t/1")),
    ] {
        let EndSession { client, back_to, .. } = l.check(&p).await.unwrap().unwrap();
        assert_eq!(client.map(|c| c.id), Some(app.id));
        assert_eq!(back_to.as_deref(), Some("https://app.example.com/signed-out?from=authd&state=s+t%2F1"));
    }
    let checked = l.check(&params(Some(&id_token), None, None, None)).await.unwrap().unwrap();
    assert_eq!((checked.back_to, checked.hint.map(|h| h.sub)), (None, Some(ada.user_id)));
    // Nothing at all is a plain logout at authd.
    assert_eq!(l.check(&LogoutParams::default()).await.unwrap().unwrap().back_to, None);
    // An address not registered, a prefix of one, or the sign-in redirect URI: shown, never followed.
    for uri in ["https://evil.example.com/", "https://app.example.com/signed-out", REDIRECT] {
        assert!(l.check(&params(Some(&id_token), None, Some(uri), None)).await.unwrap().is_err(), "{uri}");
    }
    // An address with no client to check it against.
    assert!(l.check(&params(None, None, Some(AFTER), None)).await.unwrap().is_err());
}

#[tokio::test]
async fn a_logout_hint_must_be_an_id_token_of_this_server_for_the_client_the_request_names() {
    let (w, app, other, _, id_token) = setup().await;
    let l = &w.logouts;
    for forged in ["junk", "idt|RS256|not-a-user|x|y|z|w|v|1"] {
        assert!(l.check(&params(Some(forged), Some(&app), Some(AFTER), None)).await.unwrap().is_err(), "{forged}");
    }
    // The hint was issued to `app`: its client_id goes with it, another is refused.
    assert!(l.check(&params(Some(&id_token), Some(&app), Some(AFTER), None)).await.unwrap().is_ok());
    assert!(l.check(&params(Some(&id_token), Some(&other), Some(AFTER), None)).await.unwrap().is_err());
    // An unknown or malformed client_id.
    let unknown = LogoutParams { client_id: Some(uuid::Uuid::new_v4().to_string()), ..LogoutParams::default() };
    assert!(l.check(&unknown).await.unwrap().is_err());
    let malformed = LogoutParams { client_id: Some("app".into()), ..LogoutParams::default() };
    assert!(l.check(&malformed).await.unwrap().is_err());
    // A state longer than any answer echoes; one as long is passed back.
    let longest = "s".repeat(super::request::MAX_ECHOED_CHARS);
    assert!(l.check(&params(Some(&id_token), None, Some(AFTER), Some(&longest))).await.unwrap().is_ok());
    let long = "s".repeat(super::request::MAX_ECHOED_CHARS + 1);
    assert!(l.check(&params(Some(&id_token), None, Some(AFTER), Some(&long))).await.unwrap().is_err());
    // A deleted client's hint names no client any more.
    let root = w.sessions.authenticate(&tokens(&w, "root").await.access_token).await.unwrap();
    w.clients.delete(&root, app.id).await.unwrap();
    assert!(l.check(&params(Some(&id_token), None, None, None)).await.unwrap().is_err());
}

#[tokio::test]
async fn checking_a_logout_ends_nothing_and_the_confirmation_ends_the_browser_session_alone() {
    let (w, _, _, ada, id_token) = setup().await;
    let other_device = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    w.logouts.check(&params(Some(&id_token), None, Some(AFTER), None)).await.unwrap().unwrap();
    assert!(w.sessions.is_live(ada.session_id, ada.user_id).await.unwrap(), "a check alone ends nothing");
    w.logouts.end(&ada).await.unwrap();
    assert!(!w.sessions.is_live(ada.session_id, ada.user_id).await.unwrap());
    assert!(w.sessions.is_live(other_device.session_id, ada.user_id).await.unwrap(), "other devices stay");
    assert!(w.events(ada.user_id).contains(&"logged_out"));
}

#[test]
fn a_posted_logout_goes_on_as_a_query_with_every_parameter_it_carried() {
    let p = LogoutParams {
        id_token_hint: Some("a.b.c".into()),
        client_id: Some("c-1".into()),
        post_logout_redirect_uri: Some("https://app.example.com/out?x=1&y=2".into()),
        state: Some("s t/&=".into()),
        logout_hint: Some("ada".into()),
        ui_locales: None,
    };
    let back: Vec<(String, String)> = url::form_urlencoded::parse(p.to_query().as_bytes()).into_owned().collect();
    let expected = [
        ("id_token_hint", "a.b.c"),
        ("client_id", "c-1"),
        ("post_logout_redirect_uri", "https://app.example.com/out?x=1&y=2"),
        ("state", "s t/&="),
        ("logout_hint", "ada"),
    ];
    assert_eq!(back, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    assert_eq!(LogoutParams::default().to_query(), "");
}
