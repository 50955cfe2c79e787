//! Bad input of every kind gets a 4xx problem body, never a 5xx; the spec,
//! explorers and health checks are served.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Server, reply, token};

/// Routes that read a body: a malformed one is refused.
const BODY_ROUTES: &[(&str, &str)] = &[
    ("POST", "/auth/token"),
    ("POST", "/auth/verify-otp"),
    ("POST", "/auth/resend-otp"),
    ("POST", "/auth/refresh-token"),
    ("POST", "/auth/logout"),
    ("POST", "/users/registration"),
    ("PATCH", "/users/me"),
    ("DELETE", "/users/me"),
    ("POST", "/users/change-password"),
    ("POST", "/users/me/totp"),
    ("POST", "/users/me/totp/confirm"),
    ("DELETE", "/users/me/totp"),
    ("POST", "/users/me/recovery-codes"),
];

/// Routes that read no body: whatever is sent is ignored.
const BODYLESS_ROUTES: &[(&str, &str)] =
    &[("POST", "/auth/verify-token"), ("GET", "/users/me"), ("GET", "/users/me/second-factors")];

fn is_problem(r: &crate::harness::Reply) -> bool {
    r.header("content-type") == Some("application/problem+json")
        && r.body["code"].is_string()
        && r.body["status"] == r.status.as_u16()
}

#[tokio::test]
async fn every_route_answers_malformed_bodies_with_a_4xx_problem() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", b"\"a string\"".to_vec()),
        (
            "application/json",
            br#"{"username": 12, "password": ["x"], "otp": {}, "refresh_token": null, "email": false}"#.to_vec(),
        ),
        ("application/json", vec![0xff, 0xfe, 0x00, 0x01]),
        ("application/xml", b"<a/>".to_vec()),
        ("application/x-www-form-urlencoded", b"%%%=&&".to_vec()),
    ];
    for (method, path) in BODY_ROUTES.iter().chain(BODYLESS_ROUTES) {
        let bare = s.http.request(method.parse().unwrap(), s.url(&format!("/api/v1{path}"))).bearer_auth(&access);
        let without_body = reply(bare.send().await.unwrap()).await.status;
        for (ctype, body) in &bodies {
            let req = s
                .http
                .request(method.parse().unwrap(), s.url(&format!("/api/v1{path}")))
                .bearer_auth(&access)
                .header("content-type", *ctype)
                .body(body.clone());
            let r = reply(req.send().await.unwrap()).await;
            if BODY_ROUTES.contains(&(method, path)) {
                assert!(r.status.is_client_error(), "{method} {path} {ctype}: {} {}", r.status, r.body);
                assert!(is_problem(&r), "{method} {path} {ctype}: not a problem: {:?}", r);
            } else {
                assert_eq!(r.status, without_body, "{method} {path} {ctype}: the body is ignored");
            }
        }
    }
}

