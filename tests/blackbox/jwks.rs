//! EdDSA tokens and the JWKS (`AUTHD_JWT_ALG=EdDSA`): a relying party that
//! has only `/.well-known/jwks.json` verifies authd's tokens with a JOSE
//! implementation of its own (jwt-compact on ed25519-compact here, sharing
//! no code with authd's jsonwebtoken and ed25519-dalek); `authd keys rotate`
//! publishes a new key before it signs and keeps the old one verifying.

use std::time::{Duration, Instant};

use jwt_compact::alg::Ed25519;
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde_json::Value;

use crate::harness::{Server, local_only, token};

const EDDSA: (&str, &str) = ("AUTHD_JWT_ALG", "EdDSA");

/// RFC 8410 §10.3's example Ed25519 private key.
const KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";

async fn jwks(server: &Server) -> Value {
    let resp = reqwest::get(server.url("/.well-known/jwks.json")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let cache = resp.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.starts_with("public, max-age="), "a JWKS may be cached: {cache}");
    resp.json().await.unwrap()
}

fn kids(set: &Value) -> Vec<String> {
    set["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

fn kid_of(token: &str) -> String {
    UntrustedToken::new(token).unwrap().header().key_id.clone().expect("an EdDSA token names its key")
}

/// What a relying party does with nothing but the JWKS: find the token's
/// `kid`, take that key's `x`, check the signature and the lifetime.
fn verify_with_jwks(set: &Value, token: &str) -> Result<Value, String> {
    let untrusted = UntrustedToken::new(token).map_err(|e| e.to_string())?;
    let kid = untrusted.header().key_id.clone().ok_or("no kid")?;
    let jwk = set["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).ok_or("kid not published")?;
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str(), jwk["alg"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    let parsed: JsonWebKey<'_> = serde_json::from_value(jwk.clone()).map_err(|e| e.to_string())?;
    let public = ed25519_compact::PublicKey::try_from(&parsed).map_err(|e| e.to_string())?;
    let verified = Ed25519.validator::<Value>(&public).validate(&untrusted).map_err(|e| format!("signature: {e}"))?;
    verified
        .claims()
        .validate_expiration(&TimeOptions::new(chrono::Duration::seconds(5), chrono::Utc::now))
        .map_err(|e| e.to_string())?;
    Ok(verified.claims().custom.clone())
}

#[tokio::test]
async fn a_token_is_verified_by_an_independent_jose_library_with_only_the_published_jwks() {
    local_only!("needs AUTHD_JWT_ALG=EdDSA");
    let server = Server::start_with(&[EDDSA]).await;
    let set = jwks(&server).await;
    assert_eq!(kids(&set).len(), 1, "dev generates the first key: {set}");
    let user = server.register("ada", false).await;
    let pair = server.tokens(&user).await;
    let access = token(&pair, "access_token");
    let claims = verify_with_jwks(&set, &access).expect("verifies with the JWKS alone");
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!((claims["iss"].as_str(), claims["aud"].as_str()), (Some("authd"), Some("authd")));
    assert_eq!(type_of(&access), "at+jwt");
    assert_eq!(kid_of(&access), kids(&set)[0]);
    server.me(&access).await.ok(200);

    // The kid is the key's RFC 7638 thumbprint, as the relying party computes it.
    let jwk: JsonWebKey<'_> = serde_json::from_value(set["keys"][0].clone()).unwrap();
    use base64::Engine;
    let thumbprint = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jwk.thumbprint::<sha2::Sha256>());
    assert_eq!(kids(&set)[0], thumbprint);
}

fn type_of(token: &str) -> String {
    UntrustedToken::new(token).unwrap().header().token_type.clone().unwrap_or_default()
}

/// What a resource server does with an authd token, as RFC 9068 §4 and
/// every standard library's defaults have it: the signature with the JWKS,
/// the lifetime, the issuer and the audience it is configured with, and
/// (RFC 9068 §4 step 1, which fewer libraries do) the header type `at+jwt`.
/// The first failing check, or the claims.
fn resource_server_accepts(set: &Value, token: &str, check_type: bool) -> Result<Value, String> {
    let claims = verify_with_jwks(set, token)?;
    if claims["iss"] != "authd" {
        return Err(format!("issuer {}", claims["iss"]));
    }
    if claims["aud"] != "authd" {
        return Err(format!("audience {}", claims["aud"]));
    }
    if check_type && type_of(token) != "at+jwt" {
        return Err(format!("type {}", type_of(token)));
    }
    Ok(claims)
}

/// The session cookie a browser gets after logging in at the pages.
async fn browser_token(server: &Server, user: &crate::harness::TestUser) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = http.get(server.url("/ui/login")).send().await.unwrap();
    let csrf_cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("a form token");
    let form = [("csrf", csrf), ("username", user.username.as_str()), ("password", user.password.as_str())];
    let login = http.post(server.url("/ui/login")).header("cookie", csrf_cookie).form(&form).send().await.unwrap();
    assert_eq!(login.status(), 303, "the page login succeeds");
    login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix("authd_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .next()
        .expect("a session cookie")
}

#[tokio::test]
async fn a_resource_server_validating_offline_with_the_jwks_accepts_access_tokens_only() {
    local_only!("needs AUTHD_JWT_ALG=EdDSA");
    let server = Server::start_with(&[EDDSA]).await;
    let set = jwks(&server).await;
    let plain = server.register("ada", false).await;
    let pair = server.tokens(&plain).await;
    let with_code = server.register("bob", true).await;
    let kinds = [
        ("access", token(&pair, "access_token")),
        ("refresh", token(&pair, "refresh_token")),
        // Handed out after the password alone, before the second factor.
        ("temporary", server.temporary(&with_code).await),
        ("browser", browser_token(&server, &plain).await),
    ];
    for (kind, jwt) in &kinds {
        // Every kind is signed by the published key: only what it claims tells them apart.
        verify_with_jwks(&set, jwt).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let by_audience = resource_server_accepts(&set, jwt, false);
        let by_audience_and_type = resource_server_accepts(&set, jwt, true);
        if *kind == "access" {
            assert_eq!(by_audience.unwrap()["sub"], plain.id.as_str());
            assert!(by_audience_and_type.is_ok());
        } else {
            let refused = by_audience.expect_err(kind);
            assert!(refused.starts_with("audience \"urn:authd:"), "{kind}: {refused}");
            assert!(by_audience_and_type.is_err(), "{kind}");
            assert_ne!(type_of(jwt), "at+jwt", "{kind}");
        }
    }
    server.me(&kinds[0].1).await.ok(200);
    for (_, jwt) in &kinds[1..] {
        server.me(jwt).await.problem(401, "token_invalid");
    }
}

#[tokio::test]
async fn a_token_naming_an_unknown_kid_or_signed_by_another_key_is_refused() {
    local_only!("needs AUTHD_JWT_ALG=EdDSA");
    let server = Server::start_with(&[EDDSA]).await;
    let user = server.register("ada", false).await;
    let access = token(&server.tokens(&user).await, "access_token");
    let real_kid = kid_of(&access);
    let claims: Value = UntrustedToken::new(&access).unwrap().deserialize_claims_unchecked::<Value>().unwrap().custom;
    let forger = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([3; 32]));
    for kid in ["no-such-key", real_kid.as_str()] {
        let forged = Ed25519
            .token(
                &Header::empty().with_key_id(kid).with_token_type("at+jwt"),
                &Claims::new(claims.clone()),
                &forger.sk,
            )
            .unwrap();
        server.me(&forged).await.problem(401, "token_invalid");
    }
    server.me(&access).await.ok(200);
}

#[tokio::test]
async fn a_rotation_publishes_the_new_key_first_then_signs_with_it_and_old_tokens_stay_valid_on_every_node() {
    local_only!("needs AUTHD_JWT_ALG=EdDSA, the CLI and a second node");
    let fast = [EDDSA, ("AUTHD_JWT_KEY_PUBLISH_SECONDS", "1"), ("AUTHD_JWT_KEYS_RELOAD_MS", "200")];
    let a = Server::start_with(&fast).await;
    let b = a.second_node();
    let user = a.register("ada", false).await;
    let old = a.tokens(&user).await;
    let old_kid = kid_of(&token(&old, "access_token"));

    let out = a.cli(&["keys", "rotate"], "");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    let line = said.lines().find(|l| l.starts_with("added signing key ")).unwrap_or_else(|| panic!("{said}"));
    let new_kid = line.split_whitespace().nth(3).expect("the new key's kid").trim_end_matches(':').to_owned();
    assert_ne!(new_kid, old_kid);
    let listed = String::from_utf8_lossy(&a.cli(&["keys", "list"], "").stdout).into_owned();
    assert!(listed.contains(&new_kid) && listed.contains(&old_kid), "{listed}");

    // Every node publishes it, and then signs with it, within a few reloads.
    let until = Instant::now() + Duration::from_secs(10);
    let (on_a, on_b) = loop {
        let (on_a, on_b) = (a.tokens(&user).await, b.tokens(&user).await);
        if kid_of(&token(&on_a, "access_token")) == new_kid && kid_of(&token(&on_b, "access_token")) == new_kid {
            break (on_a, on_b);
        }
        assert!(Instant::now() < until, "the new key {new_kid} never signed: {listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // `keys list` calls the key that signs now "signing", and the one it replaced "verifying".
    let listed = String::from_utf8_lossy(&a.cli(&["keys", "list"], "").stdout).into_owned();
    let state =
        |kid: &str| listed.lines().find(|l| l.starts_with(kid)).map(|l| l.rsplit("  ").next().unwrap().to_owned());
    assert_eq!(state(&new_kid).as_deref(), Some("signing"), "{listed}");
    assert!(state(&old_kid).is_some_and(|s| s.starts_with("verifying")), "{listed}");
    for node in [&a, &b] {
        let set = jwks(node).await;
        assert_eq!(kids(&set).len(), 2, "both keys published: {set}");
        for pair in [&old, &on_a, &on_b] {
            verify_with_jwks(&set, &token(pair, "access_token")).unwrap();
            node.me(&token(pair, "access_token")).await.ok(200);
        }
    }
    // A refresh token signed by the old key still refreshes, and gets new-key tokens.
    let refreshed = b.refresh(&token(&old, "refresh_token")).await.ok(200).clone();
    assert_eq!(kid_of(&token(&refreshed, "access_token")), new_kid);
}

#[tokio::test]
async fn a_configured_key_file_signs_and_is_published_under_its_thumbprint() {
    local_only!("needs AUTHD_JWT_KEY_FILE");
    let dir = std::env::temp_dir().join(format!("authd-key-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("signing.pem");
    std::fs::write(&path, KEY_PEM).unwrap();
    let server = Server::start_with(&[EDDSA, ("AUTHD_JWT_KEY_FILE", path.to_str().unwrap())]).await;
    let set = jwks(&server).await;
    let public = ed25519_compact::SecretKey::from_pem(KEY_PEM).unwrap().public_key();
    assert_eq!(set["keys"][0]["x"].as_str().unwrap(), {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(*public)
    });
    let user = server.register("ada", false).await;
    verify_with_jwks(&set, &token(&server.tokens(&user).await, "access_token")).unwrap();
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn an_hs256_server_publishes_an_empty_jwks() {
    // HS256 is the default, the container image's too: its secret is no public key.
    let server = Server::start().await;
    assert_eq!(jwks(&server).await, serde_json::json!({ "keys": [] }));
}
