//! The token endpoint's use case on in-memory ports: a code for a session
//! of the client's own, its refusals, replay, and refresh.

use super::authorizations::Answer;
use super::id_token::at_hash;
use super::request::AuthorizeParams;
use super::token_grants::GrantRefusal;
use super::{Client, ClientForm, IdTokenAlg};
use crate::Error;
use crate::session::Caller;
use crate::testing::world::{World, tokens};

const REDIRECT: &str = "https://app.example.com/cb";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn setup(scopes: &[&str]) -> (World, Client, Caller) {
    let w = World::new();
    w.admin("root").await;
    let root = w.sessions.authenticate(&tokens(&w, "root").await.access_token).await.unwrap();
    let form = ClientForm {
        name: "App".into(),
        redirect_uris: vec![REDIRECT.into()],
        kind: "confidential".into(),
        skip_consent: true,
        scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
        ..ClientForm::default()
    };
    let (client, _) = w.clients.create(&root, form).await.unwrap();
    w.register("ada", false).await;
    let ada = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    (w, client, ada)
}

async fn code(w: &World, client: &Client, browser: &Caller, scope: &str) -> String {
    let params = AuthorizeParams {
        response_type: Some("code".into()),
        client_id: Some(client.id.to_string()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some(scope.into()),
        nonce: Some("n-1".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        ..AuthorizeParams::default()
    };
    let Answer::ToClient(url) = w.authorizations.authorize(&params, Some(browser)).await.unwrap() else {
        panic!("a code")
    };
    let (_, query) = url.split_once('?').unwrap();
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "code").unwrap().1.into_owned()
}

#[tokio::test]
async fn a_code_becomes_a_session_of_the_clients_own_with_the_browsers_proof_and_an_id_token_bound_to_it() {
    let (w, client, ada) = setup(&["openid", "email", "offline_access"]).await;
    let code = code(&w, &client, &ada, "openid email offline_access").await;
    let answer = w.token_grants.exchange_code(&client, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap().unwrap();
    assert_eq!(answer.scope, "openid email offline_access");
    assert!(answer.refresh_token.is_some(), "offline_access (skip_consent) brings a refresh token");
    // A new session of the client's, not the browser's, with the browser's proof.
    let (caller, grant) = w.sessions.authenticate_resource(&answer.access_token).await.unwrap();
    assert_ne!(caller.session_id, ada.session_id);
    assert_eq!((caller.user_id, caller.assurance), (ada.user_id, ada.assurance));
    assert_eq!(grant.unwrap().client_id, client.id);
    // authd's own API refuses a token issued to a client.
    assert!(matches!(w.sessions.authenticate(&answer.access_token).await, Err(Error::TokenInvalid)));
    // The ID token: for this client, this user and browser session, with the nonce and at_hash.
    let id = answer.id_token.unwrap();
    let hint = crate::ports::IdTokenSigner::read_hint(&crate::testing::doubles::TextIdTokens, &id).unwrap();
    assert_eq!((hint.sub, hint.client_id, hint.sid), (ada.user_id, client.id, Some(ada.session_id)));
    let expected = format!("|n-1|{}|", at_hash(IdTokenAlg::Rs256, &answer.access_token));
    assert!(id.starts_with("idt|RS256|") && id.contains(&expected), "{id}");
    assert!(w.events(ada.user_id).contains(&"oidc_tokens_issued"));
}

#[tokio::test]
async fn a_code_redeemed_twice_ends_the_session_its_first_redemption_opened_and_leaves_the_browsers() {
    let (w, client, ada) = setup(&["openid"]).await;
    let code = code(&w, &client, &ada, "openid").await;
    let first = w.token_grants.exchange_code(&client, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap().unwrap();
    assert!(w.sessions.authenticate_resource(&first.access_token).await.is_ok());
    assert!(first.refresh_token.is_none(), "no offline_access, no refresh token");
    let again = w.token_grants.exchange_code(&client, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap();
    assert!(matches!(again, Err(GrantRefusal::InvalidGrant(_))));
    assert!(matches!(w.sessions.authenticate_resource(&first.access_token).await, Err(Error::SessionRevoked)));
    assert!(w.sessions.is_live(ada.session_id, ada.user_id).await.unwrap(), "the browser's session stays");
    assert!(w.events(ada.user_id).contains(&"oidc_code_replayed"));
}

#[tokio::test]
async fn a_code_is_redeemed_only_by_its_client_with_its_redirect_uri_and_verifier_while_the_sign_in_lasts() {
    let (w, client, ada) = setup(&["openid"]).await;
    let other = Client { id: super::ClientId(uuid::Uuid::new_v4()), ..client.clone() };
    let bad_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX";
    for (who, redirect, verifier) in [
        (&other, Some(REDIRECT), Some(VERIFIER)),
        (&client, None, Some(VERIFIER)),
        (&client, Some("https://app.example.com/cb2"), Some(VERIFIER)),
        (&client, Some(REDIRECT), None),
        (&client, Some(REDIRECT), Some(bad_verifier)),
    ] {
        let code = code(&w, &client, &ada, "openid").await;
        let refused = w.token_grants.exchange_code(who, &code, redirect, verifier).await.unwrap();
        assert!(matches!(refused, Err(GrantRefusal::InvalidGrant(_))), "{redirect:?} {verifier:?}");
        // And the code is spent: the right exchange after it fails too.
        let after = w.token_grants.exchange_code(&client, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap();
        assert!(after.is_err());
    }
    for junk in ["", "authd_ac_nothex", "authd_cs_0000000000000000000000000000000000000000"] {
        let refused = w.token_grants.exchange_code(&client, junk, Some(REDIRECT), Some(VERIFIER)).await.unwrap();
        assert!(matches!(refused, Err(GrantRefusal::InvalidGrant(_))), "{junk}");
    }
    // The browser logged out before the exchange: the code is worth nothing.
    let code = code(&w, &client, &ada, "openid").await;
    w.sessions.logout(&ada, false).await.unwrap();
    let refused = w.token_grants.exchange_code(&client, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap();
    assert!(matches!(refused, Err(GrantRefusal::InvalidGrant(_))));
}

#[tokio::test]
async fn a_clients_refresh_token_is_exchanged_by_that_client_alone_and_never_at_authds_own_refresh() {
    let (w, client, ada) = setup(&["openid", "offline_access"]).await;
    let code = code(&w, &client, &ada, "openid offline_access").await;
    let answer = w.token_grants.exchange_code(&client, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap().unwrap();
    let refresh = answer.refresh_token.unwrap();
    assert!(matches!(w.sessions.refresh(&refresh).await, Err(Error::TokenInvalid)), "not at /auth/refresh");
    let other = Client { id: super::ClientId(uuid::Uuid::new_v4()), ..client.clone() };
    assert!(matches!(w.token_grants.refresh(&other, &refresh).await.unwrap(), Err(GrantRefusal::InvalidGrant(_))));
    let next = w.token_grants.refresh(&client, &refresh).await.unwrap().unwrap();
    assert_eq!(next.scope, "openid offline_access");
    let (_, grant) = w.sessions.authenticate_resource(&next.access_token).await.unwrap();
    assert_eq!(grant.unwrap().client_id, client.id, "the next pair is the client's too");
    // The old refresh token again: reuse, which ends the client's session.
    assert!(w.token_grants.refresh(&client, &refresh).await.unwrap().is_err());
    assert!(w.sessions.authenticate_resource(&next.access_token).await.is_err());
    // An authd refresh token is no client's.
    let own = tokens(&w, "ada").await.refresh_token;
    assert!(w.token_grants.refresh(&client, &own).await.unwrap().is_err());
}

#[test]
fn at_hash_is_the_left_half_of_the_algorithms_hash_base64url() {
    // OpenID Connect Core 1.0 Appendix A.4's access token and at_hash (RS256).
    assert_eq!(at_hash(IdTokenAlg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
    // EdDSA (Ed25519): SHA-512's left half, 32 bytes.
    use base64::Engine;
    use sha2::Digest;
    let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    let half = &sha2::Sha512::digest(token.as_bytes())[..32];
    assert_eq!(at_hash(IdTokenAlg::EdDsa, token), base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(half));
}

#[tokio::test]
async fn deleting_a_client_ends_the_sessions_opened_for_it() {
    let (w, client, ada) = setup(&["openid"]).await;
    let code = code(&w, &client, &ada, "openid").await;
    let answer = w.token_grants.exchange_code(&client, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap().unwrap();
    let root = w.sessions.authenticate(&tokens(&w, "root").await.access_token).await.unwrap();
    w.clients.delete(&root, client.id).await.unwrap();
    assert!(matches!(w.sessions.authenticate_resource(&answer.access_token).await, Err(Error::SessionRevoked)));
    assert!(w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.is_ok(), "ada's own logins stay");
}

#[test]
fn each_refusal_is_worded_as_rfc_6749_section_5_2_says() {
    assert_eq!(GrantRefusal::InvalidGrant("x").error(), "invalid_grant");
    assert_eq!(GrantRefusal::InvalidRequest("x").error(), "invalid_request");
    assert_eq!(GrantRefusal::UnsupportedGrantType.error(), "unsupported_grant_type");
    assert_eq!(GrantRefusal::UnauthorizedClient("x").error(), "unauthorized_client");
    assert_eq!(GrantRefusal::InvalidScope("x").error(), "invalid_scope");
    assert_eq!(GrantRefusal::InvalidScope("no such scope").description(), "no such scope");
    assert_eq!(GrantRefusal::UnauthorizedClient("public").description(), "public");
    assert_eq!(GrantRefusal::InvalidGrant("the code is spent").description(), "the code is spent");
    assert_eq!(GrantRefusal::InvalidRequest("code is required").description(), "code is required");
    assert!(GrantRefusal::UnsupportedGrantType.description().contains("client_credentials"));
}

#[test]
fn a_scope_gives_its_claims_and_no_others() {
    use super::Scope;
    use super::id_token::UserClaims;
    use chrono::TimeZone;
    let at = chrono::Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    let user = crate::user::User {
        id: crate::user::UserId(uuid::Uuid::nil()),
        email: "ada@example.com".into(),
        verified_email: Some("ada@example.com".into()),
        username: "ada".into(),
        name: "Ada".into(),
        lastname: "Lovelace".into(),
        is_admin: false,
        is_2fa: false,
        is_active: true,
        phone: Some("+14155550100".into()),
        phone_verified_at: None,
        created_at: at,
        modified_at: at,
    };
    assert_eq!(UserClaims::of(&user, &[Scope::Openid]), UserClaims::default(), "openid alone: sub only");
    let profile = UserClaims::of(&user, &[Scope::Openid, Scope::Profile]);
    assert_eq!(
        (profile.name.as_deref(), profile.given_name.as_deref(), profile.family_name.as_deref()),
        (Some("Ada Lovelace"), Some("Ada"), Some("Lovelace"))
    );
    assert_eq!((profile.preferred_username.as_deref(), profile.updated_at), (Some("ada"), Some(at.timestamp())));
    assert_eq!((profile.email, profile.phone_number), (None, None));
    let email = UserClaims::of(&user, &[Scope::Email]);
    assert_eq!((email.email.as_deref(), email.email_verified, email.name), (Some("ada@example.com"), Some(true), None));
    let phone = UserClaims::of(&user, &[Scope::Phone]);
    assert_eq!((phone.phone_number.as_deref(), phone.phone_number_verified), (Some("+14155550100"), Some(false)));
    let unproved = crate::user::User { verified_email: None, phone: None, ..user };
    let both = UserClaims::of(&unproved, &[Scope::Email, Scope::Phone]);
    assert_eq!((both.email_verified, both.phone_number), (Some(false), None), "no number, no phone claims");
}

#[tokio::test]
async fn a_client_revokes_its_own_tokens_only_and_introspection_says_what_is_live() {
    use super::token_grants::Introspection;
    let (w, client, ada) = setup(&["openid", "offline_access"]).await;
    let code = code(&w, &client, &ada, "openid offline_access").await;
    let answer = w.token_grants.exchange_code(&client, &code, Some(REDIRECT), Some(VERIFIER)).await.unwrap().unwrap();
    let refresh = answer.refresh_token.clone().unwrap();
    let other = Client { id: super::ClientId(uuid::Uuid::new_v4()), ..client.clone() };
    // Introspection: the client's access and refresh tokens, authd's own access token; not another client's refresh token.
    let own = tokens(&w, "ada").await;
    for (token, kind) in
        [(&answer.access_token, "access_token"), (&refresh, "refresh_token"), (&own.access_token, "access_token")]
    {
        let Introspection::Active { token_type, .. } = w.token_grants.introspect(&client, token).await.unwrap() else {
            panic!("{kind} is live")
        };
        assert_eq!(token_type, kind);
    }
    assert_eq!(w.token_grants.introspect(&other, &refresh).await.unwrap(), Introspection::Inactive);
    assert_eq!(w.token_grants.introspect(&client, &own.refresh_token).await.unwrap(), Introspection::Inactive);
    assert_eq!(w.token_grants.introspect(&client, "junk").await.unwrap(), Introspection::Inactive);
    // Another client's revocation, and a revocation of authd's own token, change nothing.
    w.token_grants.revoke(&other, &refresh).await.unwrap();
    w.token_grants.revoke(&client, &own.access_token).await.unwrap();
    w.token_grants.revoke(&client, "junk").await.unwrap();
    assert!(w.sessions.authenticate_resource(&answer.access_token).await.is_ok());
    assert!(w.sessions.authenticate(&own.access_token).await.is_ok());
    // The client's own revocation ends the session: both its tokens.
    w.token_grants.revoke(&client, &refresh).await.unwrap();
    assert_eq!(w.token_grants.introspect(&client, &answer.access_token).await.unwrap(), Introspection::Inactive);
    assert!(w.token_grants.refresh(&client, &refresh).await.unwrap().is_err());
    assert!(w.events(ada.user_id).contains(&"oidc_token_revoked"));
}
