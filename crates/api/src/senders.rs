//! Which sender delivers each channel, from the settings.

use std::sync::Arc;

use infra::notify::Senders;
use infra::notify::file::FileNotifier;

use crate::config::Settings;

/// The senders `settings` ask for. Mail goes to the file log.
pub fn build(settings: &Settings) -> anyhow::Result<Senders> {
    let file = Arc::new(FileNotifier::new(settings.mail_log()));
    Ok(Senders { email: Some(file), sms: None, whatsapp: None })
}
