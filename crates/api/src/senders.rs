//! Which sender delivers each channel, from the settings. Mail goes over
//! SMTP when `AUTHD_SMTP_URL` is set, else to the file log; SMS and WhatsApp
//! go to the provider named by `AUTHD_SMS_PROVIDER` / `AUTHD_WHATSAPP_PROVIDER`.
//! A channel without a sender is never offered to users.

use std::sync::Arc;

use anyhow::bail;
use domain::notify::Channel;
use domain::ports::Notifier;
use infra::notify::Senders;
use infra::notify::file::FileNotifier;
use infra::notify::smtp::SmtpNotifier;
use infra::notify::twilio::Twilio;
use infra::notify::vonage::VonageSms;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Provider, RunEnv, Settings};

/// The senders `settings` ask for; an error names the missing setting.
pub fn build(settings: &Settings) -> anyhow::Result<Senders> {
    let file: Arc<dyn Notifier> = Arc::new(FileNotifier::new(settings.mail_log()));
    let email: Arc<dyn Notifier> = match &settings.smtp_url {
        Some(url) => Arc::new(SmtpNotifier::new(url.expose_secret(), &settings.mail_from)?),
        None => file.clone(),
    };
    let phone = |channel: Channel, provider: Provider| -> anyhow::Result<Option<Arc<dyn Notifier>>> {
        Ok(match provider {
            Provider::None => None,
            Provider::File => Some(file.clone()),
            Provider::Vonage if channel == Channel::Sms => Some(Arc::new(VonageSms::new(
                &settings.vonage_base_url,
                required("AUTHD_VONAGE_API_KEY", &settings.vonage_api_key)?,
                required_secret("AUTHD_VONAGE_API_SECRET", &settings.vonage_api_secret)?,
                required("AUTHD_VONAGE_FROM", &settings.vonage_from)?,
            ))),
            Provider::Vonage => bail!("AUTHD_WHATSAPP_PROVIDER cannot be vonage: WhatsApp goes through twilio"),
            Provider::Twilio => {
                let from = match channel {
                    Channel::Whatsapp => required("AUTHD_TWILIO_WHATSAPP_FROM", &settings.twilio_whatsapp_from)?,
                    _ => required("AUTHD_TWILIO_FROM", &settings.twilio_from)?,
                };
                Some(Arc::new(Twilio::new(
                    &settings.twilio_base_url,
                    required("AUTHD_TWILIO_ACCOUNT_SID", &settings.twilio_account_sid)?,
                    required_secret("AUTHD_TWILIO_AUTH_TOKEN", &settings.twilio_auth_token)?,
                    channel,
                    from,
                )))
            }
        })
    };
    Ok(Senders {
        email: Some(email),
        sms: phone(Channel::Sms, settings.sms_provider())?,
        whatsapp: phone(Channel::Whatsapp, settings.whatsapp_provider)?,
    })
}

fn required(name: &str, value: &Option<String>) -> anyhow::Result<String> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => bail!("{name} must be set for the provider chosen"),
    }
}

fn required_secret(name: &str, value: &Option<SecretString>) -> anyhow::Result<SecretString> {
    match value {
        Some(v) if !v.expose_secret().trim().is_empty() => Ok(v.clone()),
        _ => bail!("{name} must be set for the provider chosen"),
    }
}

/// Whether production may run with these senders: the file log stands in
/// for a real sender only with `AUTHD_ALLOW_FILE_MAILER=true`.
pub fn check_production(settings: &Settings) -> anyhow::Result<()> {
    if settings.env != RunEnv::Production || settings.allow_file_mailer {
        return Ok(());
    }
    if settings.smtp_url.is_none() {
        bail!(
            "AUTHD_ENV=production sends two-factor codes by mail but AUTHD_SMTP_URL is not set; set it, or AUTHD_ALLOW_FILE_MAILER=true to accept the file log"
        );
    }
    for (name, provider) in
        [("AUTHD_SMS_PROVIDER", settings.sms_provider()), ("AUTHD_WHATSAPP_PROVIDER", settings.whatsapp_provider)]
    {
        if provider == Provider::File {
            bail!(
                "{name}=file writes codes to a file; choose a real provider in production, or set AUTHD_ALLOW_FILE_MAILER=true"
            );
        }
    }
    Ok(())
}
