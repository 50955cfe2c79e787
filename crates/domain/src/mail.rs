//! What a mail says, in domain terms; senders choose the wording.

use chrono::{DateTime, Utc};

use crate::otp::code::OtpCode;
use crate::user::Email;

#[derive(Debug, Clone)]
pub enum MailKind {
    LoginCode { code: OtpCode, expires_at: DateTime<Utc> },
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Email,
    pub kind: MailKind,
}
