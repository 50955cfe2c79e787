//! Phone numbers: proving one with a code, and codes by SMS or WhatsApp as
//! a second factor, through the file log (the development sender) and
//! through Twilio's and Vonage's APIs faked by a local server that checks
//! each request.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::harness::{Server, TestUser, local_only, token};

/// A valid US number unique to this run, in E.164.
fn unique_phone() -> String {
    let n = uuid::Uuid::new_v4().as_u128();
    format!("+1415{}{:06}", 2 + n % 8, (n >> 8) % 1_000_000)
}

/// Logs in a user without two-factor and returns their access token.
async fn access(s: &Server, u: &TestUser) -> String {
    token(&s.tokens(u).await, "access_token")
}

async fn set_phone(s: &Server, access: &str, phone: Value) -> Value {
    let change = json!({ "phone": phone, "password": crate::harness::PASSWORD });
    s.call(Method::PATCH, "/users/me", Some(access), Some(change)).await.ok(200).clone()
}

/// Polls the caller's phone code until its delivery is `want`.
async fn wait_for_delivery(s: &Server, path: &str, token: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = s.call(Method::GET, path, Some(token), None).await.ok(200).clone();
        if status["delivery"] == want {
            return status;
        }
        assert!(Instant::now() < deadline, "delivery still {status} after 20 s, want {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The fields of the form a fake provider received.
fn form(req: &Request) -> Vec<(String, String)> {
    crate::form::fields(&req.body)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    &fields.iter().find(|(k, _)| k == name).unwrap_or_else(|| panic!("no {name} in {fields:?}")).1
}

/// The six-digit code at the start of a message text.
fn code_in(text: &str) -> String {
    text[..6].to_owned()
}

/// Waits until the fake provider has had `n` requests.
async fn requests(server: &MockServer, n: usize) -> Vec<Request> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = server.received_requests().await.unwrap();
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "{} of {n} requests reached the provider", got.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_phone_proven_by_an_sms_code_receives_login_codes_by_sms() {
    let s = Server::start().await;
    let phone = unique_phone();
    let username = format!("sms-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let email = format!("{username}@example.com");
    let typed = format!("{} {} {}", &phone[..2], &phone[2..5], &phone[5..]);
    let registered = s
        .post(
            "/users/registration",
            None,
            json!({"email": email, "username": username, "name": "Sam", "lastname": "Ms", "password": crate::harness::PASSWORD, "phone": typed}),
        )
        .await;
    let body = registered.ok(201);
    assert_eq!((body["phone"].as_str(), &body["phone_verified"]), (Some(phone.as_str()), &json!(false)), "E.164");
    let u = TestUser {
        username,
        email,
        password: crate::harness::PASSWORD.into(),
        id: body["id"].as_str().unwrap().into(),
    };
    let me = access(&s, &u).await;

    let sent = s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await;
    let queued = sent.ok(202);
    assert_eq!(
        (&queued["method"], &queued["remaining_attempts"], &queued["resends_left"]),
        (&json!("sms"), &json!(5), &json!(3))
    );
    let code = s.latest_code(&phone).await;
    let line = s.mails_to(&phone).pop().unwrap();
    assert_eq!((&line["channel"], &line["kind"]), (&json!("sms"), &json!("phone_verification")));
    wait_for_delivery(&s, "/users/me/phone/verification", &me, "sent").await;
    let verified = s.post("/users/me/phone/confirm", Some(&me), json!({"code": code})).await;
    assert_eq!(verified.ok(200)["phone_verified"], true);

    s.call(Method::PATCH, "/users/me", Some(&me), Some(json!({"is_2fa": true}))).await.ok(200);
    let login = s.login(&u).await;
    assert_eq!(login.ok(200)["methods"], json!(["sms", "email"]), "no WhatsApp sender in development");
    let tmp = login.ok(200)["temporary_token"].as_str().unwrap().to_owned();
    let code = s.latest_code(&phone).await;
    assert_eq!(s.mails_to(&phone).pop().unwrap()["kind"], "login_code");
    let status = wait_for_delivery(&s, "/auth/otp-status", &tmp, "sent").await;
    assert_eq!(status["method"], "sms");
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code, "method": "sms"})).await.ok(200);
}

