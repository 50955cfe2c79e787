//! The fixed words the JSON API takes for channels and second-factor
//! methods (and says for how a user proved who they are), as OpenAPI enums: a word outside the list is refused by the
//! schema (400) before any handler runs, and the document lists the words.

use domain::assurance::{Acr, AuthMethod};
use domain::notify::Channel;
use domain::otp::Method;
use poem_openapi::Enum;

/// A channel codes travel on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ChannelWord {
    Email,
    Sms,
    Whatsapp,
}

impl From<ChannelWord> for Channel {
    fn from(c: ChannelWord) -> Self {
        match c {
            ChannelWord::Email => Channel::Email,
            ChannelWord::Sms => Channel::Sms,
            ChannelWord::Whatsapp => Channel::Whatsapp,
        }
    }
}

impl From<Channel> for ChannelWord {
    fn from(c: Channel) -> Self {
        match c {
            Channel::Email => ChannelWord::Email,
            Channel::Sms => ChannelWord::Sms,
            Channel::Whatsapp => ChannelWord::Whatsapp,
        }
    }
}

/// A second factor a login is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MethodWord {
    Totp,
    RecoveryCode,
    Email,
    Sms,
    Whatsapp,
}

impl From<MethodWord> for Method {
    fn from(m: MethodWord) -> Self {
        match m {
            MethodWord::Totp => Method::Totp,
            MethodWord::RecoveryCode => Method::RecoveryCode,
            MethodWord::Email => Method::Email,
            MethodWord::Sms => Method::Sms,
            MethodWord::Whatsapp => Method::Whatsapp,
        }
    }
}

impl ChannelWord {
    /// The second-factor method that sends a code on this channel.
    pub fn sent_method(self) -> Method {
        match self {
            ChannelWord::Email => Method::Email,
            ChannelWord::Sms => Method::Sms,
            ChannelWord::Whatsapp => Method::Whatsapp,
        }
    }
}

/// A channel a phone code can travel on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum PhoneChannelWord {
    Sms,
    Whatsapp,
}

impl From<PhoneChannelWord> for Channel {
    fn from(c: PhoneChannelWord) -> Self {
        match c {
            PhoneChannelWord::Sms => Channel::Sms,
            PhoneChannelWord::Whatsapp => Channel::Whatsapp,
        }
    }
}

/// An authentication method a user proved (RFC 8176 §2), as `amr` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum AmrWord {
    Pwd,
    Otp,
    Sms,
    Hwk,
    User,
    Mfa,
}

impl From<AuthMethod> for AmrWord {
    fn from(m: AuthMethod) -> Self {
        match m {
            AuthMethod::Pwd => AmrWord::Pwd,
            AuthMethod::Otp => AmrWord::Otp,
            AuthMethod::Sms => AmrWord::Sms,
            AuthMethod::Hwk => AmrWord::Hwk,
            AuthMethod::User => AmrWord::User,
            AuthMethod::Mfa => AmrWord::Mfa,
        }
    }
}

/// An authentication level (`acr`), named as NIST SP 800-63B's levels:
/// `aal1` one factor, `aal2` two (or a user-verified passkey).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum AcrWord {
    Aal1,
    Aal2,
}

impl From<Acr> for AcrWord {
    fn from(a: Acr) -> Self {
        match a {
            Acr::Aal1 => AcrWord::Aal1,
            Acr::Aal2 => AcrWord::Aal2,
        }
    }
}

/// Whether an OpenID Connect client can keep a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ClientTypeWord {
    Confidential,
    Public,
}

impl From<domain::oidc::ClientKind> for ClientTypeWord {
    fn from(k: domain::oidc::ClientKind) -> Self {
        match k {
            domain::oidc::ClientKind::Confidential => ClientTypeWord::Confidential,
            domain::oidc::ClientKind::Public => ClientTypeWord::Public,
        }
    }
}

impl ClientTypeWord {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientTypeWord::Confidential => domain::oidc::ClientKind::Confidential.as_str(),
            ClientTypeWord::Public => domain::oidc::ClientKind::Public.as_str(),
        }
    }
}

/// A scope an OpenID Connect client may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ScopeWord {
    Openid,
    Profile,
    Email,
    Phone,
    OfflineAccess,
}

impl From<domain::oidc::Scope> for ScopeWord {
    fn from(s: domain::oidc::Scope) -> Self {
        use domain::oidc::Scope as S;
        match s {
            S::Openid => ScopeWord::Openid,
            S::Profile => ScopeWord::Profile,
            S::Email => ScopeWord::Email,
            S::Phone => ScopeWord::Phone,
            S::OfflineAccess => ScopeWord::OfflineAccess,
        }
    }
}

impl ScopeWord {
    pub fn as_str(self) -> &'static str {
        use domain::oidc::Scope as S;
        match self {
            ScopeWord::Openid => S::Openid.as_str(),
            ScopeWord::Profile => S::Profile.as_str(),
            ScopeWord::Email => S::Email.as_str(),
            ScopeWord::Phone => S::Phone.as_str(),
            ScopeWord::OfflineAccess => S::OfflineAccess.as_str(),
        }
    }
}

/// How a client's ID tokens are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum IdTokenAlgWord {
    #[oai(rename = "RS256")]
    Rs256,
    #[oai(rename = "EdDSA")]
    EdDsa,
}

impl From<domain::oidc::IdTokenAlg> for IdTokenAlgWord {
    fn from(a: domain::oidc::IdTokenAlg) -> Self {
        match a {
            domain::oidc::IdTokenAlg::Rs256 => IdTokenAlgWord::Rs256,
            domain::oidc::IdTokenAlg::EdDsa => IdTokenAlgWord::EdDsa,
        }
    }
}

impl IdTokenAlgWord {
    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenAlgWord::Rs256 => domain::oidc::IdTokenAlg::Rs256.as_str(),
            IdTokenAlgWord::EdDsa => domain::oidc::IdTokenAlg::EdDsa.as_str(),
        }
    }
}
