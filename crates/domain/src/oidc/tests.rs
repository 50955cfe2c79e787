//! The rules of a client's registration, its secret, and PKCE.

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::error::Error;
use crate::testing::doubles::SeqRng;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

fn form(redirect_uris: &[&str]) -> ClientForm {
    ClientForm {
        name: "  Grafana  ".into(),
        redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
        kind: "confidential".into(),
        ..ClientForm::default()
    }
}

fn refused_field(r: crate::error::Result<Client>) -> &'static str {
    match r {
        Err(Error::InvalidField { field, .. }) => field,
        other => panic!("expected a refused field, got {other:?}"),
    }
}

#[test]
fn a_client_is_registered_with_its_redirect_uris_as_typed_every_scope_and_rs256_by_default() {
    let uris = ["https://grafana.example.com/login/generic_oauth", "https://grafana.example.com/login/generic_oauth"];
    let c = Client::new(ClientId(Uuid::nil()), form(&uris), now()).unwrap();
    assert_eq!(c.name, "Grafana");
    assert_eq!(c.redirect_uris, ["https://grafana.example.com/login/generic_oauth"], "kept once, as typed");
    assert_eq!(c.scopes, Scope::ALL.to_vec());
    assert_eq!((c.kind, c.id_token_alg, c.skip_consent), (ClientKind::Confidential, IdTokenAlg::Rs256, false));
    assert!(c.post_logout_redirect_uris.is_empty());
    let public = ClientForm { kind: "public".into(), id_token_alg: Some("EdDSA".into()), ..form(&uris) };
    let c = Client::new(ClientId(Uuid::nil()), public, now()).unwrap();
    assert_eq!((c.kind, c.id_token_alg), (ClientKind::Public, IdTokenAlg::EdDsa));
}