#[tokio::test]
async fn changing_the_phone_unverifies_it_and_login_codes_go_by_mail_again() {
    let s = Server::start().await;
    let u = s.register("rephone", false).await;
    let me = access(&s, &u).await;
    let phone = unique_phone();
    set_phone(&s, &me, json!(phone)).await;
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.ok(202);
    let code = s.latest_code(&phone).await;
    s.post("/users/me/phone/confirm", Some(&me), json!({"code": code})).await.ok(200);

    let other = unique_phone();
    let changed = set_phone(&s, &me, json!(other)).await;
    assert_eq!((&changed["phone"], &changed["phone_verified"]), (&json!(other), &json!(false)));
    s.call(Method::PATCH, "/users/me", Some(&me), Some(json!({"is_2fa": true}))).await.ok(200);
    assert_eq!(s.login(&u).await.ok(200)["methods"], json!(["email"]));
    let tmp = s.temporary(&u).await;
    s.post("/auth/resend-otp", Some(&tmp), json!({"method": "sms"})).await.problem(400, "method_unavailable");

    let me = s.stepped_up(&me, &u).await;
    let removed = set_phone(&s, &me, Value::Null).await;
    assert_eq!((&removed["phone"], &removed["phone_verified"]), (&Value::Null, &json!(false)));
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.problem(409, "no_phone");
}

#[tokio::test]
async fn bad_phone_input_gets_a_clear_error_and_changes_nothing() {
    let s = Server::start().await;
    let bad = json!({"email": "p@example.com", "username": "phoneless", "name": "P", "lastname": "Q", "password": crate::harness::PASSWORD, "phone": "0415 555 0132"});
    s.post("/users/registration", None, bad).await.problem(400, "invalid_field");
    let u = s.register("badphone", false).await;
    let me = access(&s, &u).await;
    for wrong in ["12345", "+1 415 555", "+999 1234567", "+1 415 555 0132 ext. 9"] {
        s.call(Method::PATCH, "/users/me", Some(&me), Some(json!({"phone": wrong})))
            .await
            .problem(400, "invalid_field");
    }
    assert_eq!(s.me(&me).await.ok(200)["phone"], Value::Null, "nothing stored");
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.problem(409, "no_phone");
    let phone = unique_phone();
    set_phone(&s, &me, json!(phone)).await;
    // WhatsApp is a phone channel this server has no sender for; mail and
    // pigeons are no phone channels at all (the document lists sms and whatsapp).
    s.post("/users/me/phone/verify", Some(&me), json!({"channel": "whatsapp"}))
        .await
        .problem(400, "channel_unavailable");
    for channel in ["email", "pigeon"] {
        let r = s.post("/users/me/phone/verify", Some(&me), json!({"channel": channel})).await;
        r.problem(400, "bad_request");
    }
    s.post("/users/me/phone/confirm", Some(&me), json!({"code": "123456"})).await.problem(409, "no_code_pending");
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.ok(202);
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.problem(429, "otp_resend_cooldown");
    s.post("/users/me/phone/confirm", Some(&me), json!({"code": "12ab"})).await.problem(400, "invalid_field");
    let code = s.latest_code(&phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = s.post("/users/me/phone/confirm", Some(&me), json!({"code": wrong})).await;
    assert_eq!(r.problem(400, "otp_invalid").body["remaining_attempts"], 4);
    s.post("/users/me/phone/confirm", Some(&me), json!({"code": code})).await.ok(200);
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.problem(409, "phone_verified");
}

/// Twilio's answer to a created message.
fn twilio_created(sid: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({"sid": sid, "status": "queued"}))
}

