//! The HTTP layer in process (poem's TestClient on in-memory SQLite): error
//! mapping, headers, and the spec, without a network.

use api::config::Settings;
use api::http::error::ApiError;
use poem::test::TestClient;
use serde_json::json;

/// Settings for a node on an in-memory SQLite database, its files in `dir`.
fn in_memory(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.data_dir = dir.to_owned();
    s.database.database_url = Some("sqlite::memory:".into());
    s
}

async fn client() -> (TestClient<impl poem::Endpoint>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("authd-ip-{}", uuid::Uuid::new_v4().simple()));
    let settings = in_memory(&dir);
    let node = api::boot::node::build_services(&settings).await.unwrap();
    (TestClient::new(api::routes::routes(node.services, node.db, node.signing_keys, &settings).unwrap()), dir)
}

/// What each domain error must answer: status and problem code. A match
/// without a wildcard, so a new variant does not compile until it is given
/// its answer here.
fn documented(e: &domain::Error) -> (u16, &'static str) {
    use domain::Error as E;
    match e {
        E::InvalidField { .. } => (400, "invalid_field"),
        E::WeakPassword(_) => (400, "password_weak"),
        E::PasswordMismatch => (400, "password_mismatch"),
        E::InvalidCredentials => (400, "invalid_credentials"),
        E::WrongPassword => (400, "password_incorrect"),
        E::PasswordRequired => (400, "password_required"),
        E::EmailTaken => (409, "email_taken"),
        E::UsernameTaken => (409, "username_taken"),
        E::TokenInvalid => (401, "token_invalid"),
        E::TokenExpired => (401, "token_expired"),
        E::SessionRevoked => (401, "session_revoked"),
        E::RefreshReused => (401, "refresh_token_reused"),
        E::ReauthenticationRequired { .. } => (401, "reauthentication_required"),
        E::SecondFactorRequired => (403, "second_factor_required"),
        E::LastSecondFactor => (409, "last_second_factor"),
        E::TrustedDeviceNotFound => (404, "trusted_device_not_found"),
        E::OtpInvalid { .. } => (400, "otp_invalid"),
        E::OtpUsed => (400, "otp_used"),
        E::OtpLocked => (429, "otp_locked"),
        E::OtpCanceled => (410, "otp_canceled"),
        E::ResendCooldown { .. } => (429, "otp_resend_cooldown"),
        E::ResendLimit => (429, "otp_resend_limit"),
        E::MethodUnavailable => (400, "method_unavailable"),
        E::TotpAlreadyActive => (409, "totp_active"),
        E::TotpNotPending => (409, "totp_not_pending"),
        E::NoSecondFactor => (409, "no_second_factor"),
        E::ChannelUnavailable => (400, "channel_unavailable"),
        E::NoPhone => (409, "no_phone"),
        E::PhoneVerified => (409, "phone_verified"),
        E::NoCodePending => (409, "no_code_pending"),
        E::PhoneChanged => (409, "phone_changed"),
        E::VerificationInvalid => (400, "verification_invalid"),
        E::AlreadyVerified => (409, "already_verified"),
        E::ResetInvalid => (400, "reset_invalid"),
        E::EmailUnverified => (403, "email_unverified"),
        E::PasskeyInvalid { .. } => (400, "passkey_invalid"),
        E::PasskeyExists => (409, "passkey_exists"),
        E::AccountInactive => (403, "account_inactive"),
        E::PasskeysOff => (404, "not_found"),
        E::PasskeyNotFound => (404, "passkey_not_found"),
        E::UserNotFound => (404, "user_not_found"),
        E::AppNotFound => (404, "app_not_found"),
        E::ClientNotFound => (404, "client_not_found"),
        E::BlockNotFound => (404, "block_not_found"),
        E::ClientPublic => (409, "client_public"),
        E::SessionNotFound => (404, "session_not_found"),
        E::ApiKeyInvalid => (401, "api_key_invalid"),
        E::VerificationNotFound => (404, "verification_not_found"),
        E::VerificationNotPending => (409, "verification_not_pending"),
        E::VerificationClosed { status } => match status {
            domain::verification::VerificationStatus::Approved => (410, "verification_approved"),
            domain::verification::VerificationStatus::Expired => (410, "verification_expired"),
            domain::verification::VerificationStatus::Canceled => (410, "verification_canceled"),
            domain::verification::VerificationStatus::Failed => (410, "verification_failed"),
            domain::verification::VerificationStatus::Pending => (410, "verification_pending"),
        },
        E::DestinationNotAllowed { .. } => (400, "destination_not_allowed"),
        E::DestinationThrottled { .. } => (429, "destination_throttled"),
        E::DestinationBlocked { .. } => (429, "destination_blocked"),
        E::SendingPaused { .. } => (503, "sending_paused"),
        E::TooManyPending { .. } => (429, "too_many_pending"),
        E::AccountLocked { .. } => (429, "too_many_attempts"),
        E::RateLimited { .. } => (429, "rate_limited"),
        E::Forbidden => (403, "forbidden"),
        E::LastAdmin => (409, "last_admin"),
        E::Overloaded { .. } => (503, "overloaded"),
        E::Unavailable(_) => (503, "database_unavailable"),
        E::Internal(_) => (500, "internal_error"),
    }
}

