//! The SMS guard from outside: numbers a texted code may not go to are
//! refused with 400 `destination_not_allowed` before anything is queued,
//! counted or charged; mail is never refused by it.

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
}
