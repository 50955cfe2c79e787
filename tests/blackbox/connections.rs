//! Connections: slow, idle and surplus clients cannot hold the server, and
//! SIGTERM finishes what is in flight. Raw sockets, since an HTTP client
//! would not misbehave on purpose.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{Server, local_only, reply};

/// Reads until the server closes the connection, at most `limit`: what it
/// sent, or None if the connection is still open.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.ok().map(|()| String::from_utf8_lossy(&got).into_owned())
}

/// Reads one answer whose body has a Content-Length: head and body.
async fn answer(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().to_owned()))
                .map_or(0, |v| v.parse::<usize>().unwrap());
            if got.len() >= end + 4 + length {
                return text;
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("an answer within 20 s")
            .expect("read");
        assert!(n > 0, "closed before a whole answer: {text:?}");
        got.extend_from_slice(&buf[..n]);
    }
}

const LIVE: &[u8] = b"GET /health/live HTTP/1.1\r\nHost: authd\r\n\r\n";

#[tokio::test]
async fn a_request_head_sent_a_byte_a_second_is_cut_off_at_the_header_timeout_and_other_clients_are_served() {
    local_only!("needs a 2 s header timeout");
    let s = Server::start_with(&[("AUTHD_HEADER_TIMEOUT_MS", "2000")]).await;
    let mut silent = TcpStream::connect(s.addr()).await.unwrap();
    let slow = TcpStream::connect(s.addr()).await.unwrap();
    let (mut from_slow, mut to_slow) = slow.into_split();
    let closed = tokio::spawn(async move {
        let mut got = Vec::new();
        let _ = from_slow.read_to_end(&mut got).await;
        got
    });
    // 60 bytes at one a second: whole after a minute, were it waited for.
    let head = b"GET /health/live HTTP/1.1\r\nHost: authd\r\nX-Slow: 0123456789\r\n\r\n";
    let started = Instant::now();
    let mut sent = 0;
    while !closed.is_finished() {
        assert!(sent < head.len(), "the whole head went through: the slow client was waited for");
        if to_slow.write_all(&head[sent..=sent]).await.is_err() {
            break;
        }
        sent += 1;
        assert_eq!(s.http.get(s.url("/health/live")).send().await.unwrap().status(), 200, "another client is served");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let got = closed.await.unwrap();
    assert!(got.is_empty(), "a cut-off head gets no answer: {:?}", String::from_utf8_lossy(&got));
    println!("slow head cut off after {:?} and {sent} bytes", started.elapsed());
    assert!(sent < 20, "cut off only after {sent} bytes at one a second; the header timeout is 2 s");
    assert!(
        closed_within(&mut silent, Duration::from_secs(10)).await.is_some_and(|got| got.is_empty()),
        "a connection that never sent a byte is closed by the header timeout too"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    local_only!("needs a 1 s keep-alive timeout");
    let s = Server::start_with(&[("AUTHD_KEEP_ALIVE_TIMEOUT_MS", "1000"), ("AUTHD_HEADER_TIMEOUT_MS", "60000")]).await;
    let mut c = TcpStream::connect(s.addr()).await.unwrap();
    for _ in 0..2 {
        c.write_all(LIVE).await.unwrap();
        let a = answer(&mut c).await;
        assert!(a.starts_with("HTTP/1.1 200"), "{a}");
        assert!(!a.to_ascii_lowercase().contains("connection: close"), "kept alive between requests: {a}");
    }
    // The 60 s header timeout cannot be what closes it within 20 s.
    let rest = closed_within(&mut c, Duration::from_secs(20)).await;
    assert_eq!(rest.as_deref(), Some(""), "an idle connection closes, without an answer, after the keep-alive timeout");
}

#[tokio::test]
async fn a_body_slower_than_the_body_timeout_is_answered_408_and_the_connection_closed() {
    local_only!("needs a 1 s body timeout");
    let s = Server::start_with(&[("AUTHD_BODY_TIMEOUT_MS", "1000")]).await;
    let mut c = TcpStream::connect(s.addr()).await.unwrap();
    c.write_all(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: authd\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":",
    )
    .await
    .unwrap();
    let got = closed_within(&mut c, Duration::from_secs(20)).await.expect("closed after the 408");
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("application/problem+json") && got.contains(r#""code":"request_timeout""#), "{got}");
}

#[tokio::test]
async fn connections_past_the_limit_are_answered_503_and_a_freed_place_is_taken_again() {
    local_only!("needs a limit of 3 connections");
    let s = Server::start_with(&[("AUTHD_MAX_CONNECTIONS", "3")]).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = TcpStream::connect(s.addr()).await.unwrap();
        c.write_all(LIVE).await.unwrap();
        assert!(answer(&mut c).await.starts_with("HTTP/1.1 200"));
        held.push(c);
    }
    let fresh = || reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let refused = reply(fresh().get(s.url("/health/live")).send().await.unwrap()).await;
    refused.problem(503, "too_many_connections");
    assert_eq!(refused.header("retry-after"), Some("1"));
    drop(held.pop());
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let r = reply(fresh().get(s.url("/health/live")).send().await.unwrap()).await;
        if r.status == 200 {
            break;
        }
        assert!(Instant::now() < until, "a closed connection's place was not given back: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A connection to `s` from the loopback address `from` (127.0.0.x: Linux
/// routes all of 127/8 to the loopback, so the server sees another client).
async fn connect_from(s: &Server, from: &str) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(s.addr()).await.unwrap()
}

/// The first line and detail of the answer to a health check on `c`.
async fn live(c: &mut TcpStream) -> String {
    c.write_all(LIVE).await.unwrap();
    answer(c).await
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections_and_others_are_served() {
    local_only!("needs its own connection limits");
    let s = Server::start_with(&[("AUTHD_MAX_CONNECTIONS_PER_ADDRESS", "5")]).await;
    let mut held = Vec::new();
    for _ in 0..5 {
        let mut c = connect_from(&s, "127.0.0.1").await;
        assert!(live(&mut c).await.starts_with("HTTP/1.1 200"));
        held.push(c);
    }
    let mut sixth = connect_from(&s, "127.0.0.1").await;
    let refused = live(&mut sixth).await;
    assert!(refused.starts_with("HTTP/1.1 503") && refused.contains("too_many_connections"), "{refused}");
    assert!(refused.contains("Your address has as many connections open as one address may"), "{refused}");
    let mut other = connect_from(&s, "127.0.0.2").await;
    assert!(live(&mut other).await.starts_with("HTTP/1.1 200"), "another address is served");
    drop(held.pop());
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = connect_from(&s, "127.0.0.1").await;
        if live(&mut again).await.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < until, "a closed connection's place was not given back to its address");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_last_places_are_kept_for_an_address_with_no_connection_open() {
    local_only!("needs its own connection limits");
    // 100 places, the last one reserved; no bound per address.
    let s = Server::start_with(&[("AUTHD_MAX_CONNECTIONS", "100"), ("AUTHD_MAX_CONNECTIONS_PER_ADDRESS", "0")]).await;
    let mut greedy = Vec::new();
    for _ in 0..99 {
        let mut c = connect_from(&s, "127.0.0.1").await;
        assert!(live(&mut c).await.starts_with("HTTP/1.1 200"));
        greedy.push(c);
    }
    let mut more = connect_from(&s, "127.0.0.1").await;
    let refused = live(&mut more).await;
    assert!(refused.contains("last places are kept for other clients"), "{refused}");
    let mut health = connect_from(&s, "127.0.0.2").await;
    assert!(live(&mut health).await.starts_with("HTTP/1.1 200"), "a health check from elsewhere gets in");
    let mut full = connect_from(&s, "127.0.0.3").await;
    let refused = live(&mut full).await;
    assert!(refused.contains("The server has as many connections open as it allows"), "{refused}");
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_closes_idle_and_half_sent_ones_at_once_and_exits_0() {
    local_only!("sends SIGTERM to its own server");
    let mut s = Server::start_with(&[
        ("AUTHD_SHUTDOWN_GRACE_MS", "60000"),
        ("AUTHD_HEADER_TIMEOUT_MS", "60000"),
        ("AUTHD_RATE_TOKEN_PER_MINUTE", "0"),
    ])
    .await;
    let user = s.register("drain", false).await;
    let login = json!({ "username": user.username, "password": user.password }).to_string();

    // In flight: a login whose body the server has asked for (100 Continue).
    let mut busy = TcpStream::connect(s.addr()).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nHost: authd\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        login.len()
    );
    busy.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = busy.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 100 Continue"), "{:?}", String::from_utf8_lossy(&buf[..n]));
    // Idle: answered, waiting for its next request.
    let mut idle = TcpStream::connect(s.addr()).await.unwrap();
    idle.write_all(LIVE).await.unwrap();
    answer(&mut idle).await;
    // Half-sent: a head that never ends.
    let mut half = TcpStream::connect(s.addr()).await.unwrap();
    half.write_all(b"GET /health/live HTTP/1.1\r\nHo").await.unwrap();

    s.terminate();
    // Both close at once: the 60 s header timeout and grace cannot be why.
    for (name, c) in [("idle", &mut idle), ("half-sent", &mut half)] {
        let rest = closed_within(c, Duration::from_secs(20)).await;
        assert_eq!(rest.as_deref(), Some(""), "the {name} connection closes without an answer on SIGTERM");
    }
    busy.write_all(login.as_bytes()).await.unwrap();
    let a = answer(&mut busy).await;
    assert!(a.starts_with("HTTP/1.1 200") && a.contains("access_token"), "the login in flight is answered: {a}");
    let status = s.exited_within(Duration::from_secs(20)).await.expect("authd exits once its last request is answered");
    assert!(status.success(), "exit status {status:?}");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn out_of_file_descriptors_accepting_waits_and_warns_once_and_serves_again_when_some_close() {
    local_only!("lowers the open-file limit of a server it starts");
    let s = Server::start_with(&[("AUTHD_MAX_CONNECTIONS", "1000"), ("AUTHD_HEADER_TIMEOUT_MS", "60000")]).await;
    // A few descriptors above what authd holds now: its accepts soon fail with EMFILE.
    let pid = s.pid();
    let open = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count() as u64;
    let limit = libc::rlimit { rlim_cur: open + 4, rlim_max: open + 4 };
    // SAFETY: prlimit reads the one struct passed; the pid is our own child's.
    let set = unsafe { libc::prlimit(pid as libc::pid_t, libc::RLIMIT_NOFILE, &limit, std::ptr::null_mut()) };
    assert_eq!(set, 0, "prlimit on authd");
    let mut held = Vec::new();
    for _ in 0..40 {
        held.push(TcpStream::connect(s.addr()).await.unwrap());
    }
    s.log_line("the accept failure", |l| l["fields"]["message"] == "cannot accept connections").await;
    tokio::time::sleep(Duration::from_millis(500)).await; // a spinning accept loop would warn again and again
    let warnings = s.log_lines().iter().filter(|l| l["fields"]["message"] == "cannot accept connections").count();
    assert_eq!(warnings, 1, "the accept failure is warned once in 10 s, not on every retry");
    drop(held);
    let fresh =
        || reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(2)).build().unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = fresh().get(s.url("/health/live")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(Instant::now() < until, "authd did not serve again once connections closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_client_opening_in_http2_is_told_http_1_1_is_required_and_an_h2c_upgrade_is_answered_in_http_1_1() {
    let s = Server::start().await;
    // Prior knowledge (RFC 9113 §3.3): the preface, then the client's SETTINGS.
    let mut c = TcpStream::connect(s.addr()).await.unwrap();
    c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await.unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the connection is closed after the refusal");
    assert!(got.len() >= 18 + 8, "a SETTINGS and a GOAWAY frame, not a closed connection with no bytes: {got:?}");
    assert_eq!(&got[..9], &[0, 0, 0, 0x4, 0, 0, 0, 0, 0], "the server preface: an empty SETTINGS frame");
    let goaway = &got[9..];
    assert_eq!(goaway[3], 0x7, "then a GOAWAY: {got:?}");
    assert_eq!(u32::from_be_bytes(goaway[13..17].try_into().unwrap()), 0xd, "HTTP_1_1_REQUIRED");
    assert_eq!(String::from_utf8_lossy(&goaway[17..]), "authd serves HTTP/1.1");

    // An upgrade request (RFC 9110 §7.8) is answered in HTTP/1.1 as if it had not asked.
    let mut c = TcpStream::connect(s.addr()).await.unwrap();
    c.write_all(
        b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\
          HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
    )
    .await
    .unwrap();
    let said = answer(&mut c).await;
    assert!(said.starts_with("HTTP/1.1 200"), "{said}");
    assert!(!said.to_ascii_lowercase().contains("upgrade: h2c"), "{said}");
}

/// A request head through a proxy at 127.0.0.1 for the client `client`,
/// its body not sent yet: the request is in flight until the body comes.
async fn half_sent_through_proxy(s: &Server, client: &str) -> TcpStream {
    let mut c = connect_from(s, "127.0.0.1").await;
    let head = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: {client}\r\n\
         Content-Type: application/json\r\nContent-Length: 64\r\n\r\n"
    );
    c.write_all(head.as_bytes()).await.unwrap();
    c
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_holds_at_most_its_share_of_requests_in_flight() {
    local_only!("needs its own proxy and connection settings");
    let s = Server::start_with(&[
        ("AUTHD_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("AUTHD_MAX_CONNECTIONS_PER_ADDRESS", "2"),
        ("AUTHD_RATE_TOKEN_PER_MINUTE", "0"),
    ])
    .await;
    let user = s.register("forwarded", false).await;
    // The proxy's own connections are exempt; the client behind it is not.
    let first = half_sent_through_proxy(&s, "203.0.113.7").await;
    let _second = half_sent_through_proxy(&s, "203.0.113.7").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = connect_from(&s, "127.0.0.1").await;
    let login = json!({"username": user.username, "password": user.password}).to_string();
    let request = |client: &str| {
        format!(
            "POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: {client}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{login}",
            login.len()
        )
    };
    third.write_all(request("203.0.113.7").as_bytes()).await.unwrap();
    let refused = answer(&mut third).await;
    assert!(refused.starts_with("HTTP/1.1 503") && refused.contains("too_many_connections"), "{refused}");
    assert!(refused.contains("203.0.113.7 has as many requests in flight through the proxy"), "{refused}");
    assert!(refused.to_ascii_lowercase().contains("retry-after: 1"), "{refused}");
    // Another client behind the same proxy logs in meanwhile.
    let mut other = connect_from(&s, "127.0.0.1").await;
    other.write_all(request("198.51.100.1").as_bytes()).await.unwrap();
    let served = answer(&mut other).await;
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    // A request that ends gives its place back.
    drop(first);
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = connect_from(&s, "127.0.0.1").await;
        again.write_all(request("203.0.113.7").as_bytes()).await.unwrap();
        if answer(&mut again).await.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < until, "an ended request's place was not given back to its address");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