/// One value of every variant, in declaration order. Add the new one here
/// when `documented` asks for it.
fn one_of_each() -> Vec<domain::Error> {
    use domain::Error as E;
    let wait = std::time::Duration::from_secs(5);
    vec![
        E::InvalidField { field: "email", reason: "x".into() },
        E::WeakPassword("x".into()),
        E::PasswordMismatch,
        E::InvalidCredentials,
        E::WrongPassword,
        E::PasswordRequired,
        E::EmailTaken,
        E::UsernameTaken,
        E::TokenInvalid,
        E::TokenExpired,
        E::SessionRevoked,
        E::RefreshReused,
        E::ReauthenticationRequired { max_age: Some(wait), two_factors: false },
        E::SecondFactorRequired,
        E::LastSecondFactor,
        E::OtpInvalid { remaining: 3 },
        E::OtpUsed,
        E::OtpLocked,
        E::OtpCanceled,
        E::ResendCooldown { retry_after: wait },
        E::ResendLimit,
        E::MethodUnavailable,
        E::TotpAlreadyActive,
        E::TotpNotPending,
        E::NoSecondFactor,
        E::ChannelUnavailable,
        E::NoPhone,
        E::PhoneVerified,
        E::NoCodePending,
        E::PhoneChanged,
        E::VerificationInvalid,
        E::AlreadyVerified,
        E::ResetInvalid,
        E::EmailUnverified,
        E::PasskeyInvalid { remaining: Some(2) },
        E::PasskeyExists,
        E::AccountInactive,
        E::PasskeysOff,
        E::PasskeyNotFound,
        E::TrustedDeviceNotFound,
        E::UserNotFound,
        E::AppNotFound,
        E::ClientNotFound,
        E::BlockNotFound,
        E::ClientPublic,
        E::SessionNotFound,
        E::ApiKeyInvalid,
        E::VerificationNotFound,
        E::VerificationNotPending,
        E::VerificationClosed { status: domain::verification::VerificationStatus::Approved },
        E::VerificationClosed { status: domain::verification::VerificationStatus::Canceled },
        E::DestinationNotAllowed { reason: "premium-rate numbers receive no codes".into() },
        E::DestinationThrottled { retry_after: wait },
        E::DestinationBlocked { retry_after: wait },
        E::SendingPaused { retry_after: wait },
        E::TooManyPending { retry_after: wait },
        E::AccountLocked { retry_after: wait },
        E::RateLimited { retry_after: wait, scope: domain::throttle::RateScope::VerificationDestination },
        E::Forbidden,
        E::LastAdmin,
        E::Overloaded { retry_after: wait },
        E::Unavailable("connection refused".into()),
        E::internal("disk on fire"),
    ]
}

