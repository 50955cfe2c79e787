//! The senders of each channel, built once from the checked plan of the
//! settings (`config::delivery`): mail over SMTP or to the file log; SMS and
//! WhatsApp through the provider chosen. A channel without a sender is
//! never offered to users.

use std::sync::Arc;

use domain::notify::Channel;
use domain::ports::Notifier;
use infra::notify::Senders;
use infra::notify::file::FileNotifier;
use infra::notify::smtp::SmtpNotifier;
use infra::notify::twilio::Twilio;
use infra::notify::vonage::VonageSms;
use secrecy::ExposeSecret;

use crate::config::{MailSender, PhoneSender, Settings};

/// The senders `settings` ask for; an error names the setting at fault.
pub fn build(settings: &Settings) -> anyhow::Result<Senders> {
    let plan = settings.senders()?;
    let file: Arc<dyn Notifier> = Arc::new(FileNotifier::new(settings.mail_log()));
    let email: Arc<dyn Notifier> = match plan.email {
        MailSender::Smtp { url, from } => Arc::new(SmtpNotifier::new(url.expose_secret(), &from)?),
        MailSender::File => file.clone(),
    };
    let phone = |channel: Channel, sender: Option<PhoneSender>| -> Option<Arc<dyn Notifier>> {
        Some(match sender? {
            PhoneSender::File => file.clone(),
            PhoneSender::Vonage { base_url, api_key, api_secret, from } => {
                Arc::new(VonageSms::new(&base_url, api_key, api_secret, from))
            }
            PhoneSender::Twilio { base_url, account_sid, auth_token, from } => {
                Arc::new(Twilio::new(&base_url, account_sid, auth_token, channel, from))
            }
        })
    };
    Ok(Senders {
        email: Some(email),
        sms: phone(Channel::Sms, plan.sms),
        whatsapp: phone(Channel::Whatsapp, plan.whatsapp),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_sends_everything_but_whatsapp_to_the_file_log_by_default() {
        let senders = build(&Settings::default()).unwrap();
        assert_eq!(senders.channels(), [Channel::Email, Channel::Sms]);
    }

    #[test]
    fn a_smtp_url_lettre_cannot_use_is_refused_naming_the_setting() {
        let mut s = Settings::default();
        s.delivery.smtp_url = Some("smtp://[::1".into());
        assert!(build(&s).err().expect("refused").to_string().contains("AUTHD_SMTP_URL"));
    }
}