#[tokio::test]
async fn twilio_throttling_and_an_outage_delay_an_sms_code_which_then_arrives_once() {
    local_only!("points the server at a fake Twilio the test starts");
    let twilio = MockServer::start().await;
    let messages = "/2010-04-01/Accounts/AC0123/Messages.json";
    let answers = [
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        ResponseTemplate::new(500),
        twilio_created("SM0001"),
    ];
    for answer in answers {
        Mock::given(method("POST"))
            .and(path(messages))
            .and(basic_auth("AC0123", "twilio-token"))
            .respond_with(answer)
            .up_to_n_times(1)
            .mount(&twilio)
            .await;
    }
    Mock::given(method("POST")).respond_with(twilio_created("SM9999")).mount(&twilio).await;
    let s = Server::start_with(&[
        ("AUTHD_SMS_PROVIDER", "twilio"),
        ("AUTHD_WHATSAPP_PROVIDER", "twilio"),
        ("AUTHD_TWILIO_BASE_URL", &twilio.uri()),
        ("AUTHD_TWILIO_ACCOUNT_SID", "AC0123"),
        ("AUTHD_TWILIO_AUTH_TOKEN", "twilio-token"),
        ("AUTHD_TWILIO_FROM", "+14155550100"),
        ("AUTHD_TWILIO_WHATSAPP_FROM", "+14155550101"),
        ("AUTHD_DELIVERY_RETRY_BASE_MS", "100"),
        ("AUTHD_DELIVERY_POLL_MS", "50"),
        ("AUTHD_OTP_RESEND_COOLDOWN", "1"),
    ])
    .await;
    let u = s.register("twilio", false).await;
    let me = access(&s, &u).await;
    let phone = unique_phone();
    set_phone(&s, &me, json!(phone)).await;
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.ok(202);

    let tries = requests(&twilio, 3).await;
    let status = wait_for_delivery(&s, "/users/me/phone/verification", &me, "sent").await;
    assert_eq!(status["method"], "sms");
    let sent = form(&tries[2]);
    assert_eq!(field(&sent, "To"), phone);
    assert_eq!(field(&sent, "From"), "+14155550100");
    let code = code_in(field(&sent, "Body"));
    assert!(tries.iter().all(|t| form(t) == sent), "each try carries the same message and code");
    s.post("/users/me/phone/confirm", Some(&me), json!({"code": code})).await.ok(200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(twilio.received_requests().await.unwrap().len(), 3, "nothing sent twice");

    // WhatsApp as the second factor: the same API, `whatsapp:` addresses.
    s.call(Method::PATCH, "/users/me", Some(&me), Some(json!({"is_2fa": true}))).await.ok(200);
    let login = s.login(&u).await;
    assert_eq!(login.ok(200)["methods"], json!(["sms", "whatsapp", "email"]));
    let tmp = login.ok(200)["temporary_token"].as_str().unwrap().to_owned();
    requests(&twilio, 4).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let resent = s.post("/auth/resend-otp", Some(&tmp), json!({"method": "whatsapp"})).await;
    assert_eq!(resent.ok(202)["method"], "whatsapp");
    let all = requests(&twilio, 5).await;
    let wa = form(&all[4]);
    assert_eq!((field(&wa, "To"), field(&wa, "From")), (format!("whatsapp:{phone}").as_str(), "whatsapp:+14155550101"));
    let otp = code_in(field(&wa, "Body"));
    // With no method, verify-otp answers the code last sent (WhatsApp), not the login's first method (sms).
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": otp})).await.ok(200);
}

#[tokio::test]
async fn a_vonage_outage_delays_an_sms_code_which_then_arrives_once() {
    local_only!("points the server at a fake Vonage the test starts");
    let vonage = MockServer::start().await;
    let accepted = json!({"message-count": "1", "messages": [{"message-id": "0A00000012", "status": "0"}]});
    let throttled = json!({"message-count": "1", "messages": [{"status": "1", "error-text": "Throttled"}]});
    let answers = [
        ResponseTemplate::new(500),
        ResponseTemplate::new(200).set_body_json(throttled),
        ResponseTemplate::new(200).set_body_json(accepted),
    ];
    for answer in answers {
        Mock::given(method("POST"))
            .and(path("/sms/json"))
            .and(body_string_contains("api_key=vonage-key"))
            .respond_with(answer)
            .up_to_n_times(1)
            .mount(&vonage)
            .await;
    }
    let s = Server::start_with(&[
        ("AUTHD_SMS_PROVIDER", "vonage"),
        ("AUTHD_VONAGE_BASE_URL", &vonage.uri()),
        ("AUTHD_VONAGE_API_KEY", "vonage-key"),
        ("AUTHD_VONAGE_API_SECRET", "vonage-secret"),
        ("AUTHD_VONAGE_FROM", "authd"),
        ("AUTHD_DELIVERY_RETRY_BASE_MS", "100"),
        ("AUTHD_DELIVERY_POLL_MS", "50"),
    ])
    .await;
    let u = s.register("vonage", false).await;
    let me = access(&s, &u).await;
    let phone = unique_phone();
    set_phone(&s, &me, json!(phone)).await;
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.ok(202);
    let tries = requests(&vonage, 3).await;
    wait_for_delivery(&s, "/users/me/phone/verification", &me, "sent").await;
    let sent = form(&tries[2]);
    let expected_head = [("api_key", "vonage-key"), ("api_secret", "vonage-secret"), ("from", "authd")];
    for (k, v) in expected_head {
        assert_eq!(field(&sent, k), v);
    }
    assert_eq!(field(&sent, "to"), &phone[1..], "Vonage wants the number without its +");
    s.post("/users/me/phone/confirm", Some(&me), json!({"code": code_in(field(&sent, "text"))})).await.ok(200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(vonage.received_requests().await.unwrap().len(), 3, "nothing sent twice");
}
