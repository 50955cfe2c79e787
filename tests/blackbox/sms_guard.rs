//! The SMS guard from outside: numbers a texted code may not go to are
//! refused with 400 `destination_not_allowed` before anything is queued,
//! counted or charged; a pumped prefix is blocked while people elsewhere
//! keep getting codes; mail is never refused by it.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Server, local_only, token};

async fn app_key(s: &Server, admin: &str) -> String {
    let body = json!({"name": "Pump target", "channels": ["email", "sms"]});
    let app = s.post("/apps", Some(admin), body).await.ok(201).clone();
    token(&app, "api_key")
}

#[tokio::test]
async fn premium_rate_shared_cost_and_satellite_numbers_get_no_code_by_default() {
    let (s, admin) = Server::start_with_admin().await;
    let key = app_key(&s, &admin).await;
    for (number, why) in [
        ("+19002345678", "premium-rate"),
        ("+33884012345", "shared-cost"),
        ("+881612345678", "satellite"),
        ("+8823421234", "international networks"),
    ] {
        let refused = s.post("/verifications", Some(&key), json!({"to": number, "channel": "sms"})).await;
        refused.problem(400, "destination_not_allowed");
        assert!(refused.body["detail"].as_str().unwrap().contains(why), "{number}: {}", refused.body);
    }
    // An ordinary mobile number and mail still go out.
    s.post("/verifications", Some(&key), json!({"to": "+4915112345678", "channel": "sms"})).await.ok(201);
    s.post("/verifications", Some(&key), json!({"to": "guard@example.com", "channel": "email"})).await.ok(201);
}

#[tokio::test]
async fn only_the_countries_the_operator_lists_receive_texted_codes() {
    local_only!("sets AUTHD_SMS_COUNTRIES");
    let (s, admin) = Server::start_with_admin_and(&[("AUTHD_SMS_COUNTRIES", "DE,FR")]).await;
    let key = app_key(&s, &admin).await;
    let refused = s.post("/verifications", Some(&key), json!({"to": "+237671234567", "channel": "sms"})).await;
    refused.problem(400, "destination_not_allowed");
    assert!(refused.body["detail"].as_str().unwrap().contains("numbers in CM"), "{}", refused.body);
    let us = s.post("/verifications", Some(&key), json!({"to": "+14155550100", "channel": "sms"})).await;
    us.problem(400, "destination_not_allowed");
    s.post("/verifications", Some(&key), json!({"to": "+4915112345678", "channel": "sms"})).await.ok(201);
    s.post("/verifications", Some(&key), json!({"to": "+33612345678", "channel": "sms"})).await.ok(201);
    // An app's own geo permissions: a subset of the operator's, per channel.
    let beyond = json!({"name": "US shop", "channels": ["sms"], "sms_countries": ["US"]});
    s.post("/apps", Some(&admin), beyond).await.problem(400, "invalid_field");
    let french = json!({"name": "French shop", "channels": ["sms"], "sms_countries": ["fr"]});
    let app = s.post("/apps", Some(&admin), french).await.ok(201).clone();
    assert_eq!(app["sms_countries"], json!(["FR"]), "{app}");
    let key = token(&app, "api_key");
    let german = s.post("/verifications", Some(&key), json!({"to": "+4915112345678", "channel": "sms"})).await;
    german.problem(400, "destination_not_allowed");
    assert!(german.body["detail"].as_str().unwrap().contains("no sms codes to DE numbers"), "{}", german.body);
    s.post("/verifications", Some(&key), json!({"to": "+33612345678", "channel": "sms"})).await.ok(201);
    let path = format!("/apps/{}", app["id"].as_str().unwrap());
    let widened = s.call(Method::PATCH, &path, Some(&admin), Some(json!({"sms_countries": ["FR", "DE"]}))).await;
    assert_eq!(widened.ok(200)["sms_countries"], json!(["FR", "DE"]));
    s.post("/verifications", Some(&key), json!({"to": "+4915112345678", "channel": "sms"})).await.ok(201);
}