#[tokio::test]
async fn every_domain_error_maps_to_its_documented_status() {
    use poem::IntoResponse;
    let errors = one_of_each();
    let codes: std::collections::HashSet<&str> = errors.iter().map(|e| documented(e).1).collect();
    assert_eq!(codes.len(), errors.len(), "one value per variant, none twice");
    for e in errors {
        let (status, code) = documented(&e);
        let name = format!("{e:?}");
        let resp = ApiError::from(e).into_response();
        assert_eq!(resp.status().as_u16(), status, "{name}");
        let waits = matches!(
            code,
            "otp_resend_cooldown"
                | "too_many_attempts"
                | "rate_limited"
                | "too_many_pending"
                | "overloaded"
                | "database_unavailable"
                | "destination_throttled"
                | "destination_blocked"
                | "sending_paused"
        );
        assert_eq!(resp.headers().get("retry-after").is_some(), waits, "{name}: Retry-After");
        let body: serde_json::Value = serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
        assert_eq!(body["code"], code, "{name}");
        assert_eq!(body["status"], status, "{name}");
    }
}

#[tokio::test]
async fn a_step_up_refusal_is_rfc_9470s_challenge_in_the_header_and_the_body() {
    use poem::IntoResponse;
    let max_age = std::time::Duration::from_secs(300);
    for (two_factors, header) in [
        (
            false,
            r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="300""#,
        ),
        (
            true,
            r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="aal2", max_age="300""#,
        ),
    ] {
        let max_age = Some(max_age);
        let resp = ApiError::from(domain::Error::ReauthenticationRequired { max_age, two_factors }).into_response();
        assert_eq!(resp.status().as_u16(), 401);
        assert_eq!(resp.headers().get("www-authenticate").unwrap(), header);
        let body: serde_json::Value = serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
        assert_eq!((body["code"].as_str(), body["max_age"].as_u64()), (Some("reauthentication_required"), Some(300)));
        assert_eq!(body["acr_values"].as_str(), two_factors.then_some("aal2"));
    }
    let plain = ApiError::from(domain::Error::TokenExpired).into_response();
    assert_eq!(plain.headers().get("www-authenticate").unwrap(), "Bearer", "other 401s challenge as before");
}

#[tokio::test]
async fn an_admin_routes_step_up_refusal_under_the_second_factor_policy_asks_for_the_level_alone() {
    use poem::IntoResponse;
    let refusal = domain::Error::ReauthenticationRequired { max_age: None, two_factors: true };
    let resp = ApiError::from(refusal).into_response();
    assert_eq!(resp.status().as_u16(), 401);
    let header = r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="aal2""#;
    assert_eq!(resp.headers().get("www-authenticate").unwrap(), header);
    let body: serde_json::Value = serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
    assert_eq!((body["acr_values"].as_str(), body.get("max_age")), (Some("aal2"), None));
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

#[tokio::test]
async fn eddsa_in_production_refuses_to_start_without_a_signing_key_until_keys_rotate_makes_one() {
    let dir = std::env::temp_dir().join(format!("authd-ip-{}", uuid::Uuid::new_v4().simple()));
    let mut settings = Settings::default();
    settings.server.env = api::config::RunEnv::Production;
    settings.server.public_url = Some("https://id.example.com".into());
    settings.server.data_dir = dir.clone();
    settings.tokens.jwt_secret = Some("p".repeat(32).into());
    settings.tokens.jwt_alg = api::config::JwtAlg::EdDsa;
    settings.delivery.allow_file_mailer = true;
    settings.check().unwrap();
    let err = format!("{:#}", api::boot::node::build_services(&settings).await.err().expect("no key, no start"));
    assert!(err.contains("authd keys rotate") && err.contains("AUTHD_JWT_KEY_FILE"), "{err}");
    let said = api::boot::signing::rotate_command(&settings, "EdDSA", None).await.unwrap();
    assert!(said.starts_with("added signing key "), "{said}");
    let node = api::boot::node::build_services(&settings).await.unwrap();
    assert_eq!(node.signing_keys.jwks().keys.len(), 1);
    std::fs::remove_dir_all(dir).ok();
}