#[tokio::test]
async fn a_one_megabyte_body_is_413_whether_or_not_it_declares_its_length() {
    let s = Server::start().await;
    let huge = json!({"username": "ada", "password": "x".repeat(1 << 20)});
    let r = s.post("/auth/token", None, huge.clone()).await;
    r.problem(413, "payload_too_large");
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(serde_json::to_vec(&huge).unwrap())]);
    let chunked = s
        .http
        .post(s.url("/api/v1/users/registration"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    reply(chunked).await.problem(413, "payload_too_large");
}

/// A client still sending a refused body must read the 413, not a reset:
/// authd answers at once, then reads and throws away the rest (a lingering
/// close, as nginx does) before it closes the connection.
#[tokio::test]
async fn a_refused_body_of_any_size_gets_a_413_the_client_can_read() {
    let s = Server::start().await;
    for size in [2_100_000usize, 3_000_000, 10_000_000] {
        let body = vec![b' '; size];
        let sent = s
            .http
            .post(s.url("/api/v1/auth/token"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{size} bytes with a length: {e:?}"));
        let r = reply(sent).await;
        r.problem(413, "payload_too_large");
        assert_eq!(r.header("connection"), Some("close"), "{size} bytes: the connection is not reused");
        let chunks = body.chunks(64 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>();
        let chunked = s
            .http
            .post(s.url("/api/v1/users/registration"))
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{size} bytes chunked: {e:?}"));
        reply(chunked).await.problem(413, "payload_too_large");
    }
    // The server is whole afterwards.
    s.http.get(s.url("/health/live")).send().await.unwrap().error_for_status().unwrap();
}

#[tokio::test]
async fn overlong_fields_are_refused_with_400_naming_the_field() {
    let s = Server::start().await;
    let r = s.post("/auth/token", None, json!({"username": "a".repeat(5000), "password": "whatever-1"})).await;
    r.problem(400, "invalid_field");
    assert_eq!(r.body["field"], "username");
    let r = s.post("/auth/token", None, json!({"username": "ada", "password": "p".repeat(5000)})).await;
    r.problem(400, "invalid_field");
    assert_eq!(r.body["field"], "password");
}

#[tokio::test]
async fn garbage_bearer_tokens_are_401_problems() {
    let s = Server::start().await;
    let garbage = [
        "x".to_owned(),
        "a.b.c".to_owned(),
        "....".to_owned(),
        "e".repeat(8000),
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ0eXAiOiJhY2Nlc3MifQ.".to_owned(),
        "\u{1F600}".to_owned(),
    ];
    for t in &garbage {
        for (method, path) in [
            ("GET", "/users/me"),
            ("POST", "/auth/verify-token"),
            ("POST", "/auth/verify-otp"),
            ("POST", "/auth/logout"),
        ] {
            let req = s
                .http
                .request(method.parse().unwrap(), s.url(&format!("/api/v1{path}")))
                .header("authorization", format!("Bearer {t}"));
            let Ok(resp) = req.json(&json!({"otp": "123456"})).send().await else {
                continue;
            };
            let r = reply(resp).await;
            assert_eq!(r.status.as_u16(), 401, "{path} with {t:.20}: {}", r.body);
            assert!(is_problem(&r));
        }
    }
    let r = s.http.get(s.url("/api/v1/users/me")).header("authorization", "Basic YWRhOnB3").send().await.unwrap();
    reply(r).await.problem(401, "token_missing");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_problems_and_a_405_says_which_methods_there_are() {
    let s = Server::start().await;
    s.call(Method::GET, "/nowhere", None, None).await.problem(404, "not_found");
    let r = s.call(Method::GET, "/auth/token", None, None).await;
    r.problem(405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("POST"), "a 405 says which methods the path has");
    let r = s.call(Method::PUT, "/users/00000000-0000-0000-0000-000000000001", None, None).await;
    r.problem(405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("DELETE, GET, PATCH"));
    let r =
        s.http.post(s.url("/api/v1/auth/token")).header("content-type", "text/plain").body("hi").send().await.unwrap();
    reply(r).await.problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_its_error_statuses() {
    let s = Server::start().await;
    let spec: Value = s.http.get(s.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (method, path) in BODY_ROUTES.iter().chain(BODYLESS_ROUTES) {
        let op = &spec["paths"][format!("/api/v1{path}").replace("/api/v1", "")];
        let op = if op.is_null() { &spec["paths"][*path] } else { op };
        let op = &op[method.to_lowercase()];
        assert!(op.is_object(), "{method} {path} missing from the spec");
        for status in ["400", "401", "429", "500"] {
            let content = &op["responses"][status]["content"]["application/problem+json"];
            assert!(content.is_object(), "{method} {path} does not document {status}");
        }
    }
    assert!(spec["components"]["securitySchemes"]["AccessToken"].is_object());
    assert!(spec["components"]["securitySchemes"]["TemporaryToken"].is_object());
}

#[tokio::test]
async fn explorers_and_health_checks_are_served() {
    let s = Server::start().await;
    for path in ["/docs", "/docs/swagger", "/docs/scalar"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert!(r.text().await.unwrap().contains("<html"), "{path}");
    }
    // The explorers load nothing from elsewhere, and their policy would block it if they tried.
    for path in ["/docs/swagger", "/docs/scalar"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        let csp = r.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned());
        let csp = csp.unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"));
        assert!(csp.starts_with("default-src 'none'; script-src 'sha256-") && !csp.contains("http"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'unsafe-inline'"), "{path}: {csp}");
        let html = r.text().await.unwrap();
        if path == "/docs/scalar" {
            assert!(html.contains("withDefaultFonts&quot;:false"), "Scalar is told to use the system's fonts");
        }
    }
    for path in ["/health/live", "/health/ready"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["status"], "ok");
    }
}

#[tokio::test]
async fn the_root_leads_a_person_to_the_pages_or_to_the_explorers_and_the_icon_is_served() {
    let s = Server::start().await;
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let root = plain.get(s.url("/")).send().await.unwrap();
    assert_eq!((root.status().as_u16(), root.headers()["location"].to_str().unwrap()), (303, "/ui"));
    let icon = plain.get(s.url("/favicon.ico")).send().await.unwrap();
    assert_eq!((icon.status().as_u16(), icon.headers()["content-type"].to_str().unwrap()), (200, "image/x-icon"));
    assert!(icon.bytes().await.unwrap().starts_with(&[0, 0, 1, 0]), "an ICO file");
    if !crate::harness::remote() {
        let no_pages = Server::start_with(&[("AUTHD_UI", "false")]).await;
        let root = plain.get(no_pages.url("/")).send().await.unwrap();
        assert_eq!((root.status().as_u16(), root.headers()["location"].to_str().unwrap()), (303, "/docs"));
    }
}

#[tokio::test]
async fn oversized_header_fields_get_a_431_problem() {
    let s = Server::start().await;
    let r = s.http.get(s.url("/api/v1/users/me")).header("x-padding", "p".repeat(40 * 1024)).send().await.unwrap();
    reply(r).await.problem(431, "headers_too_large");
    s.http.get(s.url("/health/live")).send().await.unwrap().error_for_status().unwrap();
}

#[tokio::test]
async fn null_for_a_field_the_document_does_not_make_nullable_and_words_outside_their_list_are_refused() {
    let (s, admin) = Server::start_with_admin().await;
    let u = s.register("ada", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    let name = format!("shop-{}", uuid::Uuid::new_v4().simple());
    let app = json!({"name": name, "channels": ["email"], "ttl_seconds": null});
    let r = s.post("/apps", Some(&admin), app).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(is_problem(&r) && r.body["detail"].as_str().unwrap().contains("must not be null"), "{:?}", r.body);
    // Nothing made: no page of apps (the server may be shared) holds it.
    let mut after = String::new();
    loop {
        let page = s.call(Method::GET, &format!("/apps?limit=100{after}"), Some(&admin), None).await;
        let page = page.ok(200);
        assert!(page["items"].as_array().unwrap().iter().all(|a| a["name"] != name.as_str()), "{name} was made");
        match page["next_cursor"].as_str() {
            Some(cursor) => after = format!("&after={cursor}"),
            None => break,
        }
    }
    for change in [json!({"name": null}), json!({"is_2fa": null}), json!({"email": null})] {
        let r = s.call(Method::PATCH, "/users/me", Some(&access), Some(change.clone())).await;
        assert_eq!(r.status, 400, "{change}: {}", r.body);
    }
    // `null` removes the phone: the one field where it means something.
    s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"phone": null}))).await.ok(200);
    // Refused by the document's enums (`bad_request`), before any use case
    // could answer `channel_unavailable` or `method_unavailable`.
    s.post("/users/me/phone/verify", Some(&access), json!({"channel": "pigeon"})).await.problem(400, "bad_request");
    let temporary = s.temporary(&s.register("bob", true).await).await;
    let otp = json!({"otp": "123456", "method": "pigeon"});
    s.post("/auth/verify-otp", Some(&temporary), otp).await.problem(400, "bad_request");
    // totp is a method, but no sent one: not in resend's list.
    s.post("/auth/resend-otp", Some(&temporary), json!({"method": "totp"})).await.problem(400, "bad_request");
    let long = "a".repeat(101);
    let r = s.call(Method::GET, &format!("/users?q={long}"), Some(&admin), None).await;
    r.problem(400, "invalid_field");
}
