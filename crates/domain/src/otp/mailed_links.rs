//! Mailed links, for email proofs ([`Emails`](crate::email::Emails)) and
//! password resets ([`Resets`](crate::reset::Resets)) alike: the one way
//! one is mailed ([`MailedLinks::send`]) and the one lookup of the challenge
//! a link, or the short code beside it, answers.

use std::sync::Arc;
use std::time::Duration;

use super::challenge::{CodeRules, Method, OtpChallenge, Purpose};
use super::link::LinkToken;
use super::sent_codes::{CodeStatus, Destination, SentCodes};
use crate::clock::Clock;
use crate::error::Result;
use crate::notify::{Channel, MessageKind};
use crate::ports::{KeyedHasher, OtpRepo, UserRepo};
use crate::rng::Rng;
use crate::subject::Subject;
use crate::user::{LoginName, UserId};

/// Sending a mailed link, and finding the challenge a link, or the code
/// beside it, answers.
#[derive(Clone)]
pub(crate) struct MailedLinks {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) codes: SentCodes,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
}

impl MailedLinks {
    /// Queues a mail of `kind` to `to` for `user`: a new challenge of
    /// `purpose` (eight digits beside the link, five tries), alive for
    /// `ttl`, with a fresh link token that only the mail carries.
    pub(crate) async fn send(
        &self,
        user: UserId,
        purpose: Purpose,
        kind: MessageKind,
        to: &str,
        ttl: Duration,
    ) -> Result<CodeStatus> {
        let id = self.rng.uuid_v7(self.clock.now());
        let owner = Subject::User(user);
        let rules = CodeRules::BESIDE_LINK;
        let mut challenge = self.codes.challenge(id, owner, purpose, Method::Email, Some(to.to_owned()), ttl, rules);
        let token = LinkToken::generate(&*self.rng);
        let dest = Destination { channel: Channel::Email, to, kind, sender: None, link: Some(&token) };
        self.codes.open(&mut challenge, Some(dest)).await
    }

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
