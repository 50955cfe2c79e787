//! `PrefixBlocks`: administrators see which destination prefixes the SMS
//! guard blocked, and lift a block they judge wrong (an event in their
//! history names it). The block's strikes stay, so a prefix blocked again
//! is blocked for longer.

use std::sync::Arc;

use crate::admin::Admin;
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ports::{PrefixBlock, SmsGuardStore};
use crate::session::Caller;

#[derive(Clone)]
pub struct PrefixBlocks {
    pub(crate) store: Arc<dyn SmsGuardStore>,
    pub(crate) admin: Admin,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
}

/// A prefix as an admin writes it (`+2376712` or `2376712`), as stored.
fn prefix_word(raw: &str) -> Result<String> {
    let digits = raw.trim().trim_start_matches('+');
    if !(2..=12).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        let reason = "must be + and 2 to 12 digits, like +2376712".into();
        return Err(Error::InvalidField { field: "prefix", reason });
    }
    Ok(format!("+{digits}"))
}

impl PrefixBlocks {
    /// The prefixes blocked now, the longest-lasting first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<PrefixBlock>> {
        self.admin.require_admin(caller).await?;
        self.store.blocks(self.clock.now()).await
    }

    /// Lifts `prefix`'s block; `BlockNotFound` when it is not blocked.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn lift(&self, caller: &Caller, prefix: &str) -> Result<()> {
        let admin = self.admin.require_admin(caller).await?;
        let prefix = prefix_word(prefix)?;
        if !self.store.unblock(&prefix, self.clock.now()).await? {
            return Err(Error::BlockNotFound);
        }
        self.audit.record(admin.id, Some(admin.id), EventKind::FraudPrefixUnblocked, &[("prefix", prefix.into())]).await
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_word;

    #[test]
    fn a_prefix_is_written_with_or_without_its_plus_and_digits_alone() {
        assert_eq!(prefix_word("+2376712").unwrap(), "+2376712");
        assert_eq!(prefix_word(" 2376712 ").unwrap(), "+2376712");
        for bad in ["", "+", "+1", "+23767a2", "+1234567890123", "++"] {
            assert!(prefix_word(bad).is_err(), "{bad:?}");
        }
        assert_eq!(prefix_word("+12").unwrap(), "+12");
    }
}
