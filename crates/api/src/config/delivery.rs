//! Delivery: who sends mail, SMS and WhatsApp messages, and how the outbox
//! retries them. [`Delivery::plan`] says which sender each channel gets,
//! checked; `boot/senders.rs` builds those senders once.

use std::path::PathBuf;

use domain::notify::{Channel, DeliveryPolicy};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::section::{section, words};

/// Who delivers a phone channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// The channel is not offered.
    None,
    /// The file log (development).
    File,
    /// Vonage's SMS API (SMS only).
    Vonage,
    /// Twilio's Messages API (SMS and WhatsApp).
    Twilio,
}

words!(Provider);

section! {
    /// Settings of the senders and of the outbox's retries.
    pub struct Delivery {
        /// `AUTHD_MAIL_LOG`: file-log mailer output; default `<data dir>/mail.log`.
        pub mail_log: Option<PathBuf> = None,
        /// `AUTHD_ALLOW_FILE_MAILER`: let production run with the file log as a sender.
        pub allow_file_mailer: bool = false,
        /// `AUTHD_SMTP_URL`: send mail over SMTP: `smtps://user:pass@host:465`,
        /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25`.
        /// Unset: mail goes to the file log.
        pub smtp_url: Option<SecretString> = None,
        /// `AUTHD_MAIL_FROM`: the sender of every mail.
        pub mail_from: String = "authd <no-reply@localhost>".into(),
        /// `AUTHD_SMS_PROVIDER`: `vonage`, `twilio`, `file` or `none`; default
        /// `file` in dev, `none` in production.
        pub sms_provider: Option<Provider> = None,
        /// `AUTHD_WHATSAPP_PROVIDER`: `twilio`, `file` or `none` (the default).
        pub whatsapp_provider: Provider = Provider::None,
        /// `AUTHD_VONAGE_API_KEY`.
        pub vonage_api_key: Option<String> = None,
        /// `AUTHD_VONAGE_API_SECRET`.
        pub vonage_api_secret: Option<SecretString> = None,
        /// `AUTHD_VONAGE_FROM`: the sender id or number SMS come from.
        pub vonage_from: Option<String> = None,
        /// `AUTHD_VONAGE_BASE_URL`.
        pub vonage_base_url: String = "https://rest.nexmo.com".into(),
        /// `AUTHD_TWILIO_ACCOUNT_SID`.
        pub twilio_account_sid: Option<String> = None,
        /// `AUTHD_TWILIO_AUTH_TOKEN`.
        pub twilio_auth_token: Option<SecretString> = None,
        /// `AUTHD_TWILIO_FROM`: the number (or Messaging Service SID `MG…`) SMS come from.
        pub twilio_from: Option<String> = None,
        /// `AUTHD_TWILIO_WHATSAPP_FROM`: the WhatsApp-enabled number messages come from.
        pub twilio_whatsapp_from: Option<String> = None,
        /// `AUTHD_TWILIO_BASE_URL`.
        pub twilio_base_url: String = "https://api.twilio.com".into(),
        /// `AUTHD_DELIVERY_POLL_MS`: how often a node looks for messages queued
        /// by other nodes or due for a retry (its own are sent at once).
        pub delivery_poll_ms: u64 = 1000,
        /// `AUTHD_DELIVERY_RETRY_BASE_MS`: wait after a message's first failed
        /// attempt; each further failure doubles it.
        pub delivery_retry_base_ms: u64 = DeliveryPolicy::default().retry_base.as_millis() as u64,
        /// `AUTHD_DELIVERY_RETRY_CAP_MS`: the longest wait between attempts.
        pub delivery_retry_cap_ms: u64 = DeliveryPolicy::default().retry_cap.as_millis() as u64,
        /// `AUTHD_DELIVERY_MAX_ATTEMPTS`: attempts before a message is given up.
        pub delivery_max_attempts: u32 = DeliveryPolicy::default().max_attempts,
    }
}

/// Who sends mail.
#[derive(Debug, Clone)]
pub enum MailSender {
    Smtp { url: SecretString, from: String },
    File,
}

/// Who sends a phone channel, with what it needs, every value present.
#[derive(Debug, Clone)]
pub enum PhoneSender {
    File,
    Vonage { base_url: String, api_key: String, api_secret: SecretString, from: String },
    Twilio { base_url: String, account_sid: String, auth_token: SecretString, from: String },
}

/// The sender of each channel; `None` for a channel that is not offered.
#[derive(Debug, Clone)]
pub struct SenderPlan {
    pub email: MailSender,
    pub sms: Option<PhoneSender>,
    pub whatsapp: Option<PhoneSender>,
}

impl Delivery {
    /// Who sends SMS: as configured, else the file log in dev and nobody in production.
    pub fn sms_provider(&self, production: bool) -> Provider {
        self.sms_provider.unwrap_or(if production { Provider::None } else { Provider::File })
    }

    /// Which sender each channel gets; every problem names its setting.
    pub fn plan(&self, production: bool) -> Result<SenderPlan, Vec<String>> {
        let mut problems = Vec::new();
        let email = match &self.smtp_url {
            Some(url) => {
                let text = url.expose_secret();
                if !(text.starts_with("smtp://") || text.starts_with("smtps://")) {
                    problems.push("AUTHD_SMTP_URL must start with smtp:// or smtps://".to_owned());
                }
                MailSender::Smtp { url: url.clone(), from: self.mail_from.clone() }
            }
            None => MailSender::File,
        };
        let sms = self.phone(Channel::Sms, self.sms_provider(production), &mut problems);
        let whatsapp = self.phone(Channel::Whatsapp, self.whatsapp_provider, &mut problems);
        if production && !self.allow_file_mailer {
            if matches!(email, MailSender::File) {
                problems.push("AUTHD_ENV=production sends two-factor codes by mail but AUTHD_SMTP_URL is not set; set it, or AUTHD_ALLOW_FILE_MAILER=true to accept the file log".into());
            }
            for (name, sender) in [("AUTHD_SMS_PROVIDER", &sms), ("AUTHD_WHATSAPP_PROVIDER", &whatsapp)] {
                if matches!(sender, Some(PhoneSender::File)) {
                    problems.push(format!("{name}=file writes codes to a file; choose a real provider in production, or set AUTHD_ALLOW_FILE_MAILER=true"));
                }
            }
        }
        if problems.is_empty() { Ok(SenderPlan { email, sms, whatsapp }) } else { Err(problems) }
    }

    fn phone(&self, channel: Channel, provider: Provider, problems: &mut Vec<String>) -> Option<PhoneSender> {
        let mut need = |name: &str, value: Option<&str>| match value.map(str::trim) {
            Some(v) if !v.is_empty() => v.to_owned(),
            _ => {
                problems.push(format!("{name} must be set for the provider chosen"));
                String::new()
            }
        };
        match provider {
            Provider::None => None,
            Provider::File => Some(PhoneSender::File),
            Provider::Vonage if channel == Channel::Sms => Some(PhoneSender::Vonage {
                base_url: self.vonage_base_url.clone(),
                api_key: need("AUTHD_VONAGE_API_KEY", self.vonage_api_key.as_deref()),
                api_secret: need("AUTHD_VONAGE_API_SECRET", self.vonage_api_secret.as_ref().map(|s| s.expose_secret()))
                    .into(),
                from: need("AUTHD_VONAGE_FROM", self.vonage_from.as_deref()),
            }),
            Provider::Vonage => {
                problems.push("AUTHD_WHATSAPP_PROVIDER cannot be vonage: WhatsApp goes through twilio".into());
                None
            }
            Provider::Twilio => {
                let from = match channel {
                    Channel::Whatsapp => need("AUTHD_TWILIO_WHATSAPP_FROM", self.twilio_whatsapp_from.as_deref()),
                    _ => need("AUTHD_TWILIO_FROM", self.twilio_from.as_deref()),
                };
                Some(PhoneSender::Twilio {
                    base_url: self.twilio_base_url.clone(),
                    account_sid: need("AUTHD_TWILIO_ACCOUNT_SID", self.twilio_account_sid.as_deref()),
                    auth_token: need(
                        "AUTHD_TWILIO_AUTH_TOKEN",
                        self.twilio_auth_token.as_ref().map(|s| s.expose_secret()),
                    )
                    .into(),
                    from,
                })
            }
        }
    }

    pub(super) fn problems(&self, production: bool, problems: &mut Vec<String>) {
        if let Err(mut more) = self.plan(production) {
            problems.append(&mut more);
        }
        if self.delivery_poll_ms == 0 || self.delivery_retry_base_ms == 0 || self.delivery_max_attempts == 0 {
            problems.push(
                "AUTHD_DELIVERY_POLL_MS, AUTHD_DELIVERY_RETRY_BASE_MS and AUTHD_DELIVERY_MAX_ATTEMPTS must be at least 1"
                    .into(),
            );
        }
        if self.delivery_retry_cap_ms < self.delivery_retry_base_ms {
            problems.push("AUTHD_DELIVERY_RETRY_CAP_MS must be at least AUTHD_DELIVERY_RETRY_BASE_MS".into());
        }
    }
}
