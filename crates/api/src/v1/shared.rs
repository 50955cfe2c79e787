//! The bodies, answers and tags several route files use: the OpenAPI
//! tags, the empty 204, a user, a password confirmation, a page of security
//! events, where a sent code is. A route file takes them from here, never
//! from a sibling.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::audit::AuditEvent;
use domain::otp::CodeStatus;
use domain::page::Page;
use domain::user::User;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, Tags};
use uuid::Uuid;

use crate::v1::body_fields::Text;

#[derive(Tags)]
pub enum ApiTags {
    /// Logging in, second factors and tokens.
    Auth,
    /// Accounts.
    Users,
    /// Managing users (administrators only).
    Admin,
    /// Registering applications for the verification API (administrators only).
    Apps,
    /// Registering OpenID Connect clients (administrators only).
    Clients,
    /// Sending and checking codes, for registered applications (with their API key).
    Verifications,
}

#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

/// Where the current one-time code is, for the person waiting for it.
#[derive(Debug, Object)]
pub struct CodeStatusBody {
    /// How the current code was sent (`email`, `sms`, `whatsapp`); for a
    /// login where nothing was sent yet, its default method (`passkey`,
    /// `totp`, `recovery_code`).
    pub method: String,
    /// `queued` (waiting for the provider, retried while it is down),
    /// `sent` (the provider took it) or `failed` (it will not arrive: ask
    /// for a new one or use another method). Absent when nothing was sent.
    #[oai(skip_serializing_if_is_none)]
    pub delivery: Option<String>,
    /// Wrong answers left before the code dies.
    pub remaining_attempts: u32,
    /// New codes that may still be asked for.
    pub resends_left: u32,
    /// Seconds until a new code may be asked for.
    pub retry_after: u64,
    /// When the code stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl From<CodeStatus> for CodeStatusBody {
    fn from(s: CodeStatus) -> Self {
        Self {
            method: s.method.as_str().into(),
            delivery: s.delivery.map(|d| d.as_str().into()),
            remaining_attempts: s.remaining_attempts,
            resends_left: s.resends_left,
            retry_after: s.resend_after.as_secs(),
            expires_at: s.expires_at,
        }
    }
}

#[derive(ApiResponse)]
pub enum CodeStatusResponse {
    #[oai(status = 200)]
    Ok(Json<CodeStatusBody>),
    /// A code was queued.
    #[oai(status = 202)]
    Accepted(Json<CodeStatusBody>),
}

/// A user. Never carries a password hash or any secret. Serialize writes it
/// as poem-openapi does (pages of users answer with `json_body::Direct`).
#[derive(Debug, Object, serde::Serialize)]
pub struct UserBody {
    pub id: uuid::Uuid,
    /// Lower-cased email address.
    pub email: String,
    /// Lower-cased username.
    pub username: String,
    pub name: String,
    pub lastname: String,
    /// `name` and `lastname` together.
    pub full_name: String,
    pub is_admin: bool,
    /// Whether logging in needs a second factor.
    pub is_2fa: bool,
    /// Deactivated users cannot log in.
    pub is_active: bool,
    /// E.164, like `+14155550132`; null when the user has none.
    #[oai(nullable)]
    pub phone: Option<String>,
    /// Whether the user proved `email` is theirs (the link or code mailed to
    /// it). Until then mail goes to the last proved address.
    pub email_verified: bool,
    /// Whether the user proved `phone` is theirs (`POST /users/me/phone/verify`
    /// then `/confirm`). Only a verified phone receives login codes.
    pub phone_verified: bool,
    #[serde(serialize_with = "crate::http::json_body::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::http::json_body::rfc3339")]
    pub modified_at: DateTime<Utc>,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        Self {
            full_name: u.full_name(),
            phone_verified: u.verified_phone().is_some(),
            email_verified: u.email_verified(),
            id: u.id.0,
            email: u.email,
            username: u.username,
            name: u.name,
            lastname: u.lastname,
            is_admin: u.is_admin,
            is_2fa: u.is_2fa,
            is_active: u.is_active,
            phone: u.phone,
            created_at: u.created_at,
            modified_at: u.modified_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordBody {
    /// The account's current password.
    #[oai(validator(max_length = 1024))]
    pub password: Text,
}

#[derive(ApiResponse)]
pub enum OneUser {
    #[oai(status = 200)]
    Ok(Json<UserBody>),
}

/// A security event.
#[derive(Debug, Object)]
pub struct EventBody {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `registered`, `login_succeeded`, `login_failed`, `otp_sent`, `otp_verified`, `otp_failed`,
    /// `otp_locked`, `password_changed`, `logged_out`, `session_ended`, `refresh_reused`, `account_deleted`,
    /// `user_updated_by_admin`, `user_deactivated`, `user_deleted_by_admin`, `admin_bootstrapped`,
    /// `account_locked`, `totp_*`, `recovery_code_*`, `delivery_sent`, `delivery_failed`, `phone_verified`;
    /// about an application: `app_created`, `app_updated`, `app_deactivated`, `app_key_rotated`,
    /// `app_deleted`, `verification_canceled` and its verifications' `otp_*` and `delivery_*`;
    /// about an OpenID Connect client acting for itself: `oidc_tokens_issued`, `oidc_token_revoked`.
    pub kind: String,
    /// The user the event is about (absent for an event about an application or a client).
    #[oai(skip_serializing_if_is_none)]
    pub user_id: Option<Uuid>,
    /// The application the event is about (absent for an event about a user or a client).
    #[oai(skip_serializing_if_is_none)]
    pub app_id: Option<Uuid>,
    /// The OpenID Connect client the event is about (its own `client_credentials` grants).
    #[oai(skip_serializing_if_is_none)]
    pub client_id: Option<Uuid>,
    /// The administrator who acted, when it was not the user.
    #[oai(skip_serializing_if_is_none)]
    pub actor_id: Option<Uuid>,
    /// Non-secret particulars: words and ids as strings, counts as numbers
    /// (`remaining_attempts`, `failures`, …), yes/no as booleans (`resend`, `all`).
    pub detail: HashMap<String, serde_json::Value>,
}

impl From<AuditEvent> for EventBody {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            at: e.at,
            kind: e.kind.as_str().to_owned(),
            user_id: e.subject.user().map(|u| u.0),
            app_id: e.subject.app().map(|a| a.0),
            client_id: e.subject.client().map(|c| c.0),
            actor_id: e.actor_id.map(|a| a.0),
            detail: e.detail.into_iter().map(|(k, v)| (k, json_of(v))).collect(),
        }
    }
}

