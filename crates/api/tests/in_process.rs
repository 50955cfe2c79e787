//! The HTTP layer in process (poem's TestClient on in-memory SQLite): error
//! mapping, headers, and the spec, without a network.

use api::config::Settings;
use api::error::ApiError;
use poem::test::TestClient;
use serde_json::json;

async fn client() -> (TestClient<impl poem::Endpoint>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("authd-ip-{}", uuid::Uuid::new_v4().simple()));
    let settings =
        Settings { data_dir: dir.clone(), database_url: Some("sqlite::memory:".into()), ..Default::default() };
    let (services, db) = api::app::build_services(&settings).await.unwrap();
    (TestClient::new(api::app::routes(services, db, &settings).unwrap()), dir)
}

fn status_of(e: domain::Error) -> u16 {
    use poem::IntoResponse;
    ApiError::from(e).into_response().status().as_u16()
}

#[test]
fn every_domain_error_maps_to_its_documented_status() {
    use domain::Error as E;
    let cases: Vec<(E, u16)> = vec![
        (E::InvalidField { field: "email", reason: "x".into() }, 400),
        (E::WeakPassword("x".into()), 400),
        (E::PasswordMismatch, 400),
        (E::InvalidCredentials, 400),
        (E::WrongPassword, 400),
        (E::EmailTaken, 409),
        (E::UsernameTaken, 409),
        (E::TokenInvalid, 401),
        (E::TokenExpired, 401),
        (E::SessionRevoked, 401),
        (E::RefreshReused, 401),
        (E::OtpInvalid { remaining: 3 }, 400),
        (E::OtpUsed, 400),
        (E::OtpExpired, 400),
        (E::OtpLocked, 429),
        (E::ResendCooldown { retry_after: std::time::Duration::from_secs(5) }, 429),
        (E::ResendLimit, 429),
        (E::UserNotFound, 404),
        (E::internal("disk on fire"), 500),
    ];
    for (e, status) in cases {
        let name = format!("{e:?}");
        assert_eq!(status_of(e), status, "{name}");
    }
}

#[tokio::test]
async fn a_server_error_carries_an_id_and_never_its_cause() {
    use poem::IntoResponse;
    let resp =
        ApiError::from(domain::Error::internal("connection to 10.0.0.5 refused: password authentication failed"))
            .into_response();
    assert_eq!(resp.status().as_u16(), 500);
    let body: serde_json::Value = serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
    assert_eq!(body["code"], "internal_error");
    let id = body["error_id"].as_str().unwrap();
    assert!(body["detail"].as_str().unwrap().contains(id));
    assert!(!body.to_string().contains("10.0.0.5") && !body.to_string().contains("password authentication"));
}

#[tokio::test]
async fn token_answers_are_never_cached() {
    let (cli, dir) = client().await;
    let r = cli
        .post("/api/v1/users/registration")
        .body_json(&json!({"email": "ada@example.com", "username": "ada", "name": "Ada", "lastname": "L", "password": "tangerine-oboe-quarry-41"}))
        .send()
        .await;
    r.assert_status(poem::http::StatusCode::CREATED);
    let r = cli
        .post("/api/v1/auth/token")
        .body_json(&json!({"username": "ada", "password": "tangerine-oboe-quarry-41"}))
        .send()
        .await;
    r.assert_status_is_ok();
    r.assert_header("cache-control", "no-store");
    r.assert_header("x-content-type-options", "nosniff");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn framework_errors_share_the_problem_shape() {
    let (cli, dir) = client().await;
    for (resp, status, code) in [
        (cli.get("/api/v1/nope").send().await, 404, "not_found"),
        (cli.get("/api/v1/users/me").send().await, 401, "token_missing"),
        (cli.post("/api/v1/auth/token").content_type("application/json").body("{").send().await, 400, "bad_request"),
    ] {
        resp.assert_status(poem::http::StatusCode::from_u16(status).unwrap());
        resp.assert_content_type("application/problem+json");
        let body = resp.json().await;
        body.value().object().get("code").assert_string(code);
    }
    let _ = std::fs::remove_dir_all(dir);
}
