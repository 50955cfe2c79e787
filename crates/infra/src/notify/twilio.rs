//! SMS and WhatsApp through Twilio's Messages API
//! (`POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded,
//! HTTP basic auth with the account SID and auth token). WhatsApp is the
//! same call with both numbers prefixed `whatsapp:`.

use async_trait::async_trait;
use domain::notify::template::render;
use domain::notify::{Channel, Message, Receipt, SendFailure};
use domain::ports::Notifier;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{http_client, http_failure, transport_failure};

pub struct Twilio {
    http: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: SecretString,
    channel: Channel,
    /// A number, or (for SMS) a Messaging Service SID `MG…`.
    from: String,
}

impl Twilio {
    /// A sender for one channel, `Sms` or `Whatsapp`. `base_url`:
    /// `https://api.twilio.com`, or a local fake in tests.
    pub fn new(base_url: &str, account_sid: String, auth_token: SecretString, channel: Channel, from: String) -> Self {
        let url = format!("{}/2010-04-01/Accounts/{account_sid}/Messages.json", base_url.trim_end_matches('/'));
        Self { http: http_client(), url, account_sid, auth_token, channel, from }
    }

    fn address(&self, number: &str) -> String {
        match self.channel {
            Channel::Whatsapp => format!("whatsapp:{number}"),
            _ => number.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

#[async_trait]
impl Notifier for Twilio {
    fn channels(&self) -> Vec<Channel> {
        vec![self.channel]
    }

    async fn send(&self, m: &Message) -> Result<Receipt, SendFailure> {
        let body = render(m).text;
        let to = self.address(&m.to);
        let from_key = if self.from.starts_with("MG") { "MessagingServiceSid" } else { "From" };
        let from = if from_key == "From" { self.address(&self.from) } else { self.from.clone() };
        let form = [("To", to.as_str()), (from_key, from.as_str()), ("Body", body.as_str())];
        let response = self
            .http
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_failure("Twilio", e))?;
        if !response.status().is_success() {
            return Err(http_failure("Twilio", response).await);
        }
        let created: Created =
            response.json().await.map_err(|e| SendFailure::retryable(format!("Twilio: unreadable answer: {e}")))?;
        Ok(Receipt { provider_id: Some(created.sid) })
    }
}