/// One particular as the JSON value it is.
fn json_of(d: domain::audit::Detail) -> serde_json::Value {
    use domain::audit::Detail;
    match d {
        Detail::Flag(b) => b.into(),
        Detail::Count(n) => n.into(),
        Detail::Text(t) => t.into(),
    }
}

/// A page of events, newest first.
#[derive(Debug, Object)]
pub struct EventPageBody {
    pub items: Vec<EventBody>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<Uuid>,
}

#[derive(ApiResponse)]
pub enum EventPageResponse {
    #[oai(status = 200)]
    Ok(Json<EventPageBody>),
}

impl From<Page<AuditEvent, Uuid>> for EventPageResponse {
    fn from(Page { items, next }: Page<AuditEvent, Uuid>) -> Self {
        EventPageResponse::Ok(Json(EventPageBody {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor: next,
        }))
    }
}

/// The page size of a list when none is asked for.
pub(crate) fn default_limit() -> u32 {
    50
}

/// Declares a PATCH body of a user's profile: the profile fields with the
/// limits the document states and the server enforces (written here once),
/// then the body's own fields. poem-openapi cannot flatten into a struct
/// that denies unknown fields, and refusing unknown fields is what keeps
/// `is_admin` out of `/users/me`: hence a macro, not a nested struct.
macro_rules! profile_patch_body {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, poem_openapi::Object)]
        #[oai(deny_unknown_fields)]
        pub struct $name {
            #[oai(validator(min_length = 3, max_length = 254))]
            pub email: $crate::v1::body_fields::Omittable<$crate::v1::body_fields::Text>,
            #[oai(validator(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"))]
            pub username: $crate::v1::body_fields::Omittable<$crate::v1::body_fields::Text>,
            #[oai(validator(
                min_length = 1,
                max_length = 100,
                pattern = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"
            ))]
            pub name: $crate::v1::body_fields::Omittable<$crate::v1::body_fields::Text>,
            #[oai(validator(
                min_length = 1,
                max_length = 100,
                pattern = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"
            ))]
            pub lastname: $crate::v1::body_fields::Omittable<$crate::v1::body_fields::Text>,
            /// A new number is unverified until the user confirms a code; `null` removes it.
            #[oai(nullable, validator(max_length = 32, pattern = r"^\+"))]
            pub phone: poem_openapi::types::MaybeUndefined<$crate::v1::body_fields::Text>,
            /// `false` stops asking for a second factor at login (unless an
            /// authenticator app is active).
            pub is_2fa: $crate::v1::body_fields::Omittable<bool>,
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl $name {
            /// The profile changes this body asks for (absent fields stay;
            /// `phone: null` removes the number), taken out of it.
            pub fn take_profile(
                &mut self,
                current_password: Option<secrecy::SecretString>,
            ) -> domain::user::ProfileChanges {
                use $crate::v1::body_fields::Omittable;
                domain::user::ProfileChanges {
                    email: std::mem::replace(&mut self.email, Omittable(None)).into_string(),
                    username: std::mem::replace(&mut self.username, Omittable(None)).into_string(),
                    name: std::mem::replace(&mut self.name, Omittable(None)).into_string(),
                    lastname: std::mem::replace(&mut self.lastname, Omittable(None)).into_string(),
                    phone: $crate::v1::body_fields::nullable_string(std::mem::take(&mut self.phone)),
                    is_2fa: self.is_2fa.0,
                    current_password,
                }
            }
        }
    };
}
pub(crate) use profile_patch_body;

/// Options for `navigator.credentials.get`: a login's second step, a step-up.
#[derive(Debug, Object)]
pub struct OptionsBody {
    /// `{"publicKey": {...}}` for `navigator.credentials.get`.
    pub options: serde_json::Value,
}

#[derive(ApiResponse)]
pub enum OptionsResponse {
    #[oai(status = 200)]
    Ok(Json<OptionsBody>),
}

/// A WebAuthn library's options text, as the JSON value the API sends.
pub fn options(text: &str) -> domain::Result<serde_json::Value> {
    serde_json::from_str(text).map_err(domain::Error::internal)
}
