//! The one lookup of the challenge a mailed link, or the short code beside
//! it, answers: email proofs ([`Emails`](crate::email::Emails)) and password
//! resets ([`Resets`](crate::reset::Resets)) alike.

use std::sync::Arc;

use super::challenge::{OtpChallenge, Purpose};
use super::link::LinkToken;
use super::sent_codes::SentCodes;
use crate::clock::Clock;
use crate::error::Result;
use crate::ports::{KeyedHasher, OtpRepo, UserRepo};
use crate::user::LoginName;

/// Finding the challenge a mailed link, or the code beside it, answers:
/// the one lookup of email proofs and password resets.
#[derive(Clone)]
pub(crate) struct MailedLinks {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) codes: SentCodes,
    pub(crate) clock: Arc<dyn Clock>,
}

impl MailedLinks {
    /// The challenge of `purpose` whose link's token is `token`, if any (a
    /// malformed token is looked up nowhere).
    pub(crate) async fn by_token(&self, purpose: Purpose, token: &str) -> Result<Option<OtpChallenge>> {
        let Some(token) = LinkToken::parse(token) else {
            return Ok(None);
        };
        let found = self.otps.by_link(&self.keyed_hasher.hash_link(&token)).await?;
        Ok(found.filter(|c| c.purpose == purpose))
    }

    /// The open challenge of `purpose` of the account whose address is
    /// `email`, if `code` is its code; with `sent_there`, only one mailed to
    /// that very address. A wrong code costs one of the mail's tries.
    pub(crate) async fn by_code(
        &self,
        purpose: Purpose,
        email: &str,
        code: &str,
        sent_there: bool,
    ) -> Result<Option<OtpChallenge>> {
        let Some(LoginName::Email(email)) = LoginName::parse(email) else {
            return Ok(None);
        };
        let Some(stored) = self.users.by_login(&LoginName::Email(email.clone())).await? else {
            return Ok(None);
        };
        let Some(challenge) = self.otps.latest(stored.user.id, purpose).await? else {
            return Ok(None);
        };
        if sent_there && challenge.destination.as_deref() != Some(email.as_str()) {
            return Ok(None);
        }
        if challenge.closed_reason(self.clock.now()).is_some() {
            return Ok(None);
        }
        if !self.codes.matches(&challenge, code, "code").unwrap_or(false) {
            self.codes.wrong_code(&challenge).await;
            return Ok(None);
        }
        Ok(Some(challenge))
    }
}
