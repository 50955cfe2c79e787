//! Mail senders. The file log appends one JSON line per message and is what
//! development and the test suites read codes from.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use domain::Result;
use domain::mail::{Mail, MailKind};
use domain::ports::Mailer;

/// Appends `{at, to, subject, kind, code?, expires_at?}` lines to a file. The
/// file is opened in append mode for every message and each line goes out in
/// one `write`, so concurrent sends (and several processes) never interleave
/// or overwrite; an in-process lock orders this node's own writers.
#[derive(Clone)]
pub struct FileMailer {
    path: Arc<PathBuf>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl FileMailer {
    pub fn new(path: PathBuf) -> Self {
        Self { path: Arc::new(path), lock: Arc::default() }
    }
}

pub(crate) fn render(mail: &Mail) -> serde_json::Value {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match &mail.kind {
        MailKind::LoginCode { code, expires_at } => serde_json::json!({
            "at": at,
            "to": mail.to.as_str(),
            "subject": format!("Your authd login code: {}", code.as_str()),
            "kind": "login_code",
            "code": code.as_str(),
            "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: &Mail) -> Result<()> {
        let mut line = serde_json::to_vec(&render(mail)).map_err(domain::Error::internal)?;
        line.push(b'\n');
        let path = self.path.clone();
        let _guard = self.lock.lock().await;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut opts = std::fs::OpenOptions::new();
            opts.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            opts.open(path.as_path())?.write_all(&line)
        })
        .await
        .map_err(domain::Error::internal)?
        .map_err(domain::Error::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::otp::OtpCode;
    use domain::user::Email;

    fn mail(to: &str, code: &str) -> Mail {
        Mail {
            to: Email::parse(to).unwrap(),
            kind: MailKind::LoginCode { code: OtpCode::parse(code).unwrap(), expires_at: chrono::Utc::now() },
        }
    }

    #[tokio::test]
    async fn mail_log_appends_one_json_line_per_message_under_concurrency() {
        let dir = std::env::temp_dir().join(format!("authd-mail-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mail.log");
        std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
        let mailer = FileMailer::new(path.clone());
        let sends = (0..200).map(|i| {
            let m = mailer.clone();
            tokio::spawn(
                async move { m.send(&mail(&format!("u{i}@example.com"), &format!("{:06}", i))).await.unwrap() },
            )
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
            assert!(line["at"].is_string() && line["subject"].is_string());
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