#[tokio::test]
async fn past_the_deployments_hourly_cap_texted_codes_pause_with_503_and_mail_still_goes() {
    local_only!("sets AUTHD_SMS_MAX_PER_HOUR");
    let (s, admin) = Server::start_with_admin_and(&[("AUTHD_SMS_MAX_PER_HOUR", "3")]).await;
    let key = app_key(&s, &admin).await;
    for number in ["+4915112345678", "+33612345678", "+14155550100"] {
        s.post("/verifications", Some(&key), json!({"to": number, "channel": "sms"})).await.ok(201);
    }
    for number in ["+447911123456", "+34612345678"] {
        let paused = s.post("/verifications", Some(&key), json!({"to": number, "channel": "sms"})).await;
        paused.problem(503, "sending_paused");
        let wait: u64 = paused.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((3000..=3600).contains(&wait), "until the hour's window ends: {wait}");
    }
    s.post("/verifications", Some(&key), json!({"to": "paused@example.com", "channel": "email"})).await.ok(201);
    let apps = s.call(Method::GET, "/apps", Some(&admin), None).await;
    let id = apps.ok(200)["items"][0]["id"].as_str().unwrap().to_owned();
    let events = s.call(Method::GET, &format!("/apps/{id}/events"), Some(&admin), None).await;
    let told = events.ok(200)["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "sms_sending_paused").count();
    assert_eq!(told, 1, "one event for the window: {}", events.body);
}

/// Numbers of one Cameroonian mobile prefix unique to this run (`+23767ab…`).
struct Range(String);

impl Range {
    fn new(lead: &str) -> Self {
        let n = uuid::Uuid::new_v4().as_u128() % 100;
        Self(format!("+237{lead}{n:02}"))
    }
    fn number(&self, i: usize) -> String {
        format!("{}{i:05}", self.0)
    }
}

#[tokio::test]
async fn a_pump_from_several_apps_is_blocked_after_the_volume_floor_while_checked_traffic_goes_on_and_an_admin_lifts_it()
 {
    let (s, admin) = Server::start_with_admin().await;
    let keys = [app_key(&s, &admin).await, app_key(&s, &admin).await, app_key(&s, &admin).await];
    let (pumped, used) = (Range::new("67"), Range::new("69"));
    let (mut sent, mut blocked, mut served) = (0, 0, 0);
    for i in 0..45 {
        // The pump: three apps, random numbers of one prefix, no code ever checked.
        let key = &keys[i % 3];
        let r = s.post("/verifications", Some(key), json!({"to": pumped.number(i), "channel": "sms"})).await;
        match r.status.as_u16() {
            201 => sent += 1,
            _ => {
                r.problem(429, "destination_blocked");
                assert!(r.header("retry-after").is_some());
                blocked += 1;
            }
        }
        // Meanwhile, people of another prefix of the same country type their codes.
        if i % 3 == 0 {
            let to = used.number(i);
            let v = s.post("/verifications", Some(&keys[0]), json!({"to": to, "channel": "sms"})).await.ok(201).clone();
            let code = s.latest_code(&to).await;
            let id = v["id"].as_str().unwrap();
            let checked = s.post(&format!("/verifications/{id}/check"), Some(&keys[0]), json!({"code": code})).await;
            assert_eq!(checked.ok(200)["status"], "approved");
            served += 1;
        }
    }
    // The default floor: the 30th code with none checked blocks the prefix.
    assert_eq!((sent, blocked, served), (29, 16, 15), "sent, blocked, legitimate served");
    let list = s.call(Method::GET, "/fraud/blocks", Some(&admin), None).await.ok(200).clone();
    let block = list["items"].as_array().unwrap().iter().find(|b| b["prefix"] == pumped.0.as_str()).cloned();
    let block = block.unwrap_or_else(|| panic!("{} not in {list}", pumped.0));
    assert_eq!((block["country"].as_str(), block["strikes"].as_u64()), (Some("CM"), Some(1)));
    assert!(
        list["items"].as_array().unwrap().iter().all(|b| b["prefix"] != used.0.as_str()),
        "the used prefix is open"
    );
    // An administrator lifts it: codes go there again; lifting twice is 404.
    let lift = format!("/fraud/blocks/{}", pumped.0.trim_start_matches('+'));
    s.call(Method::DELETE, &lift, Some(&admin), None).await.ok(204);
    s.call(Method::DELETE, &lift, Some(&admin), None).await.problem(404, "block_not_found");
    s.post("/verifications", Some(&keys[1]), json!({"to": pumped.number(100), "channel": "sms"})).await.ok(201);
    // Only admins see or lift blocks.
    let key_as_user = s.call(Method::GET, "/fraud/blocks", Some(&keys[0]), None).await;
    assert_eq!(key_as_user.status.as_u16(), 401);
}

#[tokio::test]
async fn a_login_whose_phone_prefix_is_blocked_opens_with_a_mailed_code_instead_of_failing() {
    let (s, admin) = Server::start_with_admin().await;
    let key = app_key(&s, &admin).await;
    // A user whose proven phone is in a range of its own.
    let range = Range::new("68");
    let phone = range.number(0);
    let u = s.register("blocked-phone", false).await;
    let me = token(&s.tokens(&u).await, "access_token");
    let change = json!({"phone": phone, "password": crate::harness::PASSWORD});
    s.call(Method::PATCH, "/users/me", Some(&me), Some(change)).await.ok(200);
    s.call(Method::POST, "/users/me/phone/verify", Some(&me), None).await.ok(202);
    let code = s.latest_code(&phone).await;
    s.post("/users/me/phone/confirm", Some(&me), json!({"code": code})).await.ok(200);
    s.call(Method::PATCH, "/users/me", Some(&me), Some(json!({"is_2fa": true}))).await.ok(200);
    // The range is pumped until the guard blocks it.
    let blocked = async {
        for i in 1..=40 {
            let r = s.post("/verifications", Some(&key), json!({"to": range.number(i), "channel": "sms"})).await;
            if r.status.as_u16() != 201 {
                r.problem(429, "destination_blocked");
                return true;
            }
        }
        false
    };
    assert!(blocked.await, "the pumped range is blocked within 40 codes");
    // Her login goes on by mail, the phone still offered after it.
    let login = s.login(&u).await;
    let opened = login.ok(200);
    assert_eq!(opened["methods"], json!(["email", "sms"]), "{opened}");
    let tmp = opened["temporary_token"].as_str().unwrap().to_owned();
    let mailed = s.newest_mail(&u.email, "login_code").await;
    let code = mailed["code"].as_str().unwrap();
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code, "method": "email"})).await.ok(200);
    assert_eq!(s.mail_lines_of_kind(&phone, "login_code").len(), 0, "no login code went to the blocked phone");
}
