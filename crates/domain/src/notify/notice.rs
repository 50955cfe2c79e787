//! Notices: mail without a code (the address was changed, the password was
//! reset), queued in the outbox like every message and sent by the courier
//! with its retries. A notice not sent within a day is given up.

use std::sync::Arc;
use std::time::Duration;

use super::delivery::{Delivery, sealed_payload};
use super::message::{Channel, MessageKind};
use crate::clock::{Clock, after};
use crate::error::Result;
use crate::ports::{Outbox, SecretSealer};
use crate::rng::Rng;
use crate::user::UserId;

/// How long a notice may wait for its sender.
const NOTICE_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct Notices {
    pub(crate) outbox: Arc<dyn Outbox>,
    pub(crate) sealer: Arc<dyn SecretSealer>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
}

impl Notices {
    /// Queues a notice of `kind` about `user`, by mail to `to`.
    pub(crate) async fn send(&self, user: UserId, to: &str, kind: MessageKind) -> Result<()> {
        debug_assert!(!kind.carries_code(), "a notice carries no code");
        let now = self.clock.now();
        let id = self.rng.uuid_v7(now);
        // Sealed like every row's payload (empty: no code, no token), so the
        // courier reads every row one way.
        let sealed = self.sealer.seal(sealed_payload(None, None).as_bytes(), id.as_bytes())?;
        let expires = after(now, NOTICE_TTL);
        let delivery = Delivery::queued(id, Some(user), Channel::Email, to.to_owned(), kind, sealed, expires, now);
        self.outbox.queue(&delivery).await
    }
}
