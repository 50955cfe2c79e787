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

/// The limits a send is counted against, over one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// A window older than this restarts at the send.
    pub window: Duration,
    /// Sends to one prefix per window; 0: no limit.
    pub per_prefix: u32,
    /// Sends to every prefix together per window (the deployment's row,
    /// [`DEPLOYMENT`]); 0: no limit, and that row is not counted.
    pub in_all: u32,
}

/// The key of the row that counts every texted code of the deployment: not
/// a prefix (prefixes start with `+`), never listed as a block.
pub const DEPLOYMENT: &str = "*";

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
    /// The deployment's window already holds [`SendLimits::in_all`] sends:
    /// nothing counted.
    Paused {
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
    /// Counts a send to `prefix` in its window and, with a deployment
    /// limit, in the deployment's (a window older than `limits.window`
    /// restarts at `now`), unless the prefix is blocked or either window is
    /// full: one conditional upsert of both rows (`INSERT … VALUES (prefix),
    /// ('*') ON CONFLICT DO UPDATE … WHERE (not blocked AND (window over OR
    /// sends < $per_prefix)) or, for '*', (window over OR sends < $in_all)
    /// RETURNING`), so concurrent sends on any node never pass a limit. When
    /// one row counted and the other refused, the one that counted is taken
    /// back, so a refused send counts nothing. A blocked or full prefix is
    /// said before a full deployment.
    async fn count_send(
        &self,
        prefix: &str,
        country: &str,
        now: DateTime<Utc>,
        limits: SendLimits,
    ) -> Result<PrefixCount>;
    /// Marks the deployment's sending paused until `until` (its window's
    /// end) unless it is already: whether this call did, so that of the
    /// sends refused in one window, on any node, one tells.
    async fn pause(&self, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool>;
    /// Counts a correct check of a code sent to `prefix` at `sent_at`, in
    /// the window it was sent in (none if that window is over).
    async fn count_verified(&self, prefix: &str, sent_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()>;
    /// Blocks `prefix` until `until`, if it is not blocked and has been
    /// blocked `strikes` times: of concurrent deciders one blocks it. Its
    /// window starts again at `now`.
    async fn block(&self, prefix: &str, strikes: u32, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool>;
    /// When `prefix`'s block ends, if it is blocked at `now`.
    async fn blocked_until(&self, prefix: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>>;
    /// The prefixes blocked at `now`, the longest-lasting first (not the
    /// deployment's row).
    async fn blocks(&self, now: DateTime<Utc>) -> Result<Vec<PrefixBlock>>;
    /// Lifts `prefix`'s block (its window starts again at `now`, its strikes
    /// stay); whether it was blocked.
    async fn unblock(&self, prefix: &str, now: DateTime<Utc>) -> Result<bool>;
}