#[test]
fn a_redirect_uri_must_be_https_loopback_http_or_a_native_apps_reversed_domain_scheme() {
    for good in [
        "https://app.example.com/callback",
        "https://app.example.com:8443/cb?tenant=1",
        "http://127.0.0.1:8080/callback",
        "http://[::1]/cb",
        "http://localhost:3000/cb",
        "com.example.app:/oauth2redirect",
    ] {
        assert!(Client::new(ClientId(Uuid::nil()), form(&[good]), now()).is_ok(), "{good} refused");
    }
    for bad in [
        "http://app.example.com/callback",
        "https://app.example.com/cb#fragment",
        "https://user:pw@app.example.com/cb",
        "https://user@app.example.com/cb",
        "https://:pw@app.example.com/cb",
        "/callback",
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "myapp:/cb",
        "http://127.0.0.2.example.com/cb",
    ] {
        assert_eq!(refused_field(Client::new(ClientId(Uuid::nil()), form(&[bad]), now())), "redirect_uris", "{bad}");
    }
    let longest = format!("https://app.example.com/{}", "a".repeat(client::MAX_URI_CHARS - 24));
    assert_eq!(longest.len(), client::MAX_URI_CHARS);
    assert!(Client::new(ClientId(Uuid::nil()), form(&[&longest]), now()).is_ok(), "the longest accepted");
    let long = format!("{longest}a");
    assert_eq!(refused_field(Client::new(ClientId(Uuid::nil()), form(&[&long]), now())), "redirect_uris");
    let why = |uri: &str| match Client::new(ClientId(Uuid::nil()), form(&[uri]), now()) {
        Err(Error::InvalidField { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    assert!(why("http://app.example.com/cb").contains("plain HTTP"), "the refusal says what to use");
    assert!(why("myapp:/cb").contains("reversed-domain"));
}

#[test]
fn a_client_needs_one_to_ten_redirect_uris_a_name_a_kind_and_openid_among_its_scopes() {
    let id = ClientId(Uuid::nil());
    assert_eq!(refused_field(Client::new(id, form(&[]), now())), "redirect_uris");
    let eleven: Vec<String> = (0..11).map(|i| format!("https://app.example.com/{i}")).collect();
    let many = ClientForm { redirect_uris: eleven.clone(), ..form(&[]) };
    assert_eq!(refused_field(Client::new(id, many, now())), "redirect_uris");
    let ten = ClientForm { redirect_uris: eleven[..10].to_vec(), ..form(&[]) };
    assert_eq!(Client::new(id, ten, now()).unwrap().redirect_uris.len(), 10);
    let ok = form(&["https://app.example.com/cb"]);
    let logout = ClientForm { post_logout_redirect_uris: vec!["http://evil.example/".into()], ..ok.clone() };
    assert_eq!(refused_field(Client::new(id, logout, now())), "post_logout_redirect_uris");
    for name in ["", "   ", &"x".repeat(101), "a\u{7}b"] {
        assert_eq!(refused_field(Client::new(id, ClientForm { name: name.into(), ..ok.clone() }, now())), "name");
    }
    assert_eq!(Client::new(id, ClientForm { name: "x".repeat(100), ..ok.clone() }, now()).unwrap().name.len(), 100);
    assert_eq!(refused_field(Client::new(id, ClientForm { kind: "secret".into(), ..ok.clone() }, now())), "type");
    let no_openid = ClientForm { scopes: Some(vec!["profile".into()]), ..ok.clone() };
    assert_eq!(refused_field(Client::new(id, no_openid, now())), "scopes");
    let unknown = ClientForm { scopes: Some(vec!["openid".into(), "admin".into()]), ..ok.clone() };
    assert_eq!(refused_field(Client::new(id, unknown, now())), "scopes");
    let some = ClientForm { scopes: Some(vec!["email".into(), "openid".into(), "email".into()]), ..ok.clone() };
    assert_eq!(Client::new(id, some, now()).unwrap().scopes, [Scope::Openid, Scope::Email]);
    let alg = ClientForm { id_token_alg: Some("HS256".into()), ..ok };
    assert_eq!(refused_field(Client::new(id, alg, now())), "id_token_signed_response_alg");
}

#[test]
fn a_redirect_uri_is_matched_as_the_exact_string_registered() {
    let mut f = form(&["https://app.example.com/cb"]);
    f.post_logout_redirect_uris = vec!["https://app.example.com/bye".into()];
    let c = Client::new(ClientId(Uuid::nil()), f, now()).unwrap();
    assert!(c.redirects_to("https://app.example.com/cb"));
    for other in [
        "https://app.example.com/cb/",
        "https://app.example.com/cb?x=1",
        "https://APP.example.com/cb",
        "https://app.example.com/c",
        "https://app.example.com:443/cb",
        "https://app.example.com/bye",
    ] {
        assert!(!c.redirects_to(other), "{other}");
    }
    assert!(c.returns_after_logout_to("https://app.example.com/bye"));
    assert!(!c.returns_after_logout_to("https://app.example.com/cb"));
}

#[test]
fn changes_are_checked_by_the_same_rules_and_leave_what_they_do_not_name() {
    assert_eq!(ClientChanges::default().checked().unwrap(), ClientPatch::default());
    let good = ClientChanges {
        name: Some(" New ".into()),
        scopes: Some(vec!["openid".into()]),
        id_token_alg: Some("EdDSA".into()),
        skip_consent: Some(true),
        ..ClientChanges::default()
    };
    let patch = good.checked().unwrap();
    assert_eq!(patch.name.as_deref(), Some("New"));
    assert_eq!(
        (patch.scopes, patch.id_token_alg, patch.skip_consent),
        (Some(vec![Scope::Openid]), Some(IdTokenAlg::EdDsa), Some(true))
    );
    let none = ClientChanges { redirect_uris: Some(vec![]), ..ClientChanges::default() };
    assert!(matches!(none.checked(), Err(Error::InvalidField { field: "redirect_uris", .. })));
    let bad = ClientChanges { post_logout_redirect_uris: Some(vec!["ftp://x".into()]), ..ClientChanges::default() };
    assert!(matches!(bad.checked(), Err(Error::InvalidField { field: "post_logout_redirect_uris", .. })));
    let cleared = ClientChanges { post_logout_redirect_uris: Some(vec![]), ..ClientChanges::default() };
    assert_eq!(cleared.checked().unwrap().post_logout_redirect_uris, Some(vec![]));
}

#[test]
fn a_client_secret_is_prefixed_carries_160_random_bits_and_is_never_printed_whole() {
    let secret = ClientSecret::generate(&SeqRng::new((0..20).collect()));
    assert_eq!(secret.expose(), "authd_cs_000102030405060708090a0b0c0d0e0f10111213");
    assert_eq!(format!("{secret:?}"), "ClientSecret(authd_cs_000102…)");
    assert!(ClientSecret::parse(secret.expose()).is_some());
    assert!(ClientSecret::parse("authd_app_000102030405060708090a0b0c0d0e0f10111213").is_none(), "an API key");
    assert!(crate::app::ApiKey::parse(secret.expose()).is_none(), "nor the other way round");
}

#[test]
fn a_presented_secret_matches_only_a_live_stored_hash_of_the_same_bytes() {
    let stored = |hash: &[u8], expires_at| StoredSecret {
        hash: hash.to_vec(),
        owner: ClientId(Uuid::nil()),
        hint: "authd_cs_000102".into(),
        created_at: now(),
        expires_at,
    };
    let current = stored(&[1, 2, 3, 4], None);
    let previous = stored(&[5, 6, 7, 8], Some(now() + Duration::hours(1)));
    let both = [current, previous];
    assert!(secret_matches(&[1, 2, 3, 4], &both, now()));
    assert!(secret_matches(&[5, 6, 7, 8], &both, now()), "the replaced one, within its grace");
    assert!(!secret_matches(&[5, 6, 7, 8], &both, now() + Duration::hours(1)), "not from its end on");
    assert!(secret_matches(&[1, 2, 3, 4], &both, now() + Duration::hours(1)));
    for wrong in [&[1, 2, 3, 5][..], &[1, 2, 3], &[1, 2, 3, 4, 0], &[]] {
        assert!(!secret_matches(wrong, &both, now()), "{wrong:?}");
    }
    assert!(!secret_matches(&[1, 2, 3, 4], &[], now()), "a client without secrets");
    assert!(!secret_matches(&[0, 3, 3, 4], &both, now()), "two wrong bytes whose differences cancel out");
    let twice = [both[0].clone(), both[0].clone()];
    assert!(secret_matches(&[1, 2, 3, 4], &twice, now()), "one of them, however many match");
}

/// RFC 7636 Appendix B's example.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn pkce_s256_accepts_rfc_7636_appendix_bs_verifier_and_nothing_else() {
    let c = CodeChallenge::parse(Some(CHALLENGE), Some("S256")).unwrap();
    assert_eq!(c.as_str(), CHALLENGE, "kept as sent, to be stored");
    assert!(c.verified_by(VERIFIER));
    assert!(!c.verified_by(&VERIFIER.replace('d', "e")));
    assert!(!c.verified_by(CHALLENGE), "the challenge itself is not the verifier");
    assert!(!c.verified_by(&VERIFIER[..42]), "shorter than 43");
    assert!(CodeChallenge::stored(CHALLENGE.into()).verified_by(VERIFIER));
    // A verifier whose digest is right but whose shape is not (too short,
    // too long, outside the unreserved characters) is refused all the same.
    let challenge_of = |v: &str| {
        use base64::Engine;
        use sha2::Digest;
        CodeChallenge::stored(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(v)))
    };
    for bad in ["short".to_owned(), "a".repeat(129), format!("{}+", "a".repeat(42))] {
        assert!(!challenge_of(&bad).verified_by(&bad), "{bad}");
    }
    for good in ["a".repeat(43), format!("{}-._~", "Z9".repeat(62))] {
        assert!(challenge_of(&good).verified_by(&good), "{good}");
    }
}

#[test]
fn pkce_is_required_and_plain_or_a_missing_method_is_refused() {
    let field = |r: crate::error::Result<CodeChallenge>| match r {
        Err(Error::InvalidField { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(CodeChallenge::parse(None, Some("S256"))), "code_challenge");
    assert_eq!(field(CodeChallenge::parse(Some(CHALLENGE), None)), "code_challenge_method");
    assert_eq!(field(CodeChallenge::parse(Some(CHALLENGE), Some("plain"))), "code_challenge_method");
    assert_eq!(field(CodeChallenge::parse(Some(CHALLENGE), Some("s256"))), "code_challenge_method");
    assert_eq!(field(CodeChallenge::parse(Some(&CHALLENGE[1..]), Some("S256"))), "code_challenge");
    assert_eq!(field(CodeChallenge::parse(Some(&format!("{}=", &CHALLENGE[1..])), Some("S256"))), "code_challenge");
}
