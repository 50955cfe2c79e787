//! The file log: the development sender, and what the test suites read
//! codes from. One JSON line per message, every channel:
//! `{at, channel, to, kind, subject, code, expires_at}` (no `code` for a
//! notice), and `link` (the whole URL) for a message that carries one.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use domain::notify::template::render;
use domain::notify::{Channel, Message, Receipt, SendFailure};
use domain::ports::Notifier;

/// Appends a line per message to a file. The file is opened in append mode
/// for every message and each line goes out in one `write`, so concurrent
/// sends (and several processes) never interleave or overwrite; an
/// in-process lock orders this node's own writers.
#[derive(Clone)]
pub struct FileNotifier {
    path: Arc<PathBuf>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl FileNotifier {
    pub fn new(path: PathBuf) -> Self {
        Self { path: Arc::new(path), lock: Arc::default() }
    }
}

pub(crate) fn line(m: &Message) -> serde_json::Value {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut line = serde_json::json!({
        "at": at,
        "channel": m.channel.as_str(),
        "to": m.to,
        "kind": m.kind.as_str(),
        "subject": render(m).subject,
        "expires_at": m.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if let Some(code) = &m.code {
        line["code"] = code.as_str().into();
    }
    if let Some(link) = &m.link {
        line["link"] = link.as_str().into();
    }
    line
}

#[async_trait]
impl Notifier for FileNotifier {
    fn channels(&self) -> Vec<Channel> {
        Channel::ALL.to_vec()
    }

    async fn send(&self, m: &Message) -> Result<Receipt, SendFailure> {
        let mut bytes = serde_json::to_vec(&line(m)).map_err(|e| SendFailure::permanent(e.to_string()))?;
        bytes.push(b'\n');
        let path = self.path.clone();
        let _guard = self.lock.lock().await;
        let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut opts = std::fs::OpenOptions::new();
            opts.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            opts.open(path.as_path())?.write_all(&bytes)
        })
        .await;
        match written {
            Ok(Ok(())) => Ok(Receipt::default()),
            // A full disk or a moved file may come right again.
            Ok(Err(e)) => Err(SendFailure::retryable(format!("cannot append to the mail log: {e}"))),
            Err(e) => Err(SendFailure::retryable(format!("the mail log writer stopped: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::notify::MessageKind;
    use domain::otp::OtpCode;

    fn message(channel: Channel, to: &str, code: &str) -> Message {
        Message {
            channel,
            to: to.into(),
            kind: MessageKind::LoginCode,
            code: Some(OtpCode::parse_digits(code, code.len() as u32, "code").unwrap()),
            link: None,
            expires_at: chrono::Utc::now(),
            sender: None,
        }
    }

    #[tokio::test]
    async fn the_log_appends_one_json_line_per_message_on_every_channel_under_concurrency() {
        let dir = std::env::temp_dir().join(format!("authd-mail-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mail.log");
        std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
        let log = FileNotifier::new(path.clone());
        let sends = (0..200).map(|i| {
            let log = log.clone();
            let channel = Channel::ALL[i % 3];
            tokio::spawn(async move {
                log.send(&message(channel, &format!("u{i}@example.com"), &format!("{:06}", i))).await.unwrap()
            })
        });
        for s in sends {
            s.await.unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 201, "earlier content kept, one line per mail");
        for i in 0..200 {
            let to = format!("u{i}@example.com");
            let line = lines.iter().find(|l| l["to"] == to).unwrap();
            assert_eq!(line["code"], format!("{:06}", i));
            assert_eq!(line["kind"], "login_code");
            assert_eq!(line["channel"], Channel::ALL[i % 3].as_str());
            assert!(line["at"].is_string() && line["subject"].is_string());
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_message_with_a_link_logs_the_whole_link_beside_its_code() {
        let mut m = message(Channel::Email, "ada@example.com", "01234567");
        m.kind = MessageKind::EmailVerification;
        m.link = Some("https://id.example.com/ui/verify-email?token=00ff".into());
        let l = line(&m);
        assert_eq!((l["kind"].as_str(), l["code"].as_str()), (Some("email_verification"), Some("01234567")));
        assert_eq!(l["link"], "https://id.example.com/ui/verify-email?token=00ff");
        assert!(line(&message(Channel::Sms, "+14155550100", "123456")).get("link").is_none());
    }
}
