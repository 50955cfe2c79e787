//! The rules of an authorization request and of its next step.

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::decision::{BrowserSession, Consent, Step, next_step};
use super::request::{AuthorizeParams, OAuthError, Refusal, Sent, check_request};
use super::*;
use crate::assurance::{Amr, Assurance};
use crate::otp::Method;

const REDIRECT: &str = "https://app.example.com/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

fn client() -> Client {
    let form = ClientForm {
        name: "App".into(),
        redirect_uris: vec![REDIRECT.into()],
        kind: "confidential".into(),
        ..ClientForm::default()
    };
    Client::new(ClientId(Uuid::nil()), form, now()).unwrap()
}

fn params() -> AuthorizeParams {
    AuthorizeParams {
        response_type: Some("code".into()),
        client_id: Some(Uuid::nil().to_string()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("openid email".into()),
        state: Some("st-1".into()),
        nonce: Some("n-1".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        ..AuthorizeParams::default()
    }
}

fn sent(r: Result<request::AuthorizeRequest, Refusal>) -> Sent {
    match r {
        Err(Refusal::Sent(s)) => s,
        other => panic!("expected an error for the client, got {other:?}"),
    }
}

#[test]
fn an_unknown_client_or_an_unregistered_redirect_uri_is_shown_never_redirected_to() {
    assert!(matches!(check_request(&params(), None, now()), Err(Refusal::Shown(_))));
    let c = client();
    for uri in [
        None,
        Some(""),
        Some("https://evil.example.com/cb"),
        Some("https://app.example.com/cb/"),
        Some("https://app.example.com/cb?x=1"),
    ] {
        let p =
            AuthorizeParams { redirect_uri: uri.map(str::to_owned), response_type: Some("token".into()), ..params() };
        assert!(matches!(check_request(&p, Some(&c), now()), Err(Refusal::Shown(_))), "{uri:?}");
    }
}

#[test]
fn a_good_request_keeps_state_and_nonce_untouched_and_binds_the_pkce_challenge() {
    let state = "a b&c=d/é?";
    let p = AuthorizeParams { state: Some(state.into()), nonce: Some("n+/=".into()), ..params() };
    let r = check_request(&p, Some(&client()), now()).unwrap();
    assert_eq!((r.state.as_deref(), r.nonce.as_deref()), (Some(state), Some("n+/=")));
    assert_eq!((r.redirect_uri.as_str(), r.challenge.as_str()), (REDIRECT, CHALLENGE));
    assert_eq!((r.scopes.clone(), r.created_at, r.client_id), (vec![Scope::Openid, Scope::Email], now(), client().id));
    assert_eq!(r.scope_words(), "openid email");
    assert_eq!((r.prompt, r.max_age, r.wants_aal2), (Prompt::default(), None, false));
}

#[test]
fn only_the_code_flow_is_served_and_every_other_fault_goes_back_with_the_state() {
    let c = client();
    let cases: Vec<(AuthorizeParams, OAuthError)> = vec![
        (AuthorizeParams { response_type: Some("token".into()), ..params() }, OAuthError::UnsupportedResponseType),
        (
            AuthorizeParams { response_type: Some("code id_token".into()), ..params() },
            OAuthError::UnsupportedResponseType,
        ),
        (AuthorizeParams { response_type: None, ..params() }, OAuthError::UnsupportedResponseType),
        (AuthorizeParams { response_mode: Some("fragment".into()), ..params() }, OAuthError::InvalidRequest),
        (AuthorizeParams { code_challenge: None, ..params() }, OAuthError::InvalidRequest),
        (AuthorizeParams { code_challenge_method: Some("plain".into()), ..params() }, OAuthError::InvalidRequest),
        (AuthorizeParams { code_challenge_method: None, ..params() }, OAuthError::InvalidRequest),
        (AuthorizeParams { scope: Some("email profile".into()), ..params() }, OAuthError::InvalidScope),
        (AuthorizeParams { scope: None, ..params() }, OAuthError::InvalidScope),
        (AuthorizeParams { prompt: Some("none login".into()), ..params() }, OAuthError::InvalidRequest),
        (AuthorizeParams { prompt: Some("sometimes".into()), ..params() }, OAuthError::InvalidRequest),
        (AuthorizeParams { max_age: Some("-1".into()), ..params() }, OAuthError::InvalidRequest),
        (AuthorizeParams { nonce: Some("n".repeat(1025)), ..params() }, OAuthError::InvalidRequest),
        (AuthorizeParams { request: Some("eyJ…".into()), ..params() }, OAuthError::RequestNotSupported),
        (AuthorizeParams { request_uri: Some("https://x".into()), ..params() }, OAuthError::RequestUriNotSupported),
    ];
    for (p, error) in cases {
        let s = sent(check_request(&p, Some(&c), now()));
        assert_eq!((s.error, s.redirect_uri.as_str(), s.state.as_deref()), (error, REDIRECT, Some("st-1")), "{p:?}");
        assert!(!s.description.is_empty());
    }
    // A state too long to echo is not echoed.
    let s = sent(check_request(&AuthorizeParams { state: Some("s".repeat(1025)), ..params() }, Some(&c), now()));
    assert_eq!((s.error, s.state), (OAuthError::InvalidRequest, None));
    // The longest accepted.
    let p = AuthorizeParams { state: Some("s".repeat(1024)), nonce: Some("n".repeat(1024)), ..params() };
    assert!(check_request(&p, Some(&c), now()).is_ok());
}

#[test]
fn scopes_are_those_asked_that_the_client_may_have_and_offline_access_needs_consent_asked_or_skipped() {
    let mut c = client();
    c.scopes = vec![Scope::Openid, Scope::Email, Scope::OfflineAccess];
    let p = AuthorizeParams { scope: Some("openid profile email unknown offline_access openid".into()), ..params() };
    let r = check_request(&p, Some(&c), now()).unwrap();
    assert_eq!(r.scopes, [Scope::Openid, Scope::Email], "offline_access without prompt=consent is left out");
    let consent = AuthorizeParams { prompt: Some("consent".into()), ..p.clone() };
    assert_eq!(
        check_request(&consent, Some(&c), now()).unwrap().scopes,
        [Scope::Openid, Scope::Email, Scope::OfflineAccess]
    );
    c.skip_consent = true;
    assert_eq!(check_request(&p, Some(&c), now()).unwrap().scopes, [Scope::Openid, Scope::Email, Scope::OfflineAccess]);
}

#[test]
fn prompt_max_age_and_acr_values_are_read() {
    let p = AuthorizeParams {
        prompt: Some("login consent select_account".into()),
        max_age: Some("0".into()),
        acr_values: Some("aal1 aal2".into()),
        login_hint: Some("ada".into()),
        ..params()
    };
    let r = check_request(&p, Some(&client()), now()).unwrap();
    assert_eq!(r.prompt, Prompt { none: false, login: true, consent: true });
    assert_eq!((r.max_age, r.wants_aal2, r.login_hint.as_deref()), (Some(0), true, Some("ada")));
    let r = check_request(&AuthorizeParams { acr_values: Some("aal1".into()), ..params() }, Some(&client()), now());
    assert!(!r.unwrap().wants_aal2);
}

fn request(p: AuthorizeParams) -> request::AuthorizeRequest {
    check_request(&p, Some(&client()), now()).unwrap()
}

fn session(at: DateTime<Utc>, two_factors: bool, has_factor: bool) -> BrowserSession {
    let amr = if two_factors { Amr::two_factors(Method::Totp) } else { Amr::proved(true, None).unwrap() };
    BrowserSession { assurance: Assurance::proved(amr, at), has_second_factor: has_factor }
}

fn consent(scopes: &[Scope], at: DateTime<Utc>) -> Consent {
    Consent { scopes: scopes.to_vec(), granted_at: at }
}

fn refused(step: Step) -> OAuthError {
    match step {
        Step::Refuse(s) => {
            assert_eq!((s.redirect_uri.as_str(), s.state.as_deref()), (REDIRECT, Some("st-1")));
            s.error
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn without_a_session_the_person_logs_in_and_prompt_none_answers_login_required_without_a_page() {
    let c = client();
    assert_eq!(next_step(&request(params()), &c, None, None, now()), Step::Login);
    let silent = request(AuthorizeParams { prompt: Some("none".into()), ..params() });
    assert_eq!(refused(next_step(&silent, &c, None, None, now())), OAuthError::LoginRequired);
}

#[test]
fn a_consent_is_asked_once_per_client_and_scope_set_unless_the_client_skips_it() {
    let (c, r) = (client(), request(params()));
    let s = Some(session(now(), false, false));
    assert_eq!(next_step(&r, &c, s, None, now()), Step::Consent);
    let given = consent(&[Scope::Openid, Scope::Email, Scope::Profile], now() - Duration::days(30));
    assert_eq!(next_step(&r, &c, s, Some(&given), now()), Step::Code);
    let narrower = consent(&[Scope::Openid], now());
    assert_eq!(next_step(&r, &c, s, Some(&narrower), now()), Step::Consent, "a new scope asks again");
    let silent = request(AuthorizeParams { prompt: Some("none".into()), ..params() });
    assert_eq!(refused(next_step(&silent, &c, s, None, now())), OAuthError::ConsentRequired);
    // prompt=consent asks again, until a consent from after the request.
    let again = request(AuthorizeParams { prompt: Some("consent".into()), ..params() });
    assert_eq!(next_step(&again, &c, s, Some(&given), now()), Step::Consent);
    assert_eq!(next_step(&again, &c, s, Some(&consent(&[Scope::Openid, Scope::Email], now())), now()), Step::Code);
    let skipping = Client { skip_consent: true, ..c };
    assert_eq!(next_step(&r, &skipping, s, None, now()), Step::Code);
}

#[test]
fn prompt_login_and_max_age_force_a_fresh_proof() {
    let c = Client { skip_consent: true, ..client() };
    let login = request(AuthorizeParams { prompt: Some("login".into()), ..params() });
    let before = Some(session(now() - Duration::seconds(1), false, false));
    assert_eq!(next_step(&login, &c, before, None, now()), Step::Reauthenticate);
    let same_second = Some(session(now(), false, false));
    assert_eq!(next_step(&login, &c, same_second, None, now()), Step::Code);
    let aged = request(AuthorizeParams { max_age: Some("60".into()), ..params() });
    let proved_at = |ago| Some(session(now() - Duration::seconds(ago), false, false));
    assert_eq!(next_step(&aged, &c, proved_at(60), None, now()), Step::Code);
    assert_eq!(next_step(&aged, &c, proved_at(61), None, now()), Step::Reauthenticate);
    let silent = request(AuthorizeParams { max_age: Some("60".into()), prompt: Some("none".into()), ..params() });
    assert_eq!(refused(next_step(&silent, &c, proved_at(61), None, now())), OAuthError::LoginRequired);
    assert_eq!(next_step(&silent, &c, proved_at(60), None, now()), Step::Code);
}

#[test]
fn acr_values_aal2_steps_a_one_factor_session_up_and_refuses_a_user_without_a_second_factor() {
    let c = Client { skip_consent: true, ..client() };
    let r = request(AuthorizeParams { acr_values: Some("aal2".into()), ..params() });
    assert_eq!(next_step(&r, &c, Some(session(now(), false, true)), None, now()), Step::Reauthenticate);
    assert_eq!(next_step(&r, &c, Some(session(now(), true, true)), None, now()), Step::Code);
    let none = next_step(&r, &c, Some(session(now(), false, false)), None, now());
    assert_eq!(refused(none), OAuthError::UnmetAuthenticationRequirements);
    let silent = request(AuthorizeParams { acr_values: Some("aal2".into()), prompt: Some("none".into()), ..params() });
    assert_eq!(
        refused(next_step(&silent, &c, Some(session(now(), false, true)), None, now())),
        OAuthError::InteractionRequired
    );
}

#[test]
fn a_session_that_must_enrol_a_second_factor_gets_no_code() {
    let c = Client { skip_consent: true, ..client() };
    let mut s = session(now(), false, false);
    s.assurance.second_factor_due = true;
    assert_eq!(next_step(&request(params()), &c, Some(s), None, now()), Step::Enrol);
    let silent = request(AuthorizeParams { prompt: Some("none".into()), ..params() });
    assert_eq!(refused(next_step(&silent, &c, Some(s), None, now())), OAuthError::InteractionRequired);
}

#[test]
fn a_posted_request_goes_on_as_a_query_with_every_parameter_it_carried() {
    let words = |i: usize| Some(format!("v{i} &=/?"));
    let p = AuthorizeParams {
        response_type: words(0),
        client_id: words(1),
        redirect_uri: words(2),
        scope: words(3),
        state: words(4),
        nonce: words(5),
        code_challenge: words(6),
        code_challenge_method: words(7),
        prompt: words(8),
        max_age: words(9),
        acr_values: words(10),
        login_hint: words(11),
        response_mode: words(12),
        request: words(13),
        request_uri: words(14),
    };
    let back: Vec<(String, String)> = url::form_urlencoded::parse(p.to_query().as_bytes()).into_owned().collect();
    let names = [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "max_age",
        "acr_values",
        "login_hint",
        "response_mode",
        "request",
        "request_uri",
    ];
    let expected: Vec<(String, String)> =
        names.iter().enumerate().map(|(i, n)| (n.to_string(), words(i).unwrap())).collect();
    assert_eq!(back, expected, "every parameter, each under its own name");
    assert_eq!(AuthorizeParams::default().to_query(), "");
}
