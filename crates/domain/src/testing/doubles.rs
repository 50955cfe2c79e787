//! Stand-ins for the ports that are not storage: scripted randomness, a
//! clock that moves only when told, readable hashes, tokens and seals, and a
//! notifier that keeps what it was asked to send (and can be told to fail).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::assurance::{Amr, Assurance};
use crate::clock::{Clock, span};
use crate::error::{Error, Result};
use crate::notify::{Channel, Message, Receipt, SendFailure};
use crate::otp::OtpCode;
use crate::password::Password;
use crate::ports::{KeyedHasher, Notifier, PasswordHasher, SecretSealer, TokenCodec};
use crate::recovery_code::RecoveryCode;
use crate::rng::Rng;
use crate::token::{Claims, TokenKind};
use crate::user::UserId;

/// Bytes from a script first, then a counter, so ids never collide.
pub struct SeqRng {
    script: Mutex<Vec<u8>>,
    counter: AtomicU64,
}

impl SeqRng {
    pub fn new(script: Vec<u8>) -> Self {
        Self { script: Mutex::new(script), counter: AtomicU64::new(1) }
    }
}

impl Rng for SeqRng {
    fn fill(&self, buf: &mut [u8]) {
        let mut script = self.script.lock().unwrap();
        for b in buf.iter_mut() {
            *b = if script.is_empty() {
                (self.counter.fetch_add(1, Ordering::Relaxed) % 251) as u8
            } else {
                script.remove(0)
            };
        }
    }
}

pub struct FakeClock(Mutex<DateTime<Utc>>);

impl FakeClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(t))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += span(by);
    }
}

impl Clock for FakeClock {
    /// Like a real clock, never the same instant twice: each read moves 1 µs.
    fn now(&self) -> DateTime<Utc> {
        let mut t = self.0.lock().unwrap();
        *t += chrono::Duration::microseconds(1);
        *t
    }
}

/// Plain-text "hashes" and a count of verifications, to prove the work done;
/// `overloaded` makes it refuse admission, as a full hash queue would.
#[derive(Default)]
pub struct CountingHasher {
    pub verifications: AtomicUsize,
    pub overloaded: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl PasswordHasher for CountingHasher {
    async fn hash(&self, p: &Password) -> Result<String> {
        Ok(format!("plain:{}", p.expose()))
    }
    async fn verify(&self, candidate: &SecretString, phc: &str) -> Result<bool> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        Ok(phc.strip_prefix("plain:") == Some(candidate.expose_secret()))
    }
    fn dummy_hash(&self) -> &str {
        "dummy:"
    }
    fn admit(&self) -> Result<()> {
        if self.overloaded.load(Ordering::SeqCst) {
            return Err(crate::Error::Overloaded { retry_after: std::time::Duration::from_secs(1) });
        }
        Ok(())
    }
}

/// Tokens as readable text; `decode` refuses anything it did not make.
pub struct TextCodec;

impl TokenCodec for TextCodec {
    fn encode(&self, c: &Claims) -> Result<String> {
        let kind = match c.kind {
            TokenKind::Access => "a",
            TokenKind::Refresh => "r",
            TokenKind::Temporary => "t",
            TokenKind::Browser => "b",
            TokenKind::Client => "c",
        };
        let assurance = match c.assurance {
            Some(a) => format!("{}|{}|{}", a.amr.words().join("+"), a.auth_time.timestamp(), a.second_factor_due),
            None => "-|-|-".to_owned(),
        };
        let client = match &c.client {
            Some(g) => format!("{}~{}", g.client_id, g.scope_words()),
            None => "-".to_owned(),
        };
        Ok(format!("tok|{kind}|{}|{}|{}|{}|{}|{assurance}|{client}", c.sub.0, c.sid, c.jti, c.iat, c.exp))
    }
    fn decode(&self, t: &str) -> Result<Claims> {
        let p: Vec<&str> = t.split('|').collect();
        let bad = || Error::TokenInvalid;
        if p.len() != 11 || p[0] != "tok" {
            return Err(bad());
        }
        let kind = match p[1] {
            "a" => TokenKind::Access,
            "r" => TokenKind::Refresh,
            "t" => TokenKind::Temporary,
            "b" => TokenKind::Browser,
            "c" => TokenKind::Client,
            _ => return Err(bad()),
        };
        Ok(Claims {
            kind,
            sub: UserId(p[2].parse().map_err(|_| bad())?),
            sid: p[3].parse().map_err(|_| bad())?,
            jti: p[4].parse().map_err(|_| bad())?,
            iat: p[5].parse().map_err(|_| bad())?,
            exp: p[6].parse().map_err(|_| bad())?,
            assurance: match (p[7], p[8], p[9]) {
                ("-", "-", "-") => None,
                (amr, at, due) => Some(Assurance {
                    amr: Amr::from_words(amr.split('+')),
                    auth_time: DateTime::from_timestamp(at.parse().map_err(|_| bad())?, 0).ok_or_else(bad)?,
                    second_factor_due: due.parse().map_err(|_| bad())?,
                }),
            },
            client: match p[10].split_once('~') {
                Some((id, words)) => Some(crate::oidc::ClientGrant::from_words(
                    crate::oidc::ClientId(id.parse().map_err(|_| bad())?),
                    words,
                )),
                None => None,
            },
        })
    }
}

