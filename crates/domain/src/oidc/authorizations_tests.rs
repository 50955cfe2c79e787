//! The authorization endpoint's use case on in-memory ports: a request
//! through login and consent to a code, and the answers that end it.

use super::authorizations::{Answer, redirect_with};
use super::code::Redemption;
use super::request::AuthorizeParams;
use super::{ClientForm, Step};
use crate::ports::{AuthorizationRepo, KeyedHasher};
use crate::prefixed_key::PrefixedKey;
use crate::session::Caller;
use crate::testing::world::{World, tokens};

const REDIRECT: &str = "https://app.example.com/cb?tenant=a";

async fn setup(skip_consent: bool) -> (World, String, Caller) {
    let w = World::new();
    w.admin("root").await;
    let root = w.sessions.authenticate(&tokens(&w, "root").await.access_token).await.unwrap();
    let form = ClientForm {
        name: "App".into(),
        redirect_uris: vec![REDIRECT.into()],
        kind: "confidential".into(),
        skip_consent,
        ..ClientForm::default()
    };
    let (client, _) = w.clients.create(&root, form).await.unwrap();
    w.register("ada", false).await;
    let ada = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    (w, client.id.to_string(), ada)
}

fn params(client_id: &str) -> AuthorizeParams {
    AuthorizeParams {
        response_type: Some("code".into()),
        client_id: Some(client_id.into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("openid email".into()),
        state: Some("s&1".into()),
        nonce: Some("n-1".into()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        code_challenge_method: Some("S256".into()),
        ..AuthorizeParams::default()
    }
}

/// The query parameters of a URL sent to the client.
fn query(url: &str) -> Vec<(String, String)> {
    let (_, q) = url.split_once('?').expect("a query");
    url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    query(url).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[tokio::test]
async fn a_request_goes_through_login_and_consent_to_a_code_bound_to_the_request_with_state_and_iss() {
    let (w, client_id, ada) = setup(false).await;
    let Answer::Interact { request, step: Step::Login } =
        w.authorizations.authorize(&params(&client_id), None).await.unwrap()
    else {
        panic!("no session: log in first");
    };
    let Answer::Interact { request: same, step: Step::Consent } =
        w.authorizations.resume(request, Some(&ada)).await.unwrap()
    else {
        panic!("then consent");
    };
    assert_eq!(same, request, "the same request is taken up again");
    let pending = w.authorizations.pending(request).await.unwrap().unwrap();
    assert_eq!((pending.client.name.as_str(), pending.request.scope_words()), ("App", "openid email".into()));
    let Answer::ToClient(url) = w.authorizations.answer_consent(request, &ada, true).await.unwrap() else {
        panic!("a code");
    };
    assert!(url.starts_with("https://app.example.com/cb?tenant=a&code=authd_ac_"), "{url}");
    assert_eq!(param(&url, "state").as_deref(), Some("s&1"), "state untouched");
    assert_eq!(param(&url, "iss").as_deref(), Some("http://localhost:8000"));
    assert_eq!(
        w.authorizations.resume(request, Some(&ada)).await.unwrap(),
        Answer::Shown(super::authorizations::EXPIRED),
        "answered once"
    );
    // The code stands for this request, user and browser session.
    let code: PrefixedKey<super::code::AuthorizationCodes> = PrefixedKey::parse(&param(&url, "code").unwrap()).unwrap();
    let hash = code.hashed(&crate::testing::doubles::PlainKeyedHasher as &dyn KeyedHasher);
    let Redemption::Redeemed(grant) =
        w.db.redeem_code(&hash, crate::clock::Clock::now(&*w.clock), uuid::Uuid::new_v4()).await.unwrap()
    else {
        panic!("live")
    };
    assert_eq!(
        (grant.user_id, grant.browser_session, grant.nonce.as_deref()),
        (ada.user_id, ada.session_id, Some("n-1"))
    );
    assert_eq!((grant.redirect_uri.as_str(), grant.assurance), (REDIRECT, ada.assurance));
    let events = w.events(ada.user_id);
    assert!(events.contains(&"oidc_consent_granted") && events.contains(&"oidc_code_issued"), "{events:?}");
    // Consent is asked once per client and scope set.
    let Answer::ToClient(again) = w.authorizations.authorize(&params(&client_id), Some(&ada)).await.unwrap() else {
        panic!("no page the second time");
    };
    assert!(param(&again, "code").is_some(), "{again}");
}

#[tokio::test]
async fn a_declined_consent_answers_access_denied_and_a_bad_client_or_redirect_is_shown_not_sent() {
    let (w, client_id, ada) = setup(false).await;
    let Answer::Interact { request, .. } = w.authorizations.authorize(&params(&client_id), Some(&ada)).await.unwrap()
    else {
        panic!("consent");
    };
    let Answer::ToClient(url) = w.authorizations.answer_consent(request, &ada, false).await.unwrap() else { panic!() };
    assert_eq!(
        (param(&url, "error").as_deref(), param(&url, "state").as_deref()),
        (Some("access_denied"), Some("s&1"))
    );
    assert!(param(&url, "code").is_none());
    let unknown = AuthorizeParams { client_id: Some(uuid::Uuid::new_v4().to_string()), ..params(&client_id) };
    assert!(matches!(w.authorizations.authorize(&unknown, Some(&ada)).await.unwrap(), Answer::Shown(_)));
    let junk = AuthorizeParams { client_id: Some("not-a-uuid".into()), ..params(&client_id) };
    assert!(matches!(w.authorizations.authorize(&junk, Some(&ada)).await.unwrap(), Answer::Shown(_)));
    let elsewhere = AuthorizeParams { redirect_uri: Some("https://evil.example.com/cb".into()), ..params(&client_id) };
    assert!(matches!(w.authorizations.authorize(&elsewhere, Some(&ada)).await.unwrap(), Answer::Shown(_)));
    let plain = AuthorizeParams { code_challenge_method: Some("plain".into()), ..params(&client_id) };
    let Answer::ToClient(url) = w.authorizations.authorize(&plain, Some(&ada)).await.unwrap() else { panic!() };
    assert_eq!(param(&url, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&url, "iss").as_deref(), Some("http://localhost:8000"), "errors carry iss too (RFC 9207)");
}

#[tokio::test]
async fn a_client_that_skips_consent_gets_its_code_at_once_and_prompt_none_never_shows_a_page() {
    let (w, client_id, ada) = setup(true).await;
    let Answer::ToClient(url) = w.authorizations.authorize(&params(&client_id), Some(&ada)).await.unwrap() else {
        panic!("a code");
    };
    assert!(param(&url, "code").is_some());
    let silent = AuthorizeParams { prompt: Some("none".into()), ..params(&client_id) };
    let Answer::ToClient(url) = w.authorizations.authorize(&silent, None).await.unwrap() else { panic!() };
    assert_eq!(param(&url, "error").as_deref(), Some("login_required"));
}

#[test]
fn the_answer_is_added_to_the_registered_query_form_encoded() {
    let url = redirect_with(
        "https://a.example/cb?x=1",
        &[("code", Some("c d")), ("state", None), ("iss", Some("https://id.example"))],
    );
    assert_eq!(url, "https://a.example/cb?x=1&code=c+d&iss=https%3A%2F%2Fid.example");
    assert_eq!(
        redirect_with("com.example.app:/cb", &[("error", Some("access_denied"))]),
        "com.example.app:/cb?error=access_denied"
    );
}

#[tokio::test]
async fn acr_values_aal2_steps_up_a_one_factor_session_whose_user_has_a_factor_and_refuses_one_without() {
    let (w, client_id, ada) = setup(true).await;
    let aal2 = AuthorizeParams { acr_values: Some("aal2".into()), ..params(&client_id) };
    let Answer::ToClient(url) = w.authorizations.authorize(&aal2, Some(&ada)).await.unwrap() else { panic!() };
    assert_eq!(param(&url, "error").as_deref(), Some("unmet_authentication_requirements"), "ada has no second factor");
    w.register("bob", true).await;
    let pending = crate::testing::world::temporary(&w, "bob").await;
    let done = w.second_factor.verify(&w.from, &pending, &w.last_code().await, None).await.unwrap();
    let bob = w.sessions.authenticate(&done.pair.access_token).await.unwrap();
    assert_eq!(bob.assurance.acr(), crate::assurance::Acr::Aal2);
    let Answer::ToClient(url) = w.authorizations.authorize(&aal2, Some(&bob)).await.unwrap() else { panic!() };
    assert!(param(&url, "code").is_some(), "two factors: a code");
    let one_factor = crate::assurance::Assurance::proved(
        crate::assurance::Amr::proved(true, None).unwrap(),
        bob.assurance.auth_time,
    );
    let bob_aal1 = Caller { assurance: one_factor, ..bob };
    let step = w.authorizations.authorize(&aal2, Some(&bob_aal1)).await.unwrap();
    assert!(matches!(step, Answer::Interact { step: Step::Reauthenticate, .. }), "{step:?}");
}
