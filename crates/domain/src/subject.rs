//! Whom a record is about: one of authd's own users, an application
//! registered to send codes to its users, or an OpenID Connect client
//! acting for itself (`client_credentials`). A security event has exactly
//! one subject.

use crate::app::AppId;
use crate::oidc::ClientId;
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    User(UserId),
    App(AppId),
    /// Only events: a client's own grants carry no user.
    Client(ClientId),
}

impl Subject {
    /// The user, when the subject is one.
    pub fn user(self) -> Option<UserId> {
        match self {
            Subject::User(u) => Some(u),
            Subject::App(_) | Subject::Client(_) => None,
        }
    }

    /// The application, when the subject is one.
    pub fn app(self) -> Option<AppId> {
        match self {
            Subject::App(a) => Some(a),
            Subject::User(_) | Subject::Client(_) => None,
        }
    }

    /// The OpenID Connect client, when the subject is one.
    pub fn client(self) -> Option<ClientId> {
        match self {
            Subject::Client(c) => Some(c),
            Subject::User(_) | Subject::App(_) => None,
        }
    }
}
