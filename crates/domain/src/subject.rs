//! Whom a record is about: one of authd's own users, or an application
//! registered to send codes to its users. A security event has exactly one
//! subject.

use crate::app::AppId;
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    User(UserId),
    App(AppId),
}

impl Subject {
    /// The user, when the subject is one.
    pub fn user(self) -> Option<UserId> {
        match self {
            Subject::User(u) => Some(u),
            Subject::App(_) => None,
        }
    }

    /// The application, when the subject is one.
    pub fn app(self) -> Option<AppId> {
        match self {
            Subject::App(a) => Some(a),
            Subject::User(_) => None,
        }
    }
}
