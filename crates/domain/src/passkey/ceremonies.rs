//! The passkey ceremonies every use shares: keeping one the library began
//! ([`keep`](PasskeyCeremonies::keep)), taking it back once
//! ([`take`](PasskeyCeremonies::take)), and checking an assertion against it
//! ([`check`](PasskeyCeremonies::check): the one path the second step of a
//! login and the sign-in without a name share, where the credential is
//! found, checked by the library, and its counter moved forward).

use std::sync::Arc;

use chrono::{DateTime, Duration as Span, Utc};
use uuid::Uuid;

use super::ceremony::{Begun, CEREMONY_TTL, Ceremony, CeremonyPurpose, Started};
use super::{Passkey, PasskeyUse, Refusal, counter};
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::Result;
use crate::ports::{PasskeyRepo, WebAuthn};
use crate::rng::Rng;
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
pub(crate) struct PasskeyCeremonies {
    pub(crate) repo: Arc<dyn PasskeyRepo>,
    pub(crate) webauthn: Arc<dyn WebAuthn>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    pub(crate) audit: Audit,
}

impl PasskeyCeremonies {
    /// Keeps the state of a ceremony the library `started`, server-side,
    /// for [`CEREMONY_TTL`] and never past `ends_by`, under `id` (a new one
    /// when none is given: a login's ceremony is named by its challenge).
    pub(crate) async fn keep(
        &self,
        purpose: CeremonyPurpose,
        owner: Option<Uuid>,
        id: Option<Uuid>,
        started: Started,
        ends_by: Option<DateTime<Utc>>,
    ) -> Result<Begun> {
        let lives_until = self.clock.now() + Span::seconds(CEREMONY_TTL.as_secs() as i64);
        let ceremony = Ceremony {
            id: id.unwrap_or_else(|| self.rng.uuid_v4()),
            purpose,
            owner,
            state: started.state,
            expires_at: ends_by.map_or(lives_until, |end| lives_until.min(end)),
        };
        self.repo.put_ceremony(&ceremony).await?;
        Ok(Begun { ceremony_id: ceremony.id, options: started.options })
    }

    /// The state of ceremony `id`, spent now, if it has this purpose and
    /// owner and still lives.
    pub(crate) async fn take(&self, id: Uuid, purpose: CeremonyPurpose, owner: Option<Uuid>) -> Result<Option<String>> {
        self.repo.take_ceremony(id, purpose, owner, self.clock.now()).await
    }

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
                Refusal::Invalid(_) => {
                    (EventKind::PasskeyRejected, vec![("reason", refusal.reason().to_owned().into())])
                }
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
