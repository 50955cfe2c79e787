//! Senders behind the domain's `Notifier` port, one per provider, and the
//! [`Senders`] that routes each message to the one configured for its
//! channel.

pub mod file;

use std::sync::Arc;

use async_trait::async_trait;
use domain::notify::{Channel, Message, Receipt, SendFailure};
use domain::ports::Notifier;

/// The sender for each channel; a channel without one is not offered.
#[derive(Clone, Default)]
pub struct Senders {
    pub email: Option<Arc<dyn Notifier>>,
    pub sms: Option<Arc<dyn Notifier>>,
    pub whatsapp: Option<Arc<dyn Notifier>>,
}

impl Senders {
    fn sender(&self, channel: Channel) -> Option<&Arc<dyn Notifier>> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
            Channel::Whatsapp => self.whatsapp.as_ref(),
        }
    }
}

#[async_trait]
impl Notifier for Senders {
    fn channels(&self) -> Vec<Channel> {
        Channel::ALL.into_iter().filter(|c| self.sender(*c).is_some()).collect()
    }

    async fn send(&self, m: &Message) -> Result<Receipt, SendFailure> {
        match self.sender(m.channel) {
            Some(sender) => sender.send(m).await,
            None => Err(SendFailure::permanent(format!("no sender is configured for {}", m.channel.as_str()))),
        }
    }
}
