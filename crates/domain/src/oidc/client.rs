//! A client: an application registered by an admin to sign its users in
//! through authd. Its redirect URIs are kept exactly as registered (an
//! authorization request must name one of them, compared as strings,
//! RFC 9700 §2.1), and only addresses that cannot send the code to anyone
//! else are accepted: HTTPS, HTTP to the loopback interface, or a native
//! app's private-use scheme (RFC 8252 §7). A confidential client proves
//! itself with a secret ([`ClientSecret`]), shown once and stored only as
//! a keyed hash; a public one (a browser or native app) cannot keep one and
//! relies on PKCE alone.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::prefixed_key::{KeyKind, PrefixedKey, StoredKey};
use crate::words::stable_words;

/// A client's id: its `client_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub Uuid);

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

stable_words! {
    /// Whether a client can keep a secret (RFC 6749 §2.1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ClientKind {
        /// A server-side application: it holds a secret.
        Confidential = "confidential",
        /// A browser or native application: anyone can read what it holds.
        Public = "public",
    }
}

stable_words! {
    /// A scope a client may ask for (OpenID Connect Core §5.4, §11).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Scope {
        Openid = "openid",
        Profile = "profile",
        Email = "email",
        Phone = "phone",
        /// A refresh token, to act while the user is away.
        OfflineAccess = "offline_access",
    }
}

stable_words! {
    /// How a client's ID tokens are signed. `RS256` is every client
    /// library's default (OpenID Connect Discovery §3 requires it).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum IdTokenAlg {
        #[default]
        Rs256 = "RS256",
        EdDsa = "EdDSA",
    }
}

/// The most redirect URIs (or post-logout ones) a client registers.
pub const MAX_REDIRECT_URIS: usize = 10;
/// The longest redirect URI accepted.
pub const MAX_URI_CHARS: usize = 2000;
const MAX_NAME_CHARS: usize = 100;

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    /// What the consent page calls it.
    pub name: String,
    /// Where a code may be sent: exactly these strings.
    pub redirect_uris: Vec<String>,
    /// Where a logout may return to: exactly these strings.
    pub post_logout_redirect_uris: Vec<String>,
    pub kind: ClientKind,
    /// The scopes it may ask for, `openid` always among them.
    pub scopes: Vec<Scope>,
    /// Sign its users in without asking them to consent (a first-party app).
    pub skip_consent: bool,
    pub id_token_alg: IdTokenAlg,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A registration as it arrives.
#[derive(Debug, Clone, Default)]
pub struct ClientForm {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// `confidential` or `public`.
    pub kind: String,
    /// Default: every scope.
    pub scopes: Option<Vec<String>>,
    pub skip_consent: bool,
    /// Default: `RS256`.
    pub id_token_alg: Option<String>,
}

/// Changes to a client as they arrive; `None` leaves a setting as it is.
/// Its kind never changes (a public client has no secret to become
/// confidential with): register another.
#[derive(Debug, Clone, Default)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub skip_consent: Option<bool>,
    pub id_token_alg: Option<String>,
}

/// [`ClientChanges`], checked: what storage writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<Scope>>,
    pub skip_consent: Option<bool>,
    pub id_token_alg: Option<IdTokenAlg>,
}

impl Client {
    /// A client registered from `form` at `now`, or the first thing wrong with it.
    pub fn new(id: ClientId, form: ClientForm, now: DateTime<Utc>) -> Result<Self> {
        let kind = ClientKind::parse(&form.kind)
            .ok_or_else(|| invalid("type", "must be \"confidential\" or \"public\"".into()))?;
        Ok(Self {
            id,
            name: name(&form.name)?,
            redirect_uris: redirect_uris("redirect_uris", &form.redirect_uris, 1)?,
            post_logout_redirect_uris: redirect_uris("post_logout_redirect_uris", &form.post_logout_redirect_uris, 0)?,
            kind,
            scopes: match &form.scopes {
                Some(words) => scopes(words)?,
                None => Scope::ALL.to_vec(),
            },
            skip_consent: form.skip_consent,
            id_token_alg: form.id_token_alg.as_deref().map(id_token_alg).transpose()?.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        })
    }

    /// Whether `uri` is one of the client's redirect URIs, compared as
    /// strings: no normalising, no prefix, no pattern (RFC 9700 §2.1).
    pub fn redirects_to(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }

    /// Whether a logout may return to `uri`, compared the same way.
    pub fn returns_after_logout_to(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|r| r == uri)
    }
}

