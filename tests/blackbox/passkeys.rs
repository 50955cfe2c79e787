//! Passkeys over HTTP, answered by a software authenticator
//! (webauthn-authenticator-rs's `SoftPasskey`) that signs as a device
//! would for the server's public origin: enrolling one, the second step of
//! a login, a sign-in with nothing else, the lockout, an admin's reset, and
//! two nodes racing one assertion.

use reqwest::Method;
use serde_json::{Value, json};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs_proto::{AllowCredentials, CreationChallengeResponse, RequestChallengeResponse};

use crate::harness::{Reply, Server, TestUser, local_only, token};

/// What `PublicKeyCredential.toJSON()` gives for a credential.
fn to_json<T: serde::Serialize>(credential: &T) -> Value {
    let mut v = serde_json::to_value(credential).unwrap();
    let o = v.as_object_mut().unwrap();
    let extensions = o.remove("extensions").unwrap_or(json!({}));
    o.insert("clientExtensionResults".into(), extensions);
    v
}

/// A device with a software passkey, used from the server's public origin.
struct Device {
    key: SoftPasskey,
    origin: url::Url,
    /// The credential it made, and for whom.
    made: Option<(Vec<u8>, uuid::Uuid)>,
}

impl Device {
    fn for_server(s: &Server) -> Self {
        Self { key: SoftPasskey::new(true), origin: url::Url::parse(&s.public_url()).unwrap(), made: None }
    }

    fn create(&mut self, options: &Value, user: &TestUser) -> Value {
        let mut ccr: CreationChallengeResponse = serde_json::from_value(options.clone()).unwrap();
        // The software key keeps no resident key; a real passkey does.
        let selection = ccr.public_key.authenticator_selection.as_mut().unwrap();
        assert!(selection.require_resident_key, "the options ask for a discoverable credential");
        (selection.resident_key, selection.require_resident_key) = (None, false);
        let credential = self.key.do_registration(self.origin.clone(), ccr).unwrap();
        self.made = Some((credential.raw_id.to_vec(), user.id.parse().unwrap()));
        to_json(&credential)
    }

    /// An answer to a login's options (its allowed credentials listed).
    fn get(&mut self, options: &Value) -> Value {
        let rcr: RequestChallengeResponse = serde_json::from_value(options.clone()).unwrap();
        to_json(&self.key.do_authentication(self.origin.clone(), rcr).unwrap())
    }

    /// An answer to sign-in options (none listed), as a device that found
    /// its credential for this site: it returns the user handle it keeps.
    fn sign_in(&mut self, options: &Value) -> Value {
        let mut rcr: RequestChallengeResponse = serde_json::from_value(options.clone()).unwrap();
        assert!(rcr.public_key.allow_credentials.is_empty(), "a sign-in names no credential");
        let (id, user) = self.made.clone().expect("a passkey was made");
        rcr.public_key.allow_credentials = vec![AllowCredentials { type_: "public-key".into(), id, transports: None }];
        let mut answer = self.key.do_authentication(self.origin.clone(), rcr).unwrap();
        answer.response.user_handle = Some(user.as_bytes().to_vec());
        to_json(&answer)
    }
}

/// `credential` with its signature's last byte flipped.
fn forged(mut credential: Value) -> Value {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sig = credential["response"]["signature"].as_str().unwrap();
    let mut bytes = b64.decode(sig).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    credential["response"]["signature"] = Value::String(b64.encode(bytes));
    credential
}

