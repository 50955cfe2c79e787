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