impl ClientChanges {
    pub fn checked(self) -> Result<ClientPatch> {
        Ok(ClientPatch {
            name: self.name.as_deref().map(name).transpose()?,
            redirect_uris: self.redirect_uris.as_deref().map(|u| redirect_uris("redirect_uris", u, 1)).transpose()?,
            post_logout_redirect_uris: self
                .post_logout_redirect_uris
                .as_deref()
                .map(|u| redirect_uris("post_logout_redirect_uris", u, 0))
                .transpose()?,
            scopes: self.scopes.as_deref().map(scopes).transpose()?,
            skip_consent: self.skip_consent,
            id_token_alg: self.id_token_alg.as_deref().map(id_token_alg).transpose()?,
        })
    }
}

fn invalid(field: &'static str, reason: String) -> Error {
    Error::InvalidField { field, reason }
}

fn name(raw: &str) -> Result<String> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid("name", format!("must be 1 to {MAX_NAME_CHARS} characters, no control characters")));
    }
    Ok(name.to_owned())
}

fn redirect_uris(field: &'static str, raw: &[String], at_least: usize) -> Result<Vec<String>> {
    if raw.len() < at_least || raw.len() > MAX_REDIRECT_URIS {
        return Err(invalid(field, format!("must list {at_least} to {MAX_REDIRECT_URIS} addresses")));
    }
    let mut kept: Vec<String> = Vec::with_capacity(raw.len());
    for uri in raw {
        redirect_uri(uri).map_err(|reason| invalid(field, format!("{uri:?} {reason}")))?;
        if !kept.contains(uri) {
            kept.push(uri.clone());
        }
    }
    Ok(kept)
}

/// Why `uri` cannot receive a code, if it cannot: it must be absolute,
/// without a fragment (RFC 6749 §3.1.2) or user info, and go over HTTPS,
/// over HTTP only to the loopback interface (RFC 8252 §7.3), or to a native
/// app's private-use scheme, a reversed domain name (RFC 8252 §7.1).
fn redirect_uri(uri: &str) -> std::result::Result<(), &'static str> {
    if uri.len() > MAX_URI_CHARS {
        return Err("is too long");
    }
    let parsed = url::Url::parse(uri).map_err(|_| "is not an absolute address")?;
    if parsed.fragment().is_some() {
        return Err("has a fragment (#…), which a redirect URI may not have");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("carries a user name or password");
    }
    match parsed.scheme() {
        // The URL standard gives every https address a host.
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err("uses plain HTTP to a host other than the loopback interface; use https"),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err("must use https, http to 127.0.0.1, [::1] or localhost, or a native app's reversed-domain scheme"),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn scopes(words: &[String]) -> Result<Vec<Scope>> {
    let mut scopes = Vec::with_capacity(words.len());
    for word in words {
        let scope = Scope::parse(word).ok_or_else(|| {
            let known: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            invalid("scopes", format!("{word:?} is not one of {}", known.join(", ")))
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if !scopes.contains(&Scope::Openid) {
        return Err(invalid("scopes", "must include openid".into()));
    }
    scopes.sort();
    Ok(scopes)
}

fn id_token_alg(word: &str) -> Result<IdTokenAlg> {
    IdTokenAlg::parse(word).ok_or_else(|| invalid("id_token_signed_response_alg", "must be RS256 or EdDSA".into()))
}

/// A confidential client's secrets.
#[derive(Debug)]
pub struct ClientSecrets;

impl KeyKind for ClientSecrets {
    const PREFIX: &'static str = "authd_cs_";
    const NAME: &'static str = "ClientSecret";
    const HASH_LABEL: &'static [u8] = b"oidc-client-secret";
}

/// A client's secret, as the client holds it. Never printed.
pub type ClientSecret = PrefixedKey<ClientSecrets>;

/// What storage keeps of a client's secret.
pub type StoredSecret = StoredKey<ClientId>;

/// Whether the presented secret's keyed hash (`presented`) is one of the
/// client's live secrets at `now`, comparing every byte of every one
/// whatever matches, so the time taken tells nothing of how close a guess
/// came (RFC 6749 §10.10, OWASP ASVS 5.0 11.2.x).
pub fn secret_matches(presented: &[u8], stored: &[StoredSecret], now: DateTime<Utc>) -> bool {
    stored.iter().fold(false, |found, s| constant_time_eq(presented, &s.hash) & s.live_at(now) | found)
}

/// `a == b` in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
