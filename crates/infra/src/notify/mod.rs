//! Senders behind the domain's `Notifier` port, one per provider, and the
//! [`Senders`] that routes each message to the one configured for its
//! channel.

pub mod file;
pub mod smtp;
pub mod twilio;
pub mod vonage;

use std::sync::Arc;
use std::time::Duration;

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

/// The client the HTTP providers share: TLS, and a timeout well inside the
/// courier's claim lease.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("authd/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a TLS client can be built")
}

/// The request never got an answer: worth another try.
fn transport_failure(provider: &str, e: reqwest::Error) -> SendFailure {
    let what = if e.is_timeout() { "timed out" } else { "could not be reached" };
    SendFailure::retryable(format!("{provider} {what}"))
}

/// A non-2xx answer: 429 and 5xx may pass later (honouring `Retry-After`);
/// other 4xx (bad number, bad credentials) will not. The reason keeps the
/// provider's error code and message, never our request.
async fn http_failure(provider: &str, response: reqwest::Response) -> SendFailure {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let code = body.get("code").map(|c| format!(" (code {c})")).unwrap_or_default();
    let text = body
        .get("message")
        .or_else(|| body.get("title"))
        .and_then(|m| m.as_str())
        .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
        .unwrap_or_default();
    let reason = format!("{provider} HTTP {}{code}{text}", status.as_u16());
    if status.as_u16() == 429 || status.is_server_error() {
        SendFailure { retry_after, ..SendFailure::retryable(reason) }
    } else {
        SendFailure::permanent(reason)
    }
}
