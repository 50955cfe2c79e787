//! Token signing and verification rates of authd's codec in process, on one
//! thread: HS256 (the configured secret) against EdDSA (an Ed25519 key from
//! the `signing_keys` table), the same claims, the same validation. A first
//! check of each token pays the signature; a token checked before is
//! answered from the codec's memory of verified tokens, measured apart.
//! Ed25519 by itself (ed25519-dalek) is measured beside them: the EdDSA
//! codec's ceiling.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::assurance::{Amr, Assurance};
use domain::otp::Method;
use domain::ports::TokenCodec;
use domain::token::{Claims, TokenKind};
use domain::user::UserId;
use infra::jwt::JwtCodec;
use infra::signing_keys::{KeyPair, SigningAlg, SigningKeys};

use crate::Row;

/// An access token's claims, as a two-factor login signs them.
fn claims() -> Claims {
    let now = chrono::Utc::now();
    let (sub, sid, jti) = (UserId(uuid::Uuid::new_v4()), uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let assurance = Assurance::proved(Amr::two_factors(Method::Totp), now);
    Claims::new(TokenKind::Access, sub, sid, jti, now, now + chrono::Duration::seconds(900)).assured(assurance)
}

/// Operations per second of `op` on this thread for `time`.
fn rate(time: Duration, mut op: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < time {
        for _ in 0..64 {
            op();
        }
        n += 64;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Checks per second of `tokens`, each new to `codec` (a first check).
fn first_checks(codec: &dyn TokenCodec, tokens: &[String]) -> f64 {
    let started = Instant::now();
    for t in tokens {
        codec.decode(t).expect("verifies");
    }
    tokens.len() as f64 / started.elapsed().as_secs_f64()
}

/// Six rows: signing, a first check and a repeated check with each algorithm.
pub async fn rows(time: Duration) -> anyhow::Result<Vec<Row>> {
    let db = infra::db::connect("sqlite::memory:", 1).await?;
    infra::db::migrate(&db).await?;
    let secret = [7u8; 32];
    let keys = SigningKeys::new(
        db,
        Arc::new(infra::sealer::ChaChaSealer::derived_from(&secret)),
        Arc::new(infra::clock::SystemClock),
    );
    keys.rotate(KeyPair::generate(SigningAlg::EdDsa)?, Duration::from_secs(600), Duration::from_secs(3600)).await?;
    // Distinct tokens enough for about `time` of first checks each.
    let codecs: [(&str, Box<dyn TokenCodec>, usize); 2] = [
        ("HS256", Box::new(JwtCodec::hs256(&secret, "authd", "authd")?), 100_000),
        ("EdDSA (Ed25519)", Box::new(JwtCodec::eddsa(keys, "authd", "authd").unwrap()), 10_000),
    ];
    let mut rows = Vec::new();
    let mut signed_part = 0;
    for (alg, codec, n) in &codecs {
        let c = claims();
        let signs = rate(time, || {
            codec.encode(&c).expect("signs");
        });
        let tokens: Vec<String> = (0..*n).map(|_| codec.encode(&claims())).collect::<Result<_, _>>()?;
        signed_part = tokens[0].rfind('.').unwrap_or_default();
        let first = first_checks(codec.as_ref(), &tokens);
        let again = rate(time, || {
            codec.decode(&tokens[0]).expect("verifies");
        });
        for (what, per_second) in
            [("signing", signs), ("verification, first check", first), ("verification, checked before", again)]
        {
            rows.push(rate_row(format!("token {what}, {alg}, in process (codec alone)"), per_second, "tokens/s"));
        }
    }
    let (signs, verifies) = ed25519_alone(time, signed_part);
    for (what, per_second) in [("signing", signs), ("strict verification", verifies)] {
        let name = format!("Ed25519 {what} alone (ed25519-dalek, a {signed_part}-byte message: the codec's ceiling)");
        rows.push(rate_row(name, per_second, "/s"));
    }
    Ok(rows)
}

/// A row of one thread's rate, said on stderr as it is measured.
fn rate_row(name: String, per_second: f64, unit: &str) -> Row {
    eprintln!("bench: {name}: {per_second:.0} {unit}");
    Row { name, connections: 1, stats: None, note: format!("{per_second:.0} {unit}") }
}

/// Signatures and strict verifications per second of ed25519-dalek by
/// itself on this thread, over a message as long as a token's signed part:
/// what the EdDSA codec's rates are held against (its JSON, base64 and
/// claims are the difference).
fn ed25519_alone(time: Duration, len: usize) -> (f64, f64) {
    use ed25519_dalek::{Signer, SigningKey};
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let message = vec![b'e'; len];
    let signs = rate(time, || {
        std::hint::black_box(key.sign(std::hint::black_box(&message)));
    });
    let signature = key.sign(&message);
    let public = key.verifying_key();
    let verifies = rate(time, || {
        public.verify_strict(std::hint::black_box(&message), &signature).expect("verifies");
    });
    (signs, verifies)
}
