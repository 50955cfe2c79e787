//! Each sender against a real peer on 127.0.0.1: SMTP against an SMTP server
//! (`tests/common/smtp_sink.rs`), Vonage and Twilio against a local HTTP
//! server (wiremock) that checks the exact request. And the courier over the
//! SQL outbox, retrying through a provider that fails first.

use test_support::form;
use test_support::smtp_sink;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use domain::notify::{Channel, Message, MessageKind};
use domain::otp::OtpCode;
use domain::ports::Notifier;
use infra::notify::smtp::SmtpNotifier;
use infra::notify::twilio::Twilio;
use infra::notify::vonage::VonageSms;
use smtp_sink::SmtpSink;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn message(channel: Channel, to: &str) -> Message {
    Message {
        link: None,
        channel,
        to: to.into(),
        kind: MessageKind::LoginCode,
        code: Some(OtpCode::parse("042137").unwrap()),
        expires_at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 4, 0).unwrap(),
        sender: None,
    }
}

/// The fields of the form a fake provider received, in order.
fn form(req: &Request) -> Vec<(String, String)> {
    form::fields(&req.body)
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

const TEXT: &str = "042137 is your authd code to finish logging in. It is valid until 12:04 UTC. Never share it: authd never asks for it.";

#[tokio::test]
async fn smtp_delivers_a_text_and_html_mail_with_the_code_to_the_recipient() {
    let creds = Some(("authd", "s3cret-pass"));
    let sink = SmtpSink::start_with(creds, Duration::ZERO).await;
    let smtp = SmtpNotifier::new(&sink.url(creds), "authd <no-reply@example.com>").unwrap();
    let receipt = smtp.send(&message(Channel::Email, "bob@example.com")).await.unwrap();
    assert_eq!(receipt.provider_id.as_deref(), Some("SINK1"), "the server's queue id");
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["bob@example.com"]);
    let data = &mails[0].data;
    assert!(data.contains("Subject: Your authd login code: 042137"), "{data}");
    assert!(data.contains("From: authd <no-reply@example.com>"), "{data}");
    assert!(data.contains("text/plain") && data.contains("text/html"), "both parts: {data}");
    assert!(data.contains("042137 is your authd code"), "{data}");
}

#[tokio::test]
async fn smtp_wrong_credentials_fail_for_good_and_a_451_or_an_outage_is_retried() {
    let sink = SmtpSink::start_with(Some(("authd", "right")), Duration::ZERO).await;
    let wrong = SmtpNotifier::new(&sink.url(Some(("authd", "wrong"))), "no-reply@example.com").unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), wrong.send(&message(Channel::Email, "bob@example.com")))
        .await
        .expect("step 1")
        .unwrap_err();
    assert!(!e.retryable && e.reason.starts_with("SMTP 535"), "{e:?}");
    assert!(!e.reason.contains("wrong"), "the password is not in the reason: {e:?}");

    let right = SmtpNotifier::new(&sink.url(Some(("authd", "right"))), "no-reply@example.com").unwrap();
    sink.refuse_next(1);
    let e = tokio::time::timeout(Duration::from_secs(5), right.send(&message(Channel::Email, "bob@example.com")))
        .await
        .expect("step 2")
        .unwrap_err();
    assert!(e.retryable && e.reason.starts_with("SMTP 451"), "{e:?}");
    tokio::time::timeout(Duration::from_secs(5), right.send(&message(Channel::Email, "bob@example.com")))
        .await
        .expect("step 3")
        .unwrap();
    assert_eq!((sink.attempts(), sink.received().len()), (2, 1));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let down = SmtpNotifier::new(&format!("smtp://{closed}"), "no-reply@example.com").unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), down.send(&message(Channel::Email, "bob@example.com")))
        .await
        .expect("step 4")
        .unwrap_err();
    assert!(e.retryable, "{e:?}");
    assert!(SmtpNotifier::new("ftp://nowhere", "no-reply@example.com").is_err());
    assert!(SmtpNotifier::new(&sink.url(None), "not an address").is_err());
}

