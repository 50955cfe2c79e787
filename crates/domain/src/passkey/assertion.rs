//! Checking a passkey's assertion: the one path the second step of a login
//! and the sign-in without a name share. The ceremony was taken (spent)
//! before; here the credential is found, checked by the library against the
//! ceremony's state, and its counter moved forward.

use std::sync::Arc;

use super::{Passkey, PasskeyUse, Refusal, counter};
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::Result;
use crate::ports::{PasskeyRepo, WebAuthn};
use crate::user::UserId;

/// How an assertion went.
#[derive(Debug)]
pub(crate) enum Checked {
    /// Accepted: the passkey used (as read before this use was written).
    Accepted(Passkey),
    /// Refused; `user` when the credential is one of a known user's.
    Refused { user: Option<UserId>, refusal: Refusal },
}

#[derive(Clone)]
pub(crate) struct PasskeyCheck {
    pub(crate) repo: Arc<dyn PasskeyRepo>,
    pub(crate) webauthn: Arc<dyn WebAuthn>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) audit: Audit,
}

impl PasskeyCheck {
    /// Checks `credential` against a ceremony's `state` (none: the ceremony
    /// was spent, expired or never issued). `user`: the user the ceremony
    /// was for (a login's); none for a sign-in, where the credential's own
    /// user handle must name its owner. Records why a known user's passkey
    /// was refused.
    pub(crate) async fn check(&self, state: Option<String>, credential: &str, user: Option<UserId>) -> Result<Checked> {
        let checked = self.verdict(state, credential, user).await?;
        if let Checked::Refused { user: Some(uid), refusal } = &checked {
            let (kind, detail) = match refusal {
                Refusal::CloneSuspected => (EventKind::PasskeyCloneSuspected, vec![]),
                Refusal::Invalid(_) => (EventKind::PasskeyRejected, vec![("reason", refusal.reason().to_owned())]),
            };
            self.audit.record(*uid, None, kind, &detail).await?;
        }
        Ok(checked)
    }

    async fn verdict(&self, state: Option<String>, credential: &str, user: Option<UserId>) -> Result<Checked> {
        let refused = |user, why: &str| Ok(Checked::Refused { user, refusal: Refusal::Invalid(why.into()) });
        let Some(state) = state else {
            return refused(user, "ceremony_spent_or_expired");
        };
        let claimed = match self.webauthn.claimed(credential) {
            Ok(c) => c,
            Err(refusal) => return Ok(Checked::Refused { user, refusal }),
        };
        let stored = self.repo.by_credential(&claimed.credential_id).await?;
        // A login's credential must be its user's; a sign-in's must be the
        // one its user handle names.
        let owner = user.or(claimed.user_handle.map(UserId));
        let known = stored.filter(|p| Some(p.user_id) == owner);
        let assertion = match self.webauthn.finish_assertion(&state, credential, known.as_ref()) {
            Ok(a) => a,
            Err(refusal) => return Ok(Checked::Refused { user: known.map(|p| p.user_id).or(user), refusal }),
        };
        let Some(passkey) = known else {
            return refused(user, "unknown_credential");
        };
        if !assertion.user_verified {
            return refused(Some(passkey.user_id), "user_not_verified");
        }
        let clone = || Ok(Checked::Refused { user: Some(passkey.user_id), refusal: Refusal::CloneSuspected });
        if !counter::advances(passkey.counter, assertion.counter) {
            return clone();
        }
        let used = PasskeyUse {
            counter: assertion.counter,
            backup_eligible: assertion.backup_eligible,
            backed_up: assertion.backed_up,
            data: assertion.data,
            at: self.clock.now(),
        };
        // Another node accepted this counter value first.
        if !self.repo.record_use(passkey.id, &used).await? {
            return clone();
        }
        Ok(Checked::Accepted(passkey))
    }
}