pub struct PlainKeyedHasher;

impl KeyedHasher for PlainKeyedHasher {
    fn hash(&self, challenge: Uuid, code: &OtpCode) -> Vec<u8> {
        [challenge.as_bytes().as_slice(), code.as_str().as_bytes()].concat()
    }
    fn verify(&self, challenge: Uuid, code: &OtpCode, stored: &[u8]) -> bool {
        self.hash(challenge, code) == stored
    }
    fn hash_recovery_code(&self, user: UserId, code: &RecoveryCode) -> Vec<u8> {
        [user.0.as_bytes().as_slice(), code.as_str().as_bytes()].concat()
    }
    fn hash_key(&self, label: &[u8], key: &str) -> Vec<u8> {
        [label, b":", key.as_bytes()].concat()
    }
    fn hash_link(&self, token: &crate::otp::LinkToken) -> Vec<u8> {
        [b"link:".as_slice(), token.expose().as_bytes()].concat()
    }
    fn hash_device_token(&self, token: &crate::trusted_device::DeviceToken) -> Vec<u8> {
        [b"device:".as_slice(), token.expose().as_bytes()].concat()
    }
}

/// "Seals" by prefixing the context, so a value moved to another owner does
/// not open; no secrecy, which a unit test does not need.
pub struct PlainSealer;

impl SecretSealer for PlainSealer {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        Ok([context, plaintext].concat())
    }
    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        sealed.strip_prefix(context).map(<[u8]>::to_vec).ok_or_else(|| Error::internal("sealed for another owner"))
    }
}

/// Keeps every message it accepts; fails the next ones when told to.
pub struct MemNotifier {
    pub sent: Mutex<Vec<Message>>,
    failures: Mutex<VecDeque<SendFailure>>,
    /// Every call, accepted or not.
    pub calls: AtomicUsize,
    /// The channels it claims to deliver on.
    pub channels: Vec<Channel>,
}

impl Default for MemNotifier {
    fn default() -> Self {
        Self::on(&Channel::ALL)
    }
}

impl MemNotifier {
    /// A notifier for `channels` only.
    pub fn on(channels: &[Channel]) -> Self {
        Self {
            sent: Mutex::default(),
            failures: Mutex::default(),
            calls: AtomicUsize::default(),
            channels: channels.to_vec(),
        }
    }

    /// The next `n` sends fail with `failure`.
    pub fn fail_next(&self, n: usize, failure: SendFailure) {
        self.failures.lock().unwrap().extend(std::iter::repeat_n(failure, n));
    }
}

#[async_trait]
impl Notifier for MemNotifier {
    fn channels(&self) -> Vec<Channel> {
        self.channels.clone()
    }
    async fn send(&self, m: &Message) -> std::result::Result<Receipt, SendFailure> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(f) = self.failures.lock().unwrap().pop_front() {
            return Err(f);
        }
        self.sent.lock().unwrap().push(m.clone());
        Ok(Receipt { provider_id: Some(format!("mem-{n}")) })
    }
}

/// ID tokens as readable text: `idt|alg|sub|client|sid|nonce|at_hash|acr`;
/// a hint reads back what it wrote.
pub struct TextIdTokens;

#[async_trait::async_trait]
impl crate::ports::IdTokenSigner for TextIdTokens {
    async fn sign(&self, alg: crate::oidc::IdTokenAlg, c: &crate::oidc::id_token::IdTokenClaims) -> Result<String> {
        Ok(format!(
            "idt|{}|{}|{}|{}|{}|{}|{}|{}",
            alg.as_str(),
            c.sub.0,
            c.client_id,
            c.sid,
            c.nonce.as_deref().unwrap_or("-"),
            c.at_hash.as_deref().unwrap_or("-"),
            c.assurance.acr().as_str(),
            c.iat
        ))
    }
    fn read_hint(&self, token: &str) -> Result<crate::oidc::id_token::IdTokenHint> {
        let p: Vec<&str> = token.split('|').collect();
        let bad = || Error::TokenInvalid;
        if p.len() != 9 || p[0] != "idt" {
            return Err(bad());
        }
        Ok(crate::oidc::id_token::IdTokenHint {
            sub: UserId(p[2].parse().map_err(|_| bad())?),
            client_id: crate::oidc::ClientId(p[3].parse().map_err(|_| bad())?),
            sid: Some(p[4].parse().map_err(|_| bad())?),
            issued_at: DateTime::from_timestamp(p[8].parse().map_err(|_| bad())?, 0).ok_or_else(bad)?,
        })
    }
}