/// A user with a passkey on `device`, and the access token it was added with.
async fn enrolled(s: &Server, name: &str, device: &mut Device) -> (TestUser, String) {
    let u = s.register(name, false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    s.post("/users/me/passkeys/options", Some(&access), json!({"password": "not-the-password-1"}))
        .await
        .problem(400, "password_incorrect");
    let begun = s.post("/users/me/passkeys/options", Some(&access), json!({"password": u.password})).await;
    let begun = begun.ok(200).clone();
    let credential = device.create(&begun["options"], &u);
    let body = json!({"ceremony_id": begun["ceremony_id"], "name": "Soft key", "credential": credential});
    let added = s.post("/users/me/passkeys", Some(&access), body).await;
    let added = added.ok(201);
    assert_eq!((added["name"].as_str(), added["last_used_at"].is_null()), (Some("Soft key"), true));
    (u, access)
}

/// `access`'s session stepped up with the passkey alone (`aal2`, as a
/// change of passkeys asks once the user has one); the new access token.
async fn stepped_up(s: &Server, access: &str, device: &mut Device) -> String {
    let options = s.post("/auth/reauthenticate/passkey-options", Some(access), json!({})).await;
    let credential = device.get(&options.ok(200)["options"]);
    let pair = s.post("/auth/reauthenticate", Some(access), json!({"credential": credential})).await;
    token(pair.ok(200), "access_token")
}

async fn passkey_options(s: &Server, temporary: &str) -> Value {
    s.post("/auth/passkey/options", Some(temporary), json!({})).await.ok(200)["options"].clone()
}

async fn verify(s: &Server, temporary: &str, credential: Value) -> Reply {
    s.post("/auth/verify-passkey", Some(temporary), json!({"credential": credential})).await
}

#[tokio::test]
async fn a_passkey_is_added_and_then_answers_the_second_step_of_a_password_login_sending_nothing() {
    let s = Server::start().await;
    let mut device = Device::for_server(&s);
    let (u, access) = enrolled(&s, "ada", &mut device).await;
    let list = s.call(Method::GET, "/users/me/passkeys", Some(&access), None).await;
    assert_eq!(list.ok(200)["passkeys"].as_array().unwrap().len(), 1);
    let factors = s.call(Method::GET, "/users/me/second-factors", Some(&access), None).await;
    assert_eq!(
        (factors.ok(200)["methods"][0].as_str(), factors.ok(200)["passkeys"].as_u64()),
        (Some("passkey"), Some(1))
    );

    s.post("/auth/logout", Some(&access), json!({})).await.ok(204);
    let login = s.login(&u).await;
    let login = login.ok(200);
    assert_eq!(login["methods"][0], "passkey", "{login}");
    let temporary = login["temporary_token"].as_str().unwrap().to_owned();
    // No code is queued unless asked for: the login's status has no message
    // (the mail log alone could still be waiting for one).
    let status = s.call(Method::GET, "/auth/otp-status", Some(&temporary), None).await;
    let status = status.ok(200);
    assert_eq!((status["method"].as_str(), status["delivery"].is_null()), (Some("passkey"), true), "{status}");
    assert!(s.mails_to(&u.email).is_empty());
    let options = passkey_options(&s, &temporary).await;
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let pair = verify(&s, &temporary, device.get(&options)).await;
    s.me(&token(pair.ok(200), "access_token")).await.ok(200);
    let after = s.call(Method::GET, "/users/me/passkeys", Some(&token(pair.ok(200), "access_token")), None).await;
    assert!(!after.ok(200)["passkeys"][0]["last_used_at"].is_null());
}

#[tokio::test]
async fn a_passkey_signs_in_alone_and_a_spent_ceremony_does_not_twice() {
    let s = Server::start().await;
    let mut device = Device::for_server(&s);
    let (u, _) = enrolled(&s, "ada", &mut device).await;
    let started = s.post("/auth/passkey/start", None, json!({})).await;
    let started = started.ok(200).clone();
    assert_eq!(started["options"]["publicKey"]["userVerification"], "required");
    let answer = device.sign_in(&started["options"]);
    let body = json!({"ceremony_id": started["ceremony_id"], "credential": answer});
    let pair = s.post("/auth/passkey/finish", None, body.clone()).await;
    let me = s.me(&token(pair.ok(200), "access_token")).await;
    assert_eq!(me.ok(200)["id"], u.id.as_str());
    s.post("/auth/passkey/finish", None, body).await.problem(400, "passkey_invalid");
}

#[tokio::test]
async fn five_bad_assertions_end_the_login_as_five_wrong_codes_do() {
    let s = Server::start().await;
    let mut device = Device::for_server(&s);
    let (u, _) = enrolled(&s, "ada", &mut device).await;
    let temporary = s.temporary(&u).await;
    for left in (1..5).rev() {
        let options = passkey_options(&s, &temporary).await;
        let refused = verify(&s, &temporary, forged(device.get(&options))).await;
        assert_eq!(refused.problem(400, "passkey_invalid").body["remaining_attempts"], left, "{}", refused.body);
    }
    let options = passkey_options(&s, &temporary).await;
    let last = verify(&s, &temporary, forged(device.get(&options))).await;
    assert!(matches!(last.status.as_u16(), 400 | 429), "{}", last.body);
    // The login is over: not even the right passkey finishes it.
    let over = s.post("/auth/passkey/options", Some(&temporary), json!({})).await;
    assert_eq!(over.status.as_u16(), 429, "{}", over.body);
    assert_eq!(over.body["code"], "otp_locked");
}

#[tokio::test]
async fn a_ceremony_begun_by_one_user_cannot_add_a_passkey_for_another() {
    let s = Server::start().await;
    let ada = s.register("ada", false).await;
    let bob = s.register("bob", false).await;
    let (ada_access, bob_access) =
        (token(&s.tokens(&ada).await, "access_token"), token(&s.tokens(&bob).await, "access_token"));
    let begun = s.post("/users/me/passkeys/options", Some(&ada_access), json!({"password": ada.password})).await;
    let begun = begun.ok(200).clone();
    let mut device = Device::for_server(&s);
    let credential = device.create(&begun["options"], &ada);
    let body = json!({"ceremony_id": begun["ceremony_id"], "name": "Mine", "credential": credential});
    s.post("/users/me/passkeys", Some(&bob_access), body.clone()).await.problem(400, "passkey_invalid");
    s.post("/users/me/passkeys", Some(&ada_access), body).await.ok(201);
}

#[tokio::test]
async fn bad_passkey_input_gets_a_clear_error_and_changes_nothing() {
    let s = Server::start().await;
    let mut device = Device::for_server(&s);
    let (_, access) = enrolled(&s, "ada", &mut device).await;
    let refused =
        s.post("/users/me/passkeys/options", Some(&access), json!({"password": crate::harness::PASSWORD})).await;
    refused.problem(401, "reauthentication_required");
    let access = stepped_up(&s, &access, &mut device).await;
    let said = s.call(Method::POST, "/auth/verify-token", Some(&access), None).await.ok(200).clone();
    assert_eq!((&said["amr"], &said["acr"]), (&json!(["hwk", "user", "mfa"]), &json!("aal2")), "{said}");
    let list = s.call(Method::GET, "/users/me/passkeys", Some(&access), None).await;
    let id = list.ok(200)["passkeys"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/users/me/passkeys/{id}");
    s.call(Method::PATCH, &path, Some(&access), Some(json!({"name": ""}))).await.problem(400, "invalid_field");
    s.call(Method::PATCH, &path, Some(&access), Some(json!({"name": "x".repeat(65)})))
        .await
        .problem(400, "invalid_field");
    let renamed = s.call(Method::PATCH, &path, Some(&access), Some(json!({"name": "Phone"}))).await;
    assert_eq!(renamed.ok(200)["name"], "Phone");
    let other = format!("/users/me/passkeys/{}", uuid::Uuid::new_v4());
    s.call(Method::PATCH, &other, Some(&access), Some(json!({"name": "x"}))).await.problem(404, "passkey_not_found");
    let begun =
        s.post("/users/me/passkeys/options", Some(&access), json!({"password": "tangerine-oboe-quarry-41"})).await;
    let garbage = json!({"ceremony_id": begun.body["ceremony_id"], "name": "Junk", "credential": {"id": "nope"}});
    s.post("/users/me/passkeys", Some(&access), garbage).await.problem(400, "passkey_invalid");
    s.call(Method::DELETE, &path, Some(&access), Some(json!({"password": "not-the-password-1"})))
        .await
        .problem(400, "password_incorrect");
    let list = s.call(Method::GET, "/users/me/passkeys", Some(&access), None).await;
    assert_eq!(list.ok(200)["passkeys"].as_array().unwrap().len(), 1, "nothing was lost");
}

#[tokio::test]
async fn an_admin_reset_of_second_factors_removes_the_passkeys() {
    let (s, admin) = Server::start_with_admin().await;
    let mut device = Device::for_server(&s);
    let (u, _) = enrolled(&s, "ada", &mut device).await;
    s.call(Method::DELETE, &format!("/users/{}/second-factors", u.id), Some(&admin), None).await.ok(204);
    let login = s.login(&u).await;
    let methods = login.ok(200)["methods"].clone();
    assert_eq!(methods, json!(["email"]), "two-factor login by mail stays on");
    let started = s.post("/auth/passkey/start", None, json!({})).await.ok(200).clone();
    let body = json!({"ceremony_id": started["ceremony_id"], "credential": device.sign_in(&started["options"])});
    s.post("/auth/passkey/finish", None, body).await.problem(400, "passkey_invalid");
}

#[tokio::test]
async fn with_passkeys_off_their_routes_are_not_found() {
    local_only!("needs AUTHD_PASSKEYS=false");
    let s = Server::start_with(&[("AUTHD_PASSKEYS", "false")]).await;
    let u = s.register("ada", true).await;
    let access = token(&s.two_factor_tokens(&u).await, "access_token");
    s.post("/auth/passkey/start", None, json!({})).await.problem(404, "not_found");
    s.call(Method::GET, "/users/me/passkeys", Some(&access), None).await.problem(404, "not_found");
    let temporary = s.temporary(&u).await;
    s.post("/auth/passkey/options", Some(&temporary), json!({})).await.problem(404, "not_found");
}

#[tokio::test]
async fn two_nodes_cannot_both_accept_one_assertion() {
    local_only!("starts a second node on the same database");
    let a = Server::start().await;
    // Behind one load balancer both nodes have the same public address.
    let b = a.second_node_with(&[("AUTHD_PUBLIC_URL", &a.public_url())]);
    let mut device = Device::for_server(&a);
    enrolled(&a, "ada", &mut device).await;
    let started = a.post("/auth/passkey/start", None, json!({})).await.ok(200).clone();
    let body = json!({"ceremony_id": started["ceremony_id"], "credential": device.sign_in(&started["options"])});
    let (ra, rb) =
        tokio::join!(a.post("/auth/passkey/finish", None, body.clone()), b.post("/auth/passkey/finish", None, body));
    let codes = [ra.status.as_u16(), rb.status.as_u16()];
    assert!(codes.contains(&200) && codes.contains(&400), "{codes:?}: {} {}", ra.body, rb.body);
}
