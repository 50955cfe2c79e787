//! Where the SMS guard counts sends and correct checks per destination
//! prefix, and keeps blocks: one row per prefix, so every node decides on
//! the same figures.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;

/// A prefix's window as a counted send left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixWindow {
    /// Codes sent to the prefix in this window, this one included.
    pub sends: u32,
    /// Of them, checked correctly.
    pub verified: u32,
    /// How many times the prefix was blocked before.
    pub strikes: u32,
    pub started: DateTime<Utc>,
}

/// What counting a send found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixCount {
    Counted(PrefixWindow),
    /// The window already holds the limit's sends: nothing counted.
    Throttled {
        until: DateTime<Utc>,
    },
    /// The prefix is blocked: nothing counted.
    Blocked {
        until: DateTime<Utc>,
    },
}

/// A prefix blocked now, as admins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixBlock {
    pub prefix: String,
    /// ISO 3166 alpha-2, empty for a number of no country.
    pub country: String,
    pub until: DateTime<Utc>,
    /// Blocks so far, this one included.
    pub strikes: u32,
}

#[async_trait]
pub trait SmsGuardStore: Send + Sync {
    /// Counts a send to `prefix` in its window (a window older than
    /// `window` restarts at `now`), unless the prefix is blocked or the
    /// window holds `limit` sends (0: no limit): one conditional upsert
    /// (`INSERT … ON CONFLICT DO UPDATE … WHERE not blocked AND (window over
    /// OR sends < $limit) RETURNING`), so concurrent sends on any node never
    /// pass the limit, and a refused send counts nothing.
    async fn count_send(
        &self,
        prefix: &str,
        country: &str,
        now: DateTime<Utc>,
        window: Duration,
        limit: u32,
    ) -> Result<PrefixCount>;
    /// Counts a correct check of a code sent to `prefix` at `sent_at`, in
    /// the window it was sent in (none if that window is over).
    async fn count_verified(&self, prefix: &str, sent_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()>;
    /// Blocks `prefix` until `until`, if it is not blocked and has been
    /// blocked `strikes` times: of concurrent deciders one blocks it. Its
    /// window starts again at `now`.
    async fn block(&self, prefix: &str, strikes: u32, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool>;
    /// When `prefix`'s block ends, if it is blocked at `now`.
    async fn blocked_until(&self, prefix: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>>;
    /// The prefixes blocked at `now`, the longest-lasting first.
    async fn blocks(&self, now: DateTime<Utc>) -> Result<Vec<PrefixBlock>>;
    /// Lifts `prefix`'s block (its window starts again at `now`, its strikes
    /// stay); whether it was blocked.
    async fn unblock(&self, prefix: &str, now: DateTime<Utc>) -> Result<bool>;
}
