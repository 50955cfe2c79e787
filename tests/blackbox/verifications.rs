//! The verification API as an application uses it: its API key, codes by
//! mail and SMS (the file log, and Vonage's API faked by a local server),
//! checks, status, cancel, resend, and the abuse limits.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::harness::{Server, local_only, token};

/// A valid US number unique to this run, in E.164.
fn unique_phone() -> String {
    let n = uuid::Uuid::new_v4().as_u128();
    format!("+1415{}{:06}", 2 + n % 8, (n >> 8) % 1_000_000)
}

fn unique_email() -> String {
    format!("v{}@example.com", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// An app registered by the server's admin: its id and key.
async fn register(s: &Server, admin: &str, settings: Value) -> (String, String) {
    let mut body = json!({"name": "Acme shop", "channels": ["email", "sms"]});
    body.as_object_mut().unwrap().extend(settings.as_object().unwrap().clone());
    let app = s.post("/apps", Some(admin), body).await.ok(201).clone();
    (app["id"].as_str().unwrap().to_owned(), token(&app, "api_key"))
}

/// Starts a verification to `to` on `channel` with `key` as a bearer token.
async fn send(s: &Server, key: &str, to: &str, channel: &str) -> Value {
    s.post("/verifications", Some(key), json!({"to": to, "channel": channel})).await.ok(201).clone()
}

/// A code of the same length as `code`, one digit off.
fn wrong(code: &str) -> String {
    let last = code.chars().last().unwrap().to_digit(10).unwrap();
    format!("{}{}", &code[..code.len() - 1], (last + 1) % 10)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_app_sends_a_code_by_mail_and_by_sms_checks_a_wrong_then_the_right_one_and_reads_approved() {
    let (s, admin) = Server::start_with_admin().await;
    let (_, key) = register(&s, &admin, json!({"code_length": 8})).await;
    let before = crate::metrics::scrape(&s).await;
    let email = unique_email();
    let v = send(&s, &key, &email, "email").await;
    assert_eq!(
        (v["status"].as_str(), v["channel"].as_str(), v["delivery"].as_str()),
        (Some("pending"), Some("email"), Some("queued"))
    );
    assert!(v["to"].as_str().unwrap().starts_with("v***@"), "masked: {v}");
    let code = s.latest_code(&email).await;
    assert_eq!(code.len(), 8, "the app's length");
    let check = format!("/verifications/{}/check", id(&v));
    let bad = s.post(&check, Some(&key), json!({"code": wrong(&code)})).await;
    assert_eq!(bad.problem(400, "otp_invalid").body["remaining_attempts"], 4);
    let ok = s.post(&check, Some(&key), json!({"code": code})).await;
    assert_eq!(ok.ok(200)["status"], "approved");
    let read = s.call(Method::GET, &format!("/verifications/{}", id(&v)), Some(&key), None).await;
    assert_eq!((read.ok(200)["status"].as_str(), read.ok(200)["attempts"].as_u64()), (Some("approved"), Some(1)));
    s.post(&check, Some(&key), json!({"code": code})).await.problem(410, "verification_approved");

    // By SMS, with the key in X-API-Key.
    let phone = unique_phone();
    let sms = s.call_with_key(Method::POST, "/verifications", &key, Some(json!({"to": phone, "channel": "sms"}))).await;
    let sms = sms.ok(201).clone();
    let code = s.latest_code(&phone).await;
    let check = format!("/verifications/{}/check", id(&sms));
    s.call_with_key(Method::POST, &check, &key, Some(json!({"code": wrong(&code)}))).await.problem(400, "otp_invalid");
    let ok = s.call_with_key(Method::POST, &check, &key, Some(json!({"code": code}))).await;
    assert_eq!(ok.ok(200)["status"], "approved");

    // `/metrics` counts each check under the channel it was sent on.
    let after = crate::metrics::scrape(&s).await;
    let moved = |kind: &str, via: &str| {
        let labels = [("kind", kind), ("method", via)];
        crate::metrics::value(&after, "authd_events_total", &labels)
            - crate::metrics::value(&before, "authd_events_total", &labels)
    };
    for (kind, via) in
        [("otp_failed", "email"), ("otp_verified", "email"), ("otp_failed", "sms"), ("otp_verified", "sms")]
    {
        assert!(moved(kind, via) >= 1.0, "{kind} by {via} is counted under its method");
    }
}

#[tokio::test]
async fn verification_events_are_labelled_with_their_method_in_metrics() {
    // Every verification event names how the code went: none is counted under an empty method.
    let (s, admin) = Server::start_with_admin().await;
    let (_, key) = register(&s, &admin, json!({})).await;
    let email = unique_email();
    let v = send(&s, &key, &email, "email").await;
    let code = s.latest_code(&email).await;
    let check = format!("/verifications/{}/check", id(&v));
    s.post(&check, Some(&key), json!({"code": wrong(&code)})).await.problem(400, "otp_invalid");
    s.post(&check, Some(&key), json!({"code": code})).await.ok(200);
    let scraped = crate::metrics::scrape(&s).await;
    let unlabelled: Vec<_> = scraped
        .samples
        .iter()
        .filter(|x| x.metric == "authd_events_total" && x.labels.get("kind").is_some_and(|k| k.starts_with("otp_")))
        .filter(|x| x.labels.get("method").is_none_or(str::is_empty))
        .map(|x| x.labels.get("kind").unwrap_or_default().to_owned())
        .collect();
    assert!(unlabelled.is_empty(), "code events without a method: {unlabelled:?}");
}

#[tokio::test]
async fn another_app_cannot_read_check_cancel_or_resend_a_verification() {
    let (s, admin) = Server::start_with_admin().await;
    let (_, mine) = register(&s, &admin, json!({})).await;
    let (_, theirs) = register(&s, &admin, json!({})).await;
    let phone = unique_phone();
    let v = send(&s, &mine, &phone, "sms").await;
    let code = s.latest_code(&phone).await;
    let base = format!("/verifications/{}", id(&v));
    s.call(Method::GET, &base, Some(&theirs), None).await.problem(404, "verification_not_found");
    s.post(&format!("{base}/check"), Some(&theirs), json!({"code": code})).await.problem(404, "verification_not_found");
    s.post(&format!("{base}/cancel"), Some(&theirs), json!({})).await.problem(404, "verification_not_found");
    s.post(&format!("{base}/resend"), Some(&theirs), json!({})).await.problem(404, "verification_not_found");
    let missing = format!("/verifications/{}", uuid::Uuid::new_v4());
    s.call(Method::GET, &missing, Some(&mine), None).await.problem(404, "verification_not_found");
    assert_eq!(s.call(Method::GET, &base, Some(&mine), None).await.ok(200)["status"], "pending", "untouched");
    s.post(&format!("{base}/check"), Some(&mine), json!({"code": code})).await.ok(200);
}

#[tokio::test]
async fn a_bad_key_a_deactivated_app_and_a_deleted_app_are_refused_with_401() {
    let (s, admin) = Server::start_with_admin().await;
    let (app, key) = register(&s, &admin, json!({})).await;
    let body = json!({"to": unique_phone(), "channel": "sms"});
    for bad in ["authd_app_0000000000000000000000000000000000000000", "nonsense", &admin] {
        s.post("/verifications", Some(bad), body.clone()).await.problem(401, "api_key_invalid");
    }
    s.call(Method::POST, "/verifications", None, Some(body.clone())).await.problem(401, "token_missing");
    let off = s.call(Method::PATCH, &format!("/apps/{app}"), Some(&admin), Some(json!({"is_active": false}))).await;
    off.ok(200);
    s.post("/verifications", Some(&key), body.clone()).await.problem(401, "api_key_invalid");
    s.call(Method::PATCH, &format!("/apps/{app}"), Some(&admin), Some(json!({"is_active": true}))).await.ok(200);
    s.post("/verifications", Some(&key), body.clone()).await.ok(201);
    s.call(Method::DELETE, &format!("/apps/{app}"), Some(&admin), None).await.ok(204);
    s.post("/verifications", Some(&key), body).await.problem(401, "api_key_invalid");
}

#[tokio::test]
async fn a_destination_a_channel_or_a_code_that_cannot_be_right_gets_a_clear_error() {
    let (s, admin) = Server::start_with_admin().await;
    let (_, key) = register(&s, &admin, json!({"channels": ["sms"]})).await;
    let cases = [
        (json!({"to": "4155550100", "channel": "sms"}), 400, "invalid_field"),
        (json!({"to": "ada@example.com", "channel": "sms"}), 400, "invalid_field"),
        (json!({"to": "ada@example.com", "channel": "email"}), 400, "channel_unavailable"),
        (json!({"to": unique_phone(), "channel": "pigeon"}), 400, "bad_request"),
        (json!({"to": unique_phone(), "channel": "sms", "code": "123456"}), 400, "bad_request"),
    ];
    for (body, status, code) in cases {
        let r = s.post("/verifications", Some(&key), body.clone()).await;
        r.problem(status, code);
        if code == "invalid_field" {
            assert_eq!(r.body["field"], "to", "{body}");
        }
    }
    let v = send(&s, &key, &unique_phone(), "sms").await;
    let r = s.post(&format!("/verifications/{}/check", id(&v)), Some(&key), json!({"code": "12"})).await;
    assert_eq!(r.problem(400, "invalid_field").body["field"], "code");
    let read = s.call(Method::GET, &format!("/verifications/{}", id(&v)), Some(&key), None).await;
    assert_eq!(read.ok(200)["attempts"], 0, "a malformed code costs no try");
}

#[tokio::test]
async fn fifty_concurrent_right_checks_approve_exactly_once() {
    let (s, admin) = Server::start_with_admin().await;
    let (_, key) = register(&s, &admin, json!({})).await;
    let phone = unique_phone();
    let v = send(&s, &key, &phone, "sms").await;
    let code = s.latest_code(&phone).await;
    let check = format!("/verifications/{}/check", id(&v));
    let answers = futures::future::join_all((0..50).map(|_| s.post(&check, Some(&key), json!({"code": code})))).await;
    let approved = answers.iter().filter(|r| r.status == 200).count();
    assert_eq!(approved, 1, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(answers.iter().filter(|r| r.status != 200).all(|r| r.body["code"] == "verification_approved"));
}

#[tokio::test]
async fn the_pending_cap_per_destination_answers_429_with_retry_after() {
    let (s, admin) = Server::start_with_admin().await;
    let (_, key) = register(&s, &admin, json!({})).await;
    let phone = unique_phone();
    for _ in 0..3 {
        send(&s, &key, &phone, "sms").await;
    }
    let refused = s.post("/verifications", Some(&key), json!({"to": phone, "channel": "sms"})).await;
    refused.problem(429, "too_many_pending");
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&wait), "until the first pending one expires: {wait}");
    send(&s, &key, &unique_phone(), "sms").await;
}

#[tokio::test]
async fn the_per_destination_and_per_app_windows_answer_429_with_retry_after_naming_which_and_a_refusal_is_no_send() {
    local_only!("sets its own limits");
    let (s, admin) = Server::start_with_admin_and(&[
        ("AUTHD_RATE_VERIFICATIONS_PER_DESTINATION_PER_HOUR", "2"),
        ("AUTHD_RATE_VERIFICATIONS_PER_APP_PER_MINUTE", "4"),
        ("AUTHD_VERIFICATION_MAX_PENDING", "0"),
    ])
    .await;
    let (_, key) = register(&s, &admin, json!({})).await;
    let phone = unique_phone();
    send(&s, &key, &phone, "sms").await;
    send(&s, &key, &phone, "sms").await;
    let third = s.post("/verifications", Some(&key), json!({"to": phone, "channel": "sms"})).await;
    third.problem(429, "rate_limited");
    let wait: u64 = third.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let says = third.body["detail"].as_str().unwrap();
    assert!(says.starts_with("this application sent too many codes to this destination"), "names what: {says}");
    // The refused third is no send: two more fit in the app's minute.
    send(&s, &key, &unique_phone(), "sms").await;
    send(&s, &key, &unique_phone(), "sms").await;
    let fifth = s.post("/verifications", Some(&key), json!({"to": unique_phone(), "channel": "sms"})).await;
    fifth.problem(429, "rate_limited");
    assert!(fifth.header("retry-after").unwrap().parse::<u64>().unwrap() <= 60, "the app's window is a minute");
    let says = fifth.body["detail"].as_str().unwrap();
    assert!(says.starts_with("this application started too many verifications this minute"), "{says}");
}

#[tokio::test]
async fn a_canceled_verification_takes_no_code_and_cannot_be_canceled_again() {
    let (s, admin) = Server::start_with_admin().await;
    let (_, key) = register(&s, &admin, json!({})).await;
    let v = send(&s, &key, &unique_phone(), "sms").await;
    let base = format!("/verifications/{}", id(&v));
    let canceled = s.post(&format!("{base}/cancel"), Some(&key), json!({})).await;
    assert_eq!(canceled.ok(200)["status"], "canceled");
    s.post(&format!("{base}/check"), Some(&key), json!({"code": "000000"})).await.problem(410, "verification_canceled");
    s.post(&format!("{base}/cancel"), Some(&key), json!({})).await.problem(409, "verification_not_pending");
    s.post(&format!("{base}/resend"), Some(&key), json!({})).await.problem(410, "verification_canceled");
}

#[tokio::test]
async fn a_resend_within_the_cooldown_is_429_and_after_it_replaces_the_code() {
    local_only!("sets a one-second cooldown");
    let (s, admin) = Server::start_with_admin_and(&[("AUTHD_OTP_RESEND_COOLDOWN", "1")]).await;
    let (_, key) = register(&s, &admin, json!({})).await;
    let phone = unique_phone();
    let v = send(&s, &key, &phone, "sms").await;
    let old = s.latest_code(&phone).await;
    let resend = format!("/verifications/{}/resend", id(&v));
    let early = s.post(&resend, Some(&key), json!({})).await;
    early.problem(429, "otp_resend_cooldown");
    assert!(early.header("retry-after").is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(s.post(&resend, Some(&key), json!({})).await.ok(202)["resends_left"], 2);
    let new = s.latest_code(&phone).await;
    assert_ne!(old, new);
    let check = format!("/verifications/{}/check", id(&v));
    s.post(&check, Some(&key), json!({"code": old})).await.problem(400, "otp_invalid");
    s.post(&check, Some(&key), json!({"code": new})).await.ok(200);
}

#[tokio::test]
async fn an_expired_verification_reads_expired_and_takes_no_code() {
    local_only!("ages the verification in the server's database");
    let (s, admin) = Server::start_with_admin().await;
    let (_, key) = register(&s, &admin, json!({"ttl_seconds": 60})).await;
    let phone = unique_phone();
    let v = send(&s, &key, &phone, "sms").await;
    let code = s.latest_code(&phone).await;
    let expires: chrono::DateTime<chrono::Utc> = v["expires_at"].as_str().unwrap().parse().unwrap();
    let lifetime = expires - chrono::Utc::now();
    assert!(
        lifetime <= chrono::Duration::seconds(60) && lifetime > chrono::Duration::seconds(50),
        "the app's lifetime"
    );
    s.age_challenge(&id(&v)).await;
    let read = s.call(Method::GET, &format!("/verifications/{}", id(&v)), Some(&key), None).await;
    assert_eq!(read.ok(200)["status"], "expired");
    let late = s.post(&format!("/verifications/{}/check", id(&v)), Some(&key), json!({"code": code})).await;
    late.problem(410, "verification_expired");
}

#[tokio::test]
async fn a_rotated_key_works_during_the_grace_period_and_stops_after_it() {
    local_only!("ages the old key in the server's database");
    let (s, admin) = Server::start_with_admin().await;
    let (app, old) = register(&s, &admin, json!({})).await;
    let v = send(&s, &old, &unique_phone(), "sms").await;
    let read = format!("/verifications/{}", id(&v));
    let rotated = s.post(&format!("/apps/{app}/keys"), Some(&admin), json!({})).await.ok(201).clone();
    let new = token(&rotated, "api_key");
    let until: chrono::DateTime<chrono::Utc> = rotated["previous_keys_expire_at"].as_str().unwrap().parse().unwrap();
    let grace = until - chrono::Utc::now();
    assert!(grace > chrono::Duration::hours(23) && grace <= chrono::Duration::hours(24), "a day: {grace}");
    s.call(Method::GET, &read, Some(&old), None).await.ok(200);
    s.call(Method::GET, &read, Some(&new), None).await.ok(200);
    // The day passes: what the server wrote as the old key's end comes.
    s.end_grace_of_replaced_keys(&app).await;
    s.call(Method::GET, &read, Some(&old), None).await.problem(401, "api_key_invalid");
    s.call(Method::GET, &read, Some(&new), None).await.ok(200);
}

#[tokio::test]
async fn a_code_by_sms_through_vonage_names_the_app_and_is_checked() {
    local_only!("points the server at a fake Vonage the test starts");
    let vonage = MockServer::start().await;
    let ok = json!({"message-count": "1", "messages": [{"status": "0", "message-id": "V0001"}]});
    Mock::given(method("POST"))
        .and(path("/sms/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok))
        .mount(&vonage)
        .await;
    let (s, admin) = Server::start_with_admin_and(&[
        ("AUTHD_SMS_PROVIDER", "vonage"),
        ("AUTHD_VONAGE_BASE_URL", &vonage.uri()),
        ("AUTHD_VONAGE_API_KEY", "vonage-key"),
        ("AUTHD_VONAGE_API_SECRET", "vonage-secret"),
        ("AUTHD_VONAGE_FROM", "authd"),
    ])
    .await;
    let (_, key) = register(&s, &admin, json!({"name": "Acme shop", "code_length": 6})).await;
    let phone = unique_phone();
    let v = send(&s, &key, &phone, "sms").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let sent = loop {
        let got = vonage.received_requests().await.unwrap();
        if let Some(r) = got.first() {
            break crate::form::fields(&r.body);
        }
        assert!(std::time::Instant::now() < deadline, "nothing reached Vonage");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let get = |k: &str| sent.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(get("to"), phone.trim_start_matches('+'));
    let text = get("text");
    assert!(text.contains("your Acme shop code"), "{text}");
    let code = text[..6].to_owned();
    let ok = s.post(&format!("/verifications/{}/check", id(&v)), Some(&key), json!({"code": code})).await;
    assert_eq!(ok.ok(200)["status"], "approved");
}

#[tokio::test]
async fn a_code_by_whatsapp_through_twilio_names_the_app_and_is_checked() {
    local_only!("points the server at a fake Twilio the test starts");
    let twilio = MockServer::start().await;
    let created = ResponseTemplate::new(201).set_body_json(json!({"sid": "SM0001", "status": "queued"}));
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/AC0123/Messages.json"))
        .respond_with(created)
        .mount(&twilio)
        .await;
    let (s, admin) = Server::start_with_admin_and(&[
        ("AUTHD_WHATSAPP_PROVIDER", "twilio"),
        ("AUTHD_TWILIO_BASE_URL", &twilio.uri()),
        ("AUTHD_TWILIO_ACCOUNT_SID", "AC0123"),
        ("AUTHD_TWILIO_AUTH_TOKEN", "twilio-token"),
        ("AUTHD_TWILIO_FROM", "+14155550100"),
        ("AUTHD_TWILIO_WHATSAPP_FROM", "+14155550101"),
    ])
    .await;
    let (_, key) = register(&s, &admin, json!({"channels": ["whatsapp"], "code_length": 6})).await;
    let phone = unique_phone();
    let v = send(&s, &key, &phone, "whatsapp").await;
    assert_eq!(v["channel"], "whatsapp");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let sent = loop {
        if let Some(r) = twilio.received_requests().await.unwrap().first() {
            break crate::form::fields(&r.body);
        }
        assert!(std::time::Instant::now() < deadline, "nothing reached Twilio");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let get = |k: &str| sent.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    assert_eq!((get("To"), get("From")), (format!("whatsapp:{phone}"), "whatsapp:+14155550101".to_owned()));
    let body = get("Body");
    assert!(body.contains("your Acme shop code"), "{body}");
    let ok = s.post(&format!("/verifications/{}/check", id(&v)), Some(&key), json!({"code": &body[..6]})).await;
    assert_eq!(ok.ok(200)["status"], "approved");
}

#[tokio::test]
async fn an_app_cannot_enable_a_channel_the_server_has_no_sender_for() {
    let (s, admin) = Server::start_with_admin().await;
    let body = json!({"name": "Acme shop", "channels": ["email", "whatsapp"]});
    s.post("/apps", Some(&admin), body).await.problem(400, "channel_unavailable");
}
