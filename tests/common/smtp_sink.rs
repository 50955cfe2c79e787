//! A real SMTP server for tests, in process on 127.0.0.1:0: the `mailin`
//! crate speaks the protocol (EHLO, AUTH PLAIN, MAIL, RCPT, DATA), this
//! file only moves lines over tokio sockets. It keeps every accepted mail,
//! can require credentials, refuse the next N mails with a 451, and answer
//! slowly, like a provider under load.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One accepted mail: envelope recipients and the raw message.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    refuse_next: AtomicUsize,
    /// DATA transactions the sink answered, accepted or refused.
    attempts: AtomicUsize,
    credentials: Option<(String, String)>,
    delay: Duration,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl SmtpSink {
    /// A sink that takes mail from anyone.
    pub async fn start() -> Self {
        Self::start_with(None, Duration::ZERO).await
    }

    /// A sink that wants AUTH PLAIN with these credentials (when given) and
    /// waits `delay` before answering each message's end of data.
    pub async fn start_with(credentials: Option<(&str, &str)>, delay: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let state = Arc::new(State {
            credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
            delay,
            ..State::default()
        });
        let sink = Self { addr: listener.local_addr().unwrap(), state };
        let accept = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, peer)) = listener.accept().await {
                let sink = accept.clone();
                tokio::spawn(async move {
                    let _ = sink.session(socket, peer).await;
                });
            }
        });
        sink
    }

    /// `smtp://` URL of this sink, with `user:password@` when given.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((u, p)) => format!("smtp://{u}:{p}@{}", self.addr),
            None => format!("smtp://{}", self.addr),
        }
    }

    /// The next `n` mails get "451 try again later" (at RCPT, as greylisting does).
    pub fn refuse_next(&self, n: usize) {
        self.state.refuse_next.store(n, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Mails offered (recipients given), accepted or refused.
    pub fn attempts(&self) -> usize {
        self.state.attempts.load(Ordering::SeqCst)
    }

    async fn session(&self, socket: tokio::net::TcpStream, peer: SocketAddr) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        let mut builder = SessionBuilder::new("sink.test");
        if self.state.credentials.is_some() {
            builder.enable_auth(mailin::AuthMechanism::Plain).insecure_enable_plaintext_auth();
        }
        let handler = Mail { state: self.state.clone(), to: vec![], data: vec![] };
        let mut session = builder.build(peer.ip(), handler);
        write.write_all(&session.greeting().buffer()?).await?;
        let mut line = Vec::new();
        loop {
            line.clear();
            if lines.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            // A slow server: the mail is taken (and counted as received)
            // only after the delay.
            if line == b".\r\n" && !self.state.delay.is_zero() {
                tokio::time::sleep(self.state.delay).await;
            }
            let response = session.process(&line);
            match response.action {
                Action::Reply => write.write_all(&response.buffer()?).await?,
                Action::Close => {
                    write.write_all(&response.buffer()?).await?;
                    return Ok(());
                }
                _ => {}
            }
        }
    }
}

struct Mail {
    state: Arc<State>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Mail {
    fn rcpt(&mut self, _to: &str) -> Response {
        // Greylisting-style: a temporary refusal of the recipient.
        self.state.attempts.fetch_add(1, Ordering::SeqCst);
        let refuse =
            self.state.refuse_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if refuse { Response::custom(451, "try again later".into()) } else { mailin::response::OK }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mut received = self.state.received.lock().unwrap();
        received.push(Received { to: self.to.clone(), data: String::from_utf8_lossy(&self.data).into_owned() });
        Response::custom(250, format!("OK queued as SINK{}", received.len()))
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        match &self.state.credentials {
            Some((u, p)) if u == user && p == password => mailin::response::AUTH_OK,
            _ => mailin::response::INVALID_CREDENTIALS,
        }
    }
}