#[tokio::test]
async fn vonage_gets_the_exact_form_and_its_refusals_are_classified() {
    let server = MockServer::start().await;
    let ok = serde_json::json!({"message-count": "1", "messages": [{"to": "14155550100", "message-id": "0A0000001234", "status": "0"}]});
    Mock::given(method("POST"))
        .and(path("/sms/json"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let vonage = VonageSms::new(&server.uri(), "key123".into(), "vonage-secret".into(), "authd".into());
    let receipt = vonage.send(&message(Channel::Sms, "+14155550100")).await.unwrap();
    assert_eq!(receipt.provider_id.as_deref(), Some("0A0000001234"));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        form(&requests[0]),
        fields(&[
            ("api_key", "key123"),
            ("api_secret", "vonage-secret"),
            ("from", "authd"),
            ("to", "14155550100"),
            ("text", TEXT)
        ])
    );

    let refusal = |status: &str, text: &str| serde_json::json!({"message-count": "1", "messages": [{"status": status, "error-text": text}]});
    let answers = [
        (ResponseTemplate::new(200).set_body_json(refusal("1", "Throttled")), true, "Vonage status 1: Throttled"),
        (
            ResponseTemplate::new(200).set_body_json(refusal("4", "Bad Credentials")),
            false,
            "Vonage status 4: Bad Credentials",
        ),
        (ResponseTemplate::new(500), true, "Vonage HTTP 500"),
        (ResponseTemplate::new(429).insert_header("retry-after", "7"), true, "Vonage HTTP 429"),
    ];
    for (answer, retryable, reason) in answers {
        server.reset().await;
        Mock::given(method("POST")).and(path("/sms/json")).respond_with(answer).mount(&server).await;
        let e = vonage.send(&message(Channel::Sms, "+14155550100")).await.unwrap_err();
        assert_eq!((e.retryable, e.reason.as_str()), (retryable, reason));
        assert!(!e.reason.contains("vonage-secret"));
        if reason.ends_with("429") {
            assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        }
    }
}

#[tokio::test]
async fn twilio_gets_the_exact_form_with_basic_auth_for_sms_and_whatsapp() {
    let server = MockServer::start().await;
    let url = "/2010-04-01/Accounts/AC123/Messages.json";
    // Basic base64("AC123:twilio-token")
    Mock::given(method("POST"))
        .and(path(url))
        .and(header("authorization", "Basic QUMxMjM6dHdpbGlvLXRva2Vu"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(serde_json::json!({"sid": "SM0001", "status": "queued"})),
        )
        .mount(&server)
        .await;
    let sms = Twilio::new(&server.uri(), "AC123".into(), "twilio-token".into(), Channel::Sms, "+14155550199".into());
    assert_eq!(sms.send(&message(Channel::Sms, "+14155550100")).await.unwrap().provider_id.as_deref(), Some("SM0001"));
    let wa =
        Twilio::new(&server.uri(), "AC123".into(), "twilio-token".into(), Channel::Whatsapp, "+14155550199".into());
    wa.send(&message(Channel::Whatsapp, "+14155550100")).await.unwrap();
    let service = Twilio::new(&server.uri(), "AC123".into(), "twilio-token".into(), Channel::Sms, "MG42".into());
    service.send(&message(Channel::Sms, "+14155550100")).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(form(&requests[0]), fields(&[("To", "+14155550100"), ("From", "+14155550199"), ("Body", TEXT)]));
    assert_eq!(
        form(&requests[1]),
        fields(&[("To", "whatsapp:+14155550100"), ("From", "whatsapp:+14155550199"), ("Body", TEXT)])
    );
    assert_eq!(form(&requests[2]), fields(&[("To", "+14155550100"), ("MessagingServiceSid", "MG42"), ("Body", TEXT)]));
    assert_eq!(sms.channels(), [Channel::Sms]);
    assert_eq!(wa.channels(), [Channel::Whatsapp]);

    server.reset().await;
    let bad_number = serde_json::json!({"code": 21211, "message": "The 'To' number is not valid.", "status": 400});
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(400).set_body_json(bad_number)).mount(&server).await;
    let e = sms.send(&message(Channel::Sms, "+14155550100")).await.unwrap_err();
    assert_eq!(
        (e.retryable, e.reason.as_str()),
        (false, "Twilio HTTP 400 (code 21211): The 'To' number is not valid.")
    );
    assert!(!e.reason.contains("twilio-token"));
}

#[tokio::test]
async fn a_provider_that_is_unreachable_is_retried() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let sms = Twilio::new(&format!("http://{closed}"), "AC1".into(), "t".into(), Channel::Sms, "+1".into());
    let e = sms.send(&message(Channel::Sms, "+14155550100")).await.unwrap_err();
    assert!(e.retryable && e.reason == "Twilio could not be reached", "{e:?}");
}
