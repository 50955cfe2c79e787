//! Codes reach people through a real SMTP server, in the background: a
//! login never waits on the provider, an outage delays a code without
//! losing it, and two nodes on one database send each message once.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Server, local_only};
use crate::smtp_sink::SmtpSink;

/// The six-digit code in a mail's text.
fn code_in(data: &str) -> String {
    let at = data.find(" is your authd code").expect("the code sentence");
    data[at - 6..at].to_owned()
}

/// A user registered on `s`, their registration's mail (proving the
/// address) taken by `sink` already, so that what the sink receives next is
/// what the test causes.
async fn registered(s: &Server, sink: &SmtpSink, name: &str) -> crate::harness::TestUser {
    let before = sink.received().len();
    let u = s.register(name, true).await;
    wait_for(sink, before + 1).await;
    u
}

/// Waits until the sink holds `n` mails; panics after 20 s.
async fn wait_for(sink: &SmtpSink, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.received().len() < n {
        assert!(Instant::now() < deadline, "{} of {n} mails arrived", sink.received().len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_login_answers_before_a_slow_smtp_server_has_taken_its_code() {
    local_only!("points the server at an SMTP server the test starts");
    let sink = SmtpSink::start_with(None, Duration::from_secs(3)).await;
    let s = Server::start_with(&[("AUTHD_SMTP_URL", &sink.url(None))]).await;
    let u = registered(&s, &sink, "bob").await;
    let started = Instant::now();
    let tmp = s.temporary(&u).await;
    let answered = started.elapsed();
    assert_eq!(sink.received().len(), 1, "answered after {answered:?}, before the server took the mail");
    wait_for(&sink, 2).await;
    let mail = &sink.received()[1];
    assert_eq!(mail.to, std::slice::from_ref(&u.email));
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code_in(&mail.data)})).await.ok(200);
}

#[tokio::test]
async fn an_smtp_server_refusing_the_first_three_tries_delays_the_code_without_losing_it() {
    local_only!("points the server at an SMTP server the test starts");
    let sink = SmtpSink::start().await;
    let s = Server::start_with(&[
        ("AUTHD_SMTP_URL", &sink.url(None)),
        ("AUTHD_DELIVERY_RETRY_BASE_MS", "100"),
        ("AUTHD_DELIVERY_POLL_MS", "50"),
    ])
    .await;
    let u = registered(&s, &sink, "bob").await;
    let attempts = sink.attempts();
    sink.refuse_next(3);
    let tmp = s.temporary(&u).await;
    wait_for(&sink, 2).await;
    assert_eq!(sink.attempts() - attempts, 4, "three refusals, then accepted");
    let code = code_in(&sink.received()[1].data);
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.ok(200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!((sink.attempts() - attempts, sink.received().len()), (4, 2), "nothing sent again");
}

#[tokio::test]
async fn two_nodes_on_one_database_send_each_code_once_through_a_slow_server() {
    local_only!("starts two nodes and an SMTP server");
    let sink = SmtpSink::start_with(None, Duration::from_millis(300)).await;
    let a = Server::start_with(&[("AUTHD_SMTP_URL", &sink.url(None)), ("AUTHD_DELIVERY_POLL_MS", "20")]).await;
    let b = a.second_node();
    let (a, b) = (&a, &b);
    let mut users = vec![];
    for i in 0..12 {
        users.push(registered(a, &sink, &format!("user{i}")).await);
    }
    let attempts = sink.attempts();
    let logins = futures::future::join_all(
        users
            .iter()
            .enumerate()
            .map(|(i, u)| async move { if i % 2 == 0 { a.temporary(u).await } else { b.temporary(u).await } }),
    )
    .await;
    assert_eq!(logins.len(), 12);
    wait_for(&sink, 24).await;
    // Both nodes poll every 20 ms: a second send would show within a second.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut to: Vec<String> = sink.received()[12..].iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    let mut want: Vec<String> = users.iter().map(|u| u.email.clone()).collect();
    want.sort();
    assert_eq!(to, want, "each code exactly once");
    assert_eq!(sink.attempts() - attempts, 12);
}
