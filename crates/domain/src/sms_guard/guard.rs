//! `SmsGuard`: what every texted code passes on its way to the outbox, and
//! what every correct check of one tells it. The number rules first
//! ([`NumberRules`]); then the send is counted against its prefix by one
//! conditional statement ([`SmsGuardStore::count_send`]) that refuses it
//! when the prefix is blocked or its window is full; then, with the
//! window's figures that statement returned, the conversion rule
//! ([`PrefixRules::should_block`]) may block the prefix, once among nodes.
//! The same statement counts the send against the deployment's cap
//! ([`PrefixRules::sends_in_all`]), the last fuse: past it, texted codes
//! pause until the window ends.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::numbers::NumberRules;
use super::prefix::PrefixRules;
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after, retry_after};
use crate::error::{Error, Result};
use crate::ports::{PrefixCount, SendLimits, SmsGuardStore};
use crate::subject::Subject;

#[derive(Clone)]
pub struct SmsGuard {
    pub(crate) store: Arc<dyn SmsGuardStore>,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) numbers: NumberRules,
    pub(crate) prefixes: PrefixRules,
}

impl SmsGuard {
    /// Lets a texted code for `owner` go to `to` at `now` (its send time),
    /// counting it, or refuses: 400 for a number the rules refuse, 429 for a
    /// full or blocked prefix. Nothing is counted for a refused code.
    pub(crate) async fn before_text(&self, owner: Subject, to: &str, now: DateTime<Utc>) -> Result<()> {
        // The number is read once: the rules' reading gives its prefix.
        let super::numbers::Admitted { country, calling_code } = self.numbers.admit(to)?;
        let Some(prefix) = self.prefixes.prefix_in(to, calling_code) else { return Ok(()) };
        let rules = &self.prefixes;
        let limits =
            SendLimits { window: rules.window, per_prefix: rules.sends_per_window, in_all: rules.sends_in_all };
        let window = match self.store.count_send(&prefix, &country, now, limits).await? {
            PrefixCount::Counted(window) => window,
            PrefixCount::Throttled { until } => {
                return Err(Error::DestinationThrottled { retry_after: retry_after(now, until) });
            }
            PrefixCount::Blocked { until } => {
                return Err(Error::DestinationBlocked { retry_after: retry_after(now, until) });
            }
            PrefixCount::Paused { until } => return Err(self.paused(owner, now, until).await?),
        };
        if !rules.should_block(window.sends, window.verified) {
            return Ok(());
        }
        let lasts = rules.block_for(window.strikes);
        let until = after(now, lasts);
        if self.store.block(&prefix, window.strikes, now, until).await? {
            let detail = [
                ("prefix", prefix.clone().into()),
                ("country", country.into()),
                ("sends", window.sends.into()),
                ("verified", window.verified.into()),
                ("window_started", window.started.to_rfc3339().into()),
                ("blocked_seconds", lasts.as_secs().into()),
                ("strike", (window.strikes + 1).into()),
            ];
            tracing::warn!(%prefix, sends = window.sends, verified = window.verified, "SMS prefix blocked");
            self.audit.record_about(owner, None, EventKind::FraudPrefixBlocked, &detail).await?;
        }
        Err(Error::DestinationBlocked { retry_after: retry_after(now, until) })
    }

    /// The deployment's window is full: sending pauses until it ends. Of
    /// the sends refused in that window, on any node, the first records it.
    async fn paused(&self, owner: Subject, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Error> {
        if self.store.pause(now, until).await? {
            let detail = [
                ("sends", self.prefixes.sends_in_all.into()),
                ("window_seconds", self.prefixes.window.as_secs().into()),
                ("paused_until", until.to_rfc3339().into()),
            ];
            tracing::error!(sends = self.prefixes.sends_in_all, %until, "texted codes paused: the deployment's hourly cap is reached");
            self.audit.record_about(owner, None, EventKind::SmsSendingPaused, &detail).await?;
        }
        Ok(Error::SendingPaused { retry_after: retry_after(now, until) })
    }

    /// Counts a correct check of a code texted to `to` at `sent_at`.
    pub(crate) async fn verified(&self, to: &str, sent_at: DateTime<Utc>) -> Result<()> {
        let Some(prefix) = self.prefixes.prefix_of(to) else { return Ok(()) };
        self.store.count_verified(&prefix, sent_at, self.clock.now()).await
    }

    /// When `to`'s prefix is blocked, until when (the courier holds a
    /// queued message back then).
    pub(crate) async fn blocked_until(&self, to: &str) -> Result<Option<DateTime<Utc>>> {
        let Some(prefix) = self.prefixes.prefix_of(to) else { return Ok(None) };
        self.store.blocked_until(&prefix, self.clock.now()).await
    }
}
