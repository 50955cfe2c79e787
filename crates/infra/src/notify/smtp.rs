//! Mail over SMTP (`lettre`): implicit TLS (`smtps://`), STARTTLS
//! (`smtp://…?tls=required`) or plain (`smtp://`, for a relay on the same
//! host), with the credentials in the URL. Each message is a multipart
//! text + HTML mail worded by the domain's template.

use std::time::Duration;

use async_trait::async_trait;
use domain::notify::template::render;
use domain::notify::{Channel, Message, Receipt, SendFailure};
use domain::ports::Notifier;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpNotifier {
    /// `url`: `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required`
    /// or `smtp://host:25`; `from`: `Name <address>` or an address.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("AUTHD_SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from = from.parse().map_err(|e| anyhow::anyhow!("AUTHD_MAIL_FROM is not a mail address: {e}"))?;
        Ok(Self { transport, from })
    }
}

/// 4xx answers and connection trouble may pass; 5xx answers will not.
fn failure(e: SmtpError) -> SendFailure {
    let reason = match e.status() {
        Some(code) => format!("SMTP {code}"),
        None => "SMTP server unreachable or the connection failed".to_owned(),
    };
    // The error's text may quote the server; it never holds our password.
    let reason = format!("{reason}: {}", e.to_string().chars().take(200).collect::<String>());
    if e.is_permanent() { SendFailure::permanent(reason) } else { SendFailure::retryable(reason) }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    fn channels(&self) -> Vec<Channel> {
        vec![Channel::Email]
    }

    async fn send(&self, m: &Message) -> Result<Receipt, SendFailure> {
        let to: Mailbox = m.to.parse().map_err(|e| SendFailure::permanent(format!("not a mail address: {e}")))?;
        let words = render(m);
        let mail = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(words.subject)
            .multipart(MultiPart::alternative_plain_html(words.text, words.html))
            .map_err(|e| SendFailure::permanent(format!("cannot build the mail: {e}")))?;
        let response = self.transport.send(mail).await.map_err(failure)?;
        // "250 2.0.0 Ok: queued as 4F2B81A0": the server's queue id.
        let queue_id = response.message().last().and_then(|l| l.rsplit(' ').next()).map(str::to_owned);
        Ok(Receipt { provider_id: queue_id })
    }
}
