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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_subject_answers_only_to_its_own_kind() {
        let id = uuid::Uuid::from_u128(7);
        let (user, app, client) = (Subject::User(UserId(id)), Subject::App(AppId(id)), Subject::Client(ClientId(id)));
        assert_eq!((user.user(), user.app(), user.client()), (Some(UserId(id)), None, None));
        assert_eq!((app.user(), app.app(), app.client()), (None, Some(AppId(id)), None));
        assert_eq!((client.user(), client.app(), client.client()), (None, None, Some(ClientId(id))));
    }
}
