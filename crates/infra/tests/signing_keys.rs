//! EdDSA signing keys on a real database (SQLite always, PostgreSQL when
//! AUTHD_TEST_DATABASE_URL names a server): rotation, retirement, `kid`s,
//! and two nodes sharing one table.

use test_support::testdb;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::Error;
use domain::ports::TokenCodec;
use domain::testing::doubles::FakeClock;
use domain::token::{Claims, TokenKind};
use domain::user::UserId;
use infra::db::{Database, connect, migrate};
use infra::jwt::JwtCodec;
use infra::sealer::ChaChaSealer;
use infra::signing_keys::{KeyPair, Rotated, SigningAlg, SigningKeys};
use uuid::Uuid;

const PUBLISH: Duration = Duration::from_secs(600);
const LONGEST: Duration = Duration::from_secs(3600);

async fn databases() -> Vec<(&'static str, Database)> {
    let sqlite = connect("sqlite::memory:", 1).await.unwrap();
    migrate(&sqlite).await.unwrap();
    let mut all = vec![("sqlite", sqlite)];
    if let Ok(admin) = std::env::var(testdb::POSTGRES_ENV) {
        let url = testdb::create_postgres_database(&admin).await.unwrap();
        let pg = connect(&url, 4).await.unwrap();
        migrate(&pg).await.unwrap();
        all.push(("postgres", pg));
    }
    all
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

/// Rotates in a new key, which must be added.
async fn rotate(keys: &SigningKeys) -> domain::signing_key::KeyTimes {
    match keys.rotate(KeyPair::generate(SigningAlg::EdDsa).unwrap(), PUBLISH, LONGEST).await.unwrap() {
        Rotated::Added(times) => times,
        other => panic!("a new key is added: {other:?}"),
    }
}

/// A node: its own view of the keys, on the shared table and clock.
fn node(db: &Database, clock: &Arc<FakeClock>, secret: &[u8]) -> (Arc<SigningKeys>, JwtCodec) {
    let keys = SigningKeys::new(db.clone(), Arc::new(ChaChaSealer::derived_from(secret)), clock.clone());
    let codec = JwtCodec::eddsa(keys.clone(), "authd", "authd").unwrap();
    (keys, codec)
}

fn claims(clock: &FakeClock) -> Claims {
    use domain::clock::Clock;
    let iat = clock.now().timestamp();
    Claims {
        kind: TokenKind::Access,
        sub: UserId(Uuid::new_v4()),
        sid: Uuid::new_v4(),
        jti: Uuid::new_v4(),
        iat,
        exp: iat + 900,
        assurance: None,
        client: None,
    }
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.expect("an EdDSA token carries its kid")
}

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn a_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key_once_published() {
    for (backend, db) in databases().await {
        let clock = Arc::new(FakeClock::at(start()));
        let (keys, codec) = node(&db, &clock, SECRET);
        let first = rotate(&keys).await;
        assert_eq!(first.signs_from.timestamp(), start().timestamp(), "{backend}: the first key signs at once");
        let old = codec.encode(&claims(&clock)).unwrap();
        assert_eq!(kid(&old), first.kid);

        let second = rotate(&keys).await;
        assert_eq!(keys.jwks().keys.len(), 2, "{backend}: the next key is published before it signs");
        let before = codec.encode(&claims(&clock)).unwrap();
        assert_eq!(kid(&before), first.kid, "{backend}: nothing is signed with a key not yet published long enough");

        clock.advance(PUBLISH);
        let new = codec.encode(&claims(&clock)).unwrap();
        assert_eq!(kid(&new), second.kid, "{backend}: new tokens carry the new key");
        assert!(codec.decode(&old).is_ok() && codec.decode(&new).is_ok(), "{backend}: old and new verify");

        clock.advance(LONGEST);
        assert!(matches!(codec.decode(&old), Err(Error::TokenInvalid)), "{backend}: the old key retired");
        assert!(codec.decode(&new).is_ok());
        keys.reload().await.unwrap();
        assert_eq!(keys.jwks().keys.iter().map(|k| k.kid.clone()).collect::<Vec<_>>(), vec![second.kid.clone()]);
        assert_eq!(keys.list().await.unwrap().len(), 2, "{backend}: a retired key's row is kept");
    }
}

#[tokio::test]
async fn another_node_learns_a_rotation_at_its_reload_and_refuses_an_unknown_kid_until_then() {
    for (backend, db) in databases().await {
        let clock = Arc::new(FakeClock::at(start()));
        let (a_keys, a) = node(&db, &clock, SECRET);
        let (b_keys, b) = node(&db, &clock, SECRET);
        rotate(&a_keys).await;
        let token = a.encode(&claims(&clock)).unwrap();
        assert!(matches!(b.decode(&token), Err(Error::TokenInvalid)), "{backend}: B has not loaded the key");
        assert!(!b_keys.has_signer(SigningAlg::EdDsa));
        b_keys.reload().await.unwrap();
        assert!(b.decode(&token).is_ok(), "{backend}: B verifies A's token after its reload");
        assert_eq!(kid(&b.encode(&claims(&clock)).unwrap()), kid(&token), "{backend}: and signs with the same key");
    }
}

#[tokio::test]
async fn a_signing_key_sealed_under_another_secret_does_not_load() {
    for (backend, db) in databases().await {
        let clock = Arc::new(FakeClock::at(start()));
        let (keys, _) = node(&db, &clock, SECRET);
        rotate(&keys).await;
        let (other, _) = node(&db, &clock, b"another-secret-another-secret-xx");
        assert!(other.reload().await.is_err(), "{backend}: the private key opens only with its own secret");
    }
}

#[tokio::test]
async fn importing_a_key_twice_stores_it_once() {
    for (backend, db) in databases().await {
        let clock = Arc::new(FakeClock::at(start()));
        let (keys, _) = node(&db, &clock, SECRET);
        let seed = [9u8; 32];
        let Rotated::Added(first) = keys.rotate(KeyPair::ed25519_from_seed(seed), PUBLISH, LONGEST).await.unwrap()
        else {
            panic!("{backend}: the first import adds the key")
        };
        clock.advance(Duration::from_secs(5));
        let again = keys.rotate(KeyPair::ed25519_from_seed(seed), PUBLISH, LONGEST).await.unwrap();
        assert_eq!(again, Rotated::AlreadyStored(first), "{backend}");
        assert_eq!(keys.list().await.unwrap().len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn an_eddsa_codec_refuses_hs256_tokens_and_tokens_without_a_kid() {
    let db = connect("sqlite::memory:", 1).await.unwrap();
    migrate(&db).await.unwrap();
    let clock = Arc::new(FakeClock::at(start()));
    let (keys, codec) = node(&db, &clock, SECRET);
    rotate(&keys).await;
    let hs = JwtCodec::hs256(SECRET, "authd", "authd").unwrap().encode(&claims(&clock)).unwrap();
    assert!(matches!(codec.decode(&hs), Err(Error::TokenInvalid)), "no algorithm taken from the token");
    // A valid EdDSA token with its kid removed from the header.
    let token = codec.encode(&claims(&clock)).unwrap();
    let mut parts = token.split('.');
    let (_, payload, sig) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
    use base64::Engine;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"at+jwt"}"#);
    assert!(matches!(codec.decode(&format!("{header}.{payload}.{sig}")), Err(Error::TokenInvalid)));
    // And an unknown kid.
    let unknown =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"at+jwt","kid":"nobody"}"#);
    assert!(matches!(codec.decode(&format!("{unknown}.{payload}.{sig}")), Err(Error::TokenInvalid)));
}

#[tokio::test]
async fn rotations_at_once_on_two_nodes_leave_exactly_one_key_without_a_retirement() {
    for (backend, db) in databases().await {
        let clock = Arc::new(FakeClock::at(start()));
        let (a, _) = node(&db, &clock, SECRET);
        let (b, _) = node(&db, &clock, SECRET);
        rotate(&a).await;
        for round in 0..5 {
            let (x, y) = tokio::join!(rotate(&a), rotate(&b));
            let keys = a.list().await.unwrap();
            let open: Vec<_> =
                keys.iter().filter(|k| k.times.retires_at.is_none()).map(|k| k.times.kid.clone()).collect();
            assert_eq!(open.len(), 1, "{backend}, round {round}: {keys:?}");
            assert!(open[0] == x.kid || open[0] == y.kid, "{backend}: the later of the two signs next");
        }
    }
}

#[tokio::test]
async fn each_algorithm_has_its_own_schedule_and_a_first_key_is_generated_once_among_nodes() {
    for (backend, db) in databases().await {
        let clock = Arc::new(FakeClock::at(start()));
        let (a, codec) = node(&db, &clock, SECRET);
        let (b, _) = node(&db, &clock, SECRET);
        let eddsa = rotate(&a).await;
        // Two nodes need their first RS256 key at once: one is made.
        let iat = start().timestamp();
        let (x, y) = tokio::join!(
            a.signer_or_generate(SigningAlg::Rs256, iat, PUBLISH, LONGEST),
            b.signer_or_generate(SigningAlg::Rs256, iat, PUBLISH, LONGEST)
        );
        let (x, y) = (x.unwrap().0, y.unwrap().0);
        assert_eq!(x, y, "{backend}: both nodes sign with the one key made");
        let listed = a.list().await.unwrap();
        assert_eq!(listed.iter().filter(|k| k.alg == SigningAlg::Rs256).count(), 1, "{backend}: {listed:?}");
        // The RSA key did not retire the EdDSA one, nor the other way round.
        assert!(listed.iter().all(|k| k.times.retires_at.is_none()), "{backend}: {listed:?}");
        let published = a.jwks();
        let kinds: Vec<_> = published.keys.iter().map(|k| (k.kty, k.alg, k.kid.clone())).collect();
        assert!(kinds.contains(&("OKP", "EdDSA", eddsa.kid.clone())), "{backend}: {kinds:?}");
        assert!(kinds.contains(&("RSA", "RS256", x.clone())), "{backend}: {kinds:?}");
        // An EdDSA rotation retires the EdDSA key only.
        clock.advance(Duration::from_secs(1));
        rotate(&a).await;
        let listed = a.list().await.unwrap();
        let rsa = listed.iter().find(|k| k.alg == SigningAlg::Rs256).unwrap();
        assert_eq!(rsa.times.retires_at, None, "{backend}");
        assert!(listed.iter().any(|k| k.times.kid == eddsa.kid && k.times.retires_at.is_some()), "{backend}");
        // A token claiming the RS256 key's kid is no EdDSA token.
        let token = codec.encode(&claims(&clock)).unwrap();
        let (_, rest) = token.split_once('.').unwrap();
        use base64::Engine;
        let header = format!(r#"{{"alg":"EdDSA","typ":"at+jwt","kid":"{x}"}}"#);
        let forged = format!("{}.{rest}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header));
        assert!(matches!(codec.decode(&forged), Err(Error::TokenInvalid)), "{backend}");
    }
}

#[tokio::test]
async fn an_id_token_is_signed_with_the_clients_algorithm_and_read_back_as_a_hint_only_from_this_issuer() {
    use domain::assurance::{Amr, Assurance};
    use domain::oidc::id_token::{IdTokenClaims, UserClaims};
    use domain::oidc::{ClientId, IdTokenAlg};
    use domain::ports::IdTokenSigner;
    use infra::id_tokens::JwtIdTokens;
    for (backend, db) in databases().await {
        let clock = Arc::new(FakeClock::at(start()));
        let (keys, _) = node(&db, &clock, SECRET);
        let signer = JwtIdTokens::new(keys.clone(), "https://id.example.com/", PUBLISH, LONGEST);
        let claims = IdTokenClaims {
            sub: UserId(Uuid::new_v4()),
            client_id: ClientId(Uuid::new_v4()),
            iat: start().timestamp(),
            exp: start().timestamp() + 900,
            nonce: Some("n".into()),
            assurance: Assurance::proved(Amr::proved(true, None).unwrap(), start()),
            sid: Uuid::new_v4(),
            at_hash: None,
            user: UserClaims::default(),
        };
        for (alg, jose) in [(IdTokenAlg::Rs256, "RS256"), (IdTokenAlg::EdDsa, "EdDSA")] {
            let token = signer.sign(alg, &claims).await.unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(format!("{:?}", header.alg), jose, "{backend}");
            assert!(keys.jwks().keys.iter().any(|k| Some(&k.kid) == header.kid.as_ref()), "{backend}: published");
            let hint = signer.read_hint(&token).unwrap();
            assert_eq!(
                (hint.sub, hint.client_id, hint.sid),
                (claims.sub, claims.client_id, Some(claims.sid)),
                "{backend}"
            );
            // Another issuer's token, signed with the same keys, is no hint of ours.
            let other = JwtIdTokens::new(keys.clone(), "https://elsewhere.example.com", PUBLISH, LONGEST);
            assert!(matches!(other.read_hint(&token), Err(Error::TokenInvalid)), "{backend}");
        }
        assert!(matches!(signer.read_hint("not.a.token"), Err(Error::TokenInvalid)));
        // An expired ID token is still a good hint (RP-initiated logout).
        clock.advance(Duration::from_secs(3600));
        let token = signer.sign(IdTokenAlg::Rs256, &claims).await.unwrap();
        assert!(signer.read_hint(&token).is_ok(), "{backend}");
    }
}
