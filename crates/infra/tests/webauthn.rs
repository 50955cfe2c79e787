//! The WebAuthn port on webauthn-rs, answered by a software authenticator
//! (webauthn-authenticator-rs's `SoftPasskey`, which signs as a device
//! would): the library's checks of signatures, challenges, origins and user
//! verification, under the domain's rules.

use std::sync::Arc;

use domain::Error;
use domain::login::LoginOutcome;
use domain::otp::Method;
use domain::session::Caller;
use domain::testing::world::{GOOD_PASSWORD, World, pw, tokens};
use infra::webauthn::{RelyingParty, WebauthnRs};
use serde_json::Value;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs_proto::{AllowCredentials, CreationChallengeResponse, RequestChallengeResponse};

const ORIGIN: &str = "https://id.example.com";

fn world() -> World {
    let rp = RelyingParty::new(ORIGIN, "authd", &["https://app.id.example.com".into()]).unwrap();
    World::with_webauthn(Arc::new(WebauthnRs::new(&rp).unwrap()))
}

fn url(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

/// What `PublicKeyCredential.toJSON()` gives for `credential`.
fn to_json<T: serde::Serialize>(credential: &T) -> String {
    let mut v = serde_json::to_value(credential).unwrap();
    let o = v.as_object_mut().unwrap();
    let extensions = o.remove("extensions").unwrap_or(Value::Object(Default::default()));
    o.insert("clientExtensionResults".into(), extensions);
    v.to_string()
}

/// A device holding a software passkey, as a browser passes options to it.
struct Device {
    key: SoftPasskey,
    origin: String,
}

impl Device {
    fn new() -> Self {
        Self { key: SoftPasskey::new(true), origin: ORIGIN.into() }
    }

    fn create(&mut self, options: &str) -> String {
        let mut ccr: CreationChallengeResponse = serde_json::from_str(options).unwrap();
        // The software key cannot keep a resident key; a real passkey does
        // (the options' demand for one is checked on its own).
        let selection = ccr.public_key.authenticator_selection.as_mut().unwrap();
        (selection.resident_key, selection.require_resident_key) = (None, false);
        to_json(&self.key.do_registration(url(&self.origin), ccr).unwrap())
    }

    fn get(&mut self, options: &str) -> String {
        to_json(&self.key.do_authentication(url(&self.origin), serde_json::from_str(options).unwrap()).unwrap())
    }

    /// Answers sign-in options (no allowed credentials) as a device that
    /// found its credential `id` for `user` does: the software key needs to
    /// be told which one, and returns the user handle a resident key keeps.
    fn sign_in(&mut self, options: &str, id: &[u8], user: uuid::Uuid) -> String {
        let mut rcr: RequestChallengeResponse = serde_json::from_str(options).unwrap();
        assert!(rcr.public_key.allow_credentials.is_empty(), "a sign-in names no credential");
        rcr.public_key.allow_credentials =
            vec![AllowCredentials { type_: "public-key".into(), id: id.to_vec(), transports: None }];
        let mut answer = self.key.do_authentication(url(&self.origin), rcr).unwrap();
        answer.response.user_handle = Some(user.as_bytes().to_vec());
        to_json(&answer)
    }
}

async fn caller(w: &World, name: &str) -> Caller {
    w.sessions.authenticate(&tokens(w, name).await.access_token).await.unwrap()
}

/// `name`, registered, with a passkey on `device`: its credential id and
/// the session it was added from, stepped up with the passkey since (as a
/// change of passkeys now asks).
async fn enrolled(w: &World, name: &str, device: &mut Device) -> (domain::user::User, Vec<u8>, Caller) {
    let user = w.register(name, false).await;
    let me = caller(w, name).await;
    let reg = w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    let passkey = w.passkeys.finish(&me, reg.ceremony_id, "Soft key", &device.create(&reg.options)).await.unwrap();
    let options = w.step_up.passkey_options(&me).await.unwrap();
    let factor = domain::assurance::Factor::Passkey(&device.get(&options));
    let pair: domain::token::TokenPair = w.step_up.reauthenticate(&w.from, &me, None, Some(factor)).await.unwrap();
    (user, passkey.credential_id, w.sessions.authenticate(&pair.access_token).await.unwrap())
}

async fn temporary(w: &World, name: &str) -> String {
    match w.login.login(&w.from, name, &pw(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::SecondFactor(p) => {
            assert_eq!(p.methods[0], Method::Passkey);
            p.temporary_token
        }
        other => panic!("expected a second factor, got {other:?}"),
    }
}

#[tokio::test]
async fn registration_options_ask_for_a_discoverable_user_verified_credential_and_exclude_the_users_own() {
    let w = world();
    let mut device = Device::new();
    let (_, id, me) = enrolled(&w, "ada", &mut device).await;
    let reg = w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    let options: Value = serde_json::from_str(&reg.options).unwrap();
    let pk = &options["publicKey"];
    assert_eq!(pk["rp"]["id"], "id.example.com");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert!(pk["challenge"].as_str().is_some_and(|c| !c.contains('=') && c.len() >= 43), "base64url, unpadded");
    let excluded: Vec<Vec<u8>> = serde_json::from_value::<CreationChallengeResponse>(options.clone())
        .unwrap()
        .public_key
        .exclude_credentials
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id.to_vec())
        .collect();
    assert_eq!(excluded, vec![id]);
}

#[tokio::test]
async fn a_software_passkey_registers_and_answers_the_second_step_of_a_login() {
    let w = world();
    let mut device = Device::new();
    let (ada, _, _) = enrolled(&w, "ada", &mut device).await;
    let temporary = temporary(&w, "ada").await;
    let options = w.second_factor.passkey_options(&temporary).await.unwrap();
    let allowed: Value = serde_json::from_str(&options).unwrap();
    assert_eq!(allowed["publicKey"]["allowCredentials"].as_array().unwrap().len(), 1);
    let answer = device.get(&options);
    let verified =
        w.second_factor.verify_passkey_as::<domain::token::TokenPair>(&w.from, &temporary, &answer, Default::default());
    let pair = verified.await.unwrap().pair;
    assert_eq!(w.sessions.authenticate(&pair.access_token).await.unwrap().user_id, ada.id);
}

#[tokio::test]
async fn a_software_passkey_signs_in_alone() {
    let w = world();
    let mut device = Device::new();
    let (ada, id, _) = enrolled(&w, "ada", &mut device).await;
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let pair =
        w.passkey_sign_in.finish(&w.from, started.ceremony_id, &device.sign_in(&started.options, &id, ada.id.0)).await;
    assert_eq!(w.sessions.authenticate(&pair.unwrap().access_token).await.unwrap().user_id, ada.id);
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let w = world();
    let mut device = Device::new();
    let (ada, id, _) = enrolled(&w, "ada", &mut device).await;
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let answer = device.sign_in(&started.options, &id, ada.id.0);
    w.passkey_sign_in.finish(&w.from, started.ceremony_id, &answer).await.unwrap();
    let next = w.passkey_sign_in.start(&w.from).await.unwrap();
    let replayed = w.passkey_sign_in.finish(&w.from, next.ceremony_id, &answer).await;
    assert!(matches!(replayed, Err(Error::PasskeyInvalid { .. })), "{replayed:?}");
}

#[tokio::test]
async fn a_credential_made_for_another_origin_is_refused() {
    let w = world();
    w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    let reg = w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    // A page on a subdomain the settings do not name: the browser lets it
    // ask for the relying party's passkeys; the server refuses its answer.
    let mut phished = Device { origin: "https://evil.id.example.com".into(), ..Device::new() };
    let refused = w.passkeys.finish(&me, reg.ceremony_id, "Phished", &phished.create(&reg.options)).await;
    assert!(matches!(refused, Err(Error::PasskeyInvalid { .. })), "{refused:?}");
    // An origin the settings add is accepted.
    let reg = w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    let mut app = Device { origin: "https://app.id.example.com".into(), ..Device::new() };
    w.passkeys.finish(&me, reg.ceremony_id, "App", &app.create(&reg.options)).await.unwrap();
}

#[tokio::test]
async fn a_counter_regression_is_refused_and_recorded() {
    let w = world();
    let mut device = Device::new();
    let (ada, id, _) = enrolled(&w, "ada", &mut device).await;
    // The store has seen a higher counter than the device will send next:
    // another copy of the key has been signing.
    w.db.tables().passkeys.values_mut().for_each(|p| p.counter = 100);
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let refused =
        w.passkey_sign_in.finish(&w.from, started.ceremony_id, &device.sign_in(&started.options, &id, ada.id.0)).await;
    assert!(matches!(refused, Err(Error::PasskeyInvalid { .. })));
    assert!(w.events(ada.id).contains(&"passkey_clone_suspected"));
    assert_eq!(w.db.tables().passkeys.len(), 1, "the passkey is kept");
}

#[test]
fn an_unknown_credential_is_verified_against_the_decoy_key_up_to_its_signature() {
    use domain::ports::WebAuthn;
    let rp = RelyingParty::new(ORIGIN, "authd", &[]).unwrap();
    let webauthn = WebauthnRs::new(&rp).unwrap();
    let user = uuid::Uuid::new_v4();
    let mut device = Device::new();
    // A credential this server never registered, made for it all the same.
    let registration = webauthn.start_registration(domain::user::UserId(user), "x", &[]).unwrap();
    let made: Value = serde_json::from_str(&device.create(&registration.options)).unwrap();
    let id = url_safe(made["rawId"].as_str().unwrap());
    let started = webauthn.start_assertion(&[]).unwrap();
    let answer = device.sign_in(&started.options, &id, user);
    // The same work as a known credential with a bad signature: the library
    // gets as far as the signature check, and the signature fails.
    let refused = webauthn.finish_assertion(&started.state, &answer, None).unwrap_err();
    assert_eq!(refused.reason(), "AuthenticationFailure");
}

fn url_safe(b64: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64).unwrap()
}

#[tokio::test]
async fn an_unknown_credential_is_checked_against_the_decoy_and_refused() {
    let w = world();
    let mut device = Device::new();
    let (ada, id, _) = enrolled(&w, "ada", &mut device).await;
    w.db.tables().passkeys.clear();
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let refused =
        w.passkey_sign_in.finish(&w.from, started.ceremony_id, &device.sign_in(&started.options, &id, ada.id.0)).await;
    assert!(matches!(refused, Err(Error::PasskeyInvalid { remaining: None })));
}

#[test]
fn a_relying_party_needs_a_host_name() {
    assert!(RelyingParty::new("http://127.0.0.1:8000", "authd", &[]).is_err());
    assert!(RelyingParty::new("http://localhost:8000", "authd", &[]).is_ok());
    assert!(RelyingParty::new("https://id.example.com", "authd", &["not a url".into()]).is_err());
}
