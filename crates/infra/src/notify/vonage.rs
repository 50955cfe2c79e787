//! SMS through Vonage's SMS API (`POST {base}/sms/json`, form-encoded,
//! `api_key` and `api_secret` in the form). Vonage answers 200 even when it
//! refuses a message; the refusal is the message's `status`.

use async_trait::async_trait;
use domain::notify::template::render;
use domain::notify::{Channel, Message, Receipt, SendFailure};
use domain::ports::Notifier;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{http_client, http_failure, transport_failure};

pub struct VonageSms {
    http: reqwest::Client,
    url: String,
    api_key: String,
    api_secret: SecretString,
    from: String,
}

impl VonageSms {
    /// `base_url`: `https://rest.nexmo.com`, or a local fake in tests.
    pub fn new(base_url: &str, api_key: String, api_secret: SecretString, from: String) -> Self {
        let url = format!("{}/sms/json", base_url.trim_end_matches('/'));
        Self { http: http_client(), url, api_key, api_secret, from }
    }
}

#[derive(Deserialize)]
struct Answer {
    messages: Vec<Part>,
}

#[derive(Deserialize)]
struct Part {
    status: String,
    #[serde(rename = "message-id")]
    message_id: Option<String>,
    #[serde(rename = "error-text")]
    error_text: Option<String>,
}

/// Vonage's per-message statuses that may pass on a later try: throttled (1),
/// internal error (5), communication failed (7).
fn retryable_status(status: &str) -> bool {
    matches!(status, "1" | "5" | "7")
}

#[async_trait]
impl Notifier for VonageSms {
    fn channels(&self) -> Vec<Channel> {
        vec![Channel::Sms]
    }

    async fn send(&self, m: &Message) -> Result<Receipt, SendFailure> {
        let text = render(m).text;
        // Vonage wants the number without its "+".
        let to = m.to.trim_start_matches('+');
        let form = [
            ("api_key", self.api_key.as_str()),
            ("api_secret", self.api_secret.expose_secret()),
            ("from", self.from.as_str()),
            ("to", to),
            ("text", text.as_str()),
        ];
        let response =
            self.http.post(&self.url).form(&form).send().await.map_err(|e| transport_failure("Vonage", e))?;
        if !response.status().is_success() {
            return Err(http_failure("Vonage", response).await);
        }
        let answer: Answer =
            response.json().await.map_err(|e| SendFailure::retryable(format!("Vonage: unreadable answer: {e}")))?;
        let part = answer
            .messages
            .into_iter()
            .next()
            .ok_or_else(|| SendFailure::retryable("Vonage: no message in the answer"))?;
        if part.status != "0" {
            let text = part.error_text.unwrap_or_default().chars().take(200).collect::<String>();
            let reason = format!("Vonage status {}: {text}", part.status);
            return Err(if retryable_status(&part.status) {
                SendFailure::retryable(reason)
            } else {
                SendFailure::permanent(reason)
            });
        }
        Ok(Receipt { provider_id: part.message_id })
    }
}
