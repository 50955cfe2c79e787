//! The OpenID Connect provider over real HTTP: an application's request
//! goes through authd's own pages (login, code, consent) as a browser
//! would take it, and comes back to the application's redirect URI.

use std::collections::HashMap;

use serde_json::json;

use crate::harness::{Server, TestUser};

pub(crate) const REDIRECT: &str = "https://app.example.com/cb";
/// RFC 7636 Appendix B's challenge.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A browser: its cookies, and redirects followed by hand so each step is seen.
pub struct Browser<'s> {
    server: &'s Server,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

/// Where a browser ended: a page of authd's (status and HTML), or the
/// application's address it was sent to.
#[derive(Debug)]
pub enum Landed {
    Page(u16, String),
    App(String),
}

impl Landed {
    pub fn app(self) -> String {
        match self {
            Landed::App(url) => url,
            Landed::Page(status, html) => panic!("expected the application, got a {status} page: {html}"),
        }
    }

    pub fn page(self) -> (u16, String) {
        match self {
            Landed::Page(status, html) => (status, html),
            Landed::App(url) => panic!("expected a page, went to {url}"),
        }
    }
}

impl<'s> Browser<'s> {
    pub fn new(server: &'s Server) -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { server, http, cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&mut self, resp: &reqwest::Response) {
        for line in resp.headers().get_all("set-cookie") {
            let pair = line.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn absolute(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with('/') { self.server.url(path_or_url) } else { path_or_url.to_owned() }
    }

    /// Sends a request and follows authd's redirects until a page or the application.
    async fn go(&mut self, mut resp: reqwest::Response) -> Landed {
        loop {
            self.keep_cookies(&resp);
            let status = resp.status().as_u16();
            let Some(to) = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned()) else {
                let html = resp.text().await.unwrap();
                // The way back after one of our forms: a page that moves on by itself.
                if let Some(url) = meta_refresh(&html) {
                    return Landed::App(url);
                }
                return Landed::Page(status, html);
            };
            if !to.starts_with('/') && !to.starts_with(&self.server.url("/")) {
                return Landed::App(to);
            }
            resp = self.http.get(self.absolute(&to)).header("cookie", self.cookie_header()).send().await.unwrap();
        }
    }

    pub async fn get(&mut self, path_or_url: &str) -> Landed {
        let resp = self.http.get(self.absolute(path_or_url)).header("cookie", self.cookie_header()).send().await;
        self.go(resp.unwrap()).await
    }

    /// Fills the form at `page` (its CSRF token read from it) and posts it to `action`.
    pub async fn submit(&mut self, html: &str, action: &str, fields: &[(&str, &str)]) -> Landed {
        let csrf = between(html, "name=\"csrf\" value=\"", "\"").expect("a form token");
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let resp = self
            .http
            .post(self.server.url(action))
            .header("cookie", self.cookie_header())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.go(resp).await
    }

    /// Logs in at the login page it is on.
    pub async fn log_in(&mut self, login_page: &str, user: &TestUser) -> Landed {
        let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
        self.submit(login_page, "/ui/login", &fields).await
    }
}

pub(crate) fn between(html: &str, start: &str, end: &str) -> Option<String> {
    let from = html.find(start)? + start.len();
    Some(html[from..].split(end).next()?.to_owned())
}

/// The address a `<meta http-equiv="refresh">` sends the browser to, its
/// character references read as a browser reads them.
fn meta_refresh(html: &str) -> Option<String> {
    let content = between(html, "http-equiv=\"refresh\" content=\"0;url=", "\"")?;
    Some(unescape(&content))
}

/// `&#NN;`, `&#xNN;`, `&amp;` and `&quot;` as the characters they stand for.
pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find(';') else { break };
        let entity = &rest[at + 1..at + end];
        let c = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            _ => entity
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(|d| d.parse()))
                .and_then(|n| n.ok())
                .and_then(char::from_u32),
        };
        out.push(c.expect("a character reference"));
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The query parameters of the application address a browser was sent to.
pub fn params(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Registers a client (an admin's call) and returns its id.
pub async fn register_client(s: &Server, admin: &str, body: serde_json::Value) -> serde_json::Value {
    s.post("/clients", Some(admin), body).await.ok(201).clone()
}

pub fn authorize_url(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code").append_pair("client_id", client_id).append_pair("redirect_uri", REDIRECT);
    if !extra.iter().any(|(k, _)| *k == "scope") {
        q.append_pair("scope", "openid email profile");
    }
    q.append_pair("state", "st ate/1")
        .append_pair("nonce", "n-0S6_WzA2Mj")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("/oauth2/authorize?{}", q.finish())
}

#[tokio::test]
async fn a_request_goes_through_the_login_and_consent_pages_and_comes_back_with_code_state_and_iss() {
    let (s, admin) = Server::start_with_admin().await;
    let client =
        register_client(&s, &admin, json!({"name": "Acme Wiki", "type": "confidential", "redirect_uris": [REDIRECT]}))
            .await;
    let client_id = client["client_id"].as_str().unwrap();
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let (status, login) = b.get(&authorize_url(client_id, &[])).await.page();
    assert_eq!(status, 200);
    assert!(login.contains("name=\"password\""), "no session: the login page first");
    let (status, consent) = b.log_in(&login, &ada).await.page();
    assert_eq!(status, 200);
    assert!(consent.contains("Allow Acme Wiki?") && consent.contains("Your email address"), "{consent}");
    assert!(consent.contains("app.example.com"), "the consent page names where the answer goes");
    let request = between(&consent, "name=\"request\" value=\"", "\"").unwrap();
    let url = b.submit(&consent, "/ui/consent", &[("request", &request), ("answer", "allow")]).await.app();
    assert!(url.starts_with(&format!("{REDIRECT}?code=authd_ac_")), "{url}");
    let p = params(&url);
    assert_eq!(p["state"], "st ate/1", "state passed through untouched");
    assert_eq!(p["iss"], s.public_url().trim_end_matches('/'), "RFC 9207 iss");
    // The consent is remembered: the next request comes straight back.
    let again = b.get(&authorize_url(client_id, &[])).await.app();
    assert!(params(&again)["code"].starts_with("authd_ac_") && params(&again)["code"] != p["code"]);
    // The same request answered again (a stale tab) goes nowhere.
    let (status, html) = b.submit(&consent, "/ui/consent", &[("request", &request), ("answer", "allow")]).await.page();
    assert!(status == 400 && html.contains("expired or was already answered"), "{status} {html}");
    // An application's form POST (from its own site: no cookie of ours
    // comes with it) goes on as the GET, which carries them: a signed-in
    // person is not asked to log in again, even under prompt=none.
    let form = params(&authorize_url(client_id, &[("prompt", "none")]));
    let posted = b.http.post(s.url("/oauth2/authorize")).form(&form).send().await.unwrap();
    assert_eq!(posted.status().as_u16(), 303);
    let url = b.go(posted).await.app();
    assert!(params(&url)["code"].starts_with("authd_ac_") && params(&url)["state"] == "st ate/1", "{url}");
}

#[tokio::test]
async fn an_unknown_client_or_unregistered_redirect_uri_gets_a_page_never_a_redirect_and_other_faults_go_back() {
    let (s, admin) = Server::start_with_admin().await;
    let client =
        register_client(&s, &admin, json!({"name": "App", "type": "public", "redirect_uris": [REDIRECT]})).await;
    let client_id = client["client_id"].as_str().unwrap();
    let mut b = Browser::new(&s);
    let evil = authorize_url(client_id, &[]).replace("app.example.com", "evil.example.com");
    let (status, html) = b.get(&evil).await.page();
    assert!(status == 400 && html.contains("did not register"), "{status} {html}");
    let unknown = authorize_url(&uuid::Uuid::new_v4().to_string(), &[]);
    assert_eq!(b.get(&unknown).await.page().0, 400);
    let plain = authorize_url(client_id, &[]).replace("code_challenge_method=S256", "code_challenge_method=plain");
    let p = params(&b.get(&plain).await.app());
    assert_eq!((p["error"].as_str(), p["state"].as_str()), ("invalid_request", "st ate/1"));
    let implicit = authorize_url(client_id, &[]).replace("response_type=code", "response_type=token");
    assert_eq!(params(&b.get(&implicit).await.app())["error"], "unsupported_response_type");
    // prompt=none without a session: an answer, never a page.
    let silent = params(&b.get(&authorize_url(client_id, &[("prompt", "none")])).await.app());
    assert_eq!(silent["error"], "login_required");
}

#[tokio::test]
async fn a_declined_consent_answers_access_denied_and_the_pages_refuse_framing() {
    let (s, admin) = Server::start_with_admin().await;
    let client =
        register_client(&s, &admin, json!({"name": "App", "type": "public", "redirect_uris": [REDIRECT]})).await;
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let (_, login) = b.get(&authorize_url(client["client_id"].as_str().unwrap(), &[])).await.page();
    let (_, consent) = b.log_in(&login, &ada).await.page();
    let request = between(&consent, "name=\"request\" value=\"", "\"").unwrap();
    let p = params(&b.submit(&consent, "/ui/consent", &[("request", &request), ("answer", "deny")]).await.app());
    assert_eq!((p["error"].as_str(), p.contains_key("code")), ("access_denied", false));
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = no_redirects.get(s.url(&authorize_url(client["client_id"].as_str().unwrap(), &[]))).send().await;
    let resp = resp.unwrap();
    assert_eq!(resp.status(), 303);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

/// RFC 7636 Appendix B's verifier for [`CHALLENGE`].
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// A JWT's header and claims, unverified.
pub(crate) fn jwt_parts(token: &str) -> (serde_json::Value, serde_json::Value) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let mut next = || serde_json::from_slice(&b64.decode(parts.next().unwrap()).unwrap()).unwrap();
    (next(), next())
}

/// Checks an RS256 JWT's signature with the key its `kid` names in `jwks`,
/// with OpenSSL and nothing of authd's.
fn rs256_verifies(jwks: &serde_json::Value, token: &str) -> bool {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (header, _) = jwt_parts(token);
    assert_eq!(header["alg"], "RS256");
    let Some(jwk) = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]) else { return false };
    assert_eq!((jwk["kty"].as_str(), jwk["alg"].as_str()), (Some("RSA"), Some("RS256")));
    let bn = |field: &str| openssl::bn::BigNum::from_slice(&b64.decode(jwk[field].as_str().unwrap()).unwrap()).unwrap();
    let key =
        openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::from_public_components(bn("n"), bn("e")).unwrap()).unwrap();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut verifier = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    verifier.verify_oneshot(&b64.decode(signature).unwrap(), signed.as_bytes()).unwrap()
}

/// `user` signs in to a confidential client that skips consent, in
/// browser `b`, through the login page; the client redeems the code (with
/// `id` and `secret`) and gets the token answer.
pub(crate) async fn sign_in(
    b: &mut Browser<'_>,
    (id, secret): (&str, &str),
    user: &TestUser,
    scope: &str,
) -> serde_json::Value {
    let (_, login) = b.get(&authorize_url(id, &[("scope", scope)])).await.page();
    let code = params(&b.log_in(&login, user).await.app())["code"].clone();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = token_request(b.server, Some((id, secret)), &exchange).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// Posts a form to the token endpoint, with HTTP Basic when `basic` is given.
pub(crate) async fn token_request(
    s: &Server,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut req = s.http.post(s.url("/oauth2/token")).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    if status == 401 {
        assert_eq!(resp.headers()["www-authenticate"], "Basic realm=\"authd\"");
    }
    assert_eq!(resp.headers()["cache-control"], "no-store");
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_confidential_clients_code_becomes_tokens_whose_id_token_verifies_with_the_jwks_and_userinfo_answers() {
    let (s, admin) = Server::start_with_admin().await;
    let body = json!({"name": "Acme Wiki", "type": "confidential", "redirect_uris": [REDIRECT]});
    let client = register_client(&s, &admin, body).await;
    let (client_id, secret) = (client["client_id"].as_str().unwrap(), client["client_secret"].as_str().unwrap());
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let scope = [("scope", "openid email profile offline_access"), ("prompt", "consent")];
    let (_, login) = b.get(&authorize_url(client_id, &scope)).await.page();
    let (_, consent) = b.log_in(&login, &ada).await.page();
    assert!(consent.contains("Access while you are away"), "offline_access asked with prompt=consent");
    let request = between(&consent, "name=\"request\" value=\"", "\"").unwrap();
    let url = b.submit(&consent, "/ui/consent", &[("request", &request), ("answer", "allow")]).await.app();
    let code = params(&url)["code"].clone();

    // The code, with the client's secret, its redirect URI and the PKCE verifier.
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = token_request(&s, Some((client_id, secret)), &exchange).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        (tokens["token_type"].as_str(), tokens["scope"].as_str()),
        (Some("Bearer"), Some("openid profile email offline_access"))
    );
    let (access, refresh) = (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());

    // The ID token verifies with the key the discovery's JWKS publishes.
    let discovery: serde_json::Value =
        s.http.get(s.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let issuer = discovery["issuer"].as_str().unwrap();
    assert_eq!(issuer, s.public_url().trim_end_matches('/'));
    let jwks_uri = discovery["jwks_uri"].as_str().unwrap().replace(issuer, s.url("").trim_end_matches('/'));
    let jwks: serde_json::Value = s.http.get(jwks_uri).send().await.unwrap().json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    assert!(rs256_verifies(&jwks, id_token), "the ID token's signature");
    let (header, claims) = jwt_parts(id_token);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str(), claims["azp"].as_str()),
        (Some(issuer), Some(client_id), Some(client_id))
    );
    assert_eq!((claims["sub"].as_str(), claims["nonce"].as_str()), (Some(ada.id.as_str()), Some("n-0S6_WzA2Mj")));
    assert_eq!(
        (claims["email"].as_str(), claims["preferred_username"].as_str()),
        (Some(ada.email.as_str()), Some(ada.username.as_str()))
    );
    assert_eq!((claims["acr"].as_str(), claims["amr"].clone()), (Some("aal1"), json!(["pwd"])));
    use base64::Engine;
    use sha2::Digest;
    let half = &sha2::Sha256::digest(access.as_bytes())[..16];
    assert_eq!(
        claims["at_hash"].as_str(),
        Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(half).as_str())
    );
    for claim in ["exp", "iat", "auth_time", "sid"] {
        assert!(claims.get(claim).is_some(), "{claim}: {claims}");
    }

    // Userinfo answers the granted scopes' claims; authd's own API refuses the client's token; verify-token reads it.
    let info: serde_json::Value =
        s.http.get(s.url("/oauth2/userinfo")).bearer_auth(access).send().await.unwrap().json().await.unwrap();
    assert_eq!((info["sub"].as_str(), info["email"].as_str()), (Some(ada.id.as_str()), Some(ada.email.as_str())));
    assert!(info.get("phone_number").is_none(), "phone was not granted");
    s.me(access).await.problem(401, "token_invalid");
    let verified = s.post("/auth/verify-token", Some(access), json!({})).await.ok(200).clone();
    assert_eq!(
        (verified["client_id"].as_str(), verified["scope"].as_str()),
        (Some(client_id), Some("openid profile email offline_access"))
    );

    // The refresh token: only with the client's secret; then the code again is a replay that ends the client's session.
    let wrong = token_request(
        &s,
        Some((client_id, "authd_cs_0000000000000000000000000000000000000000")),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!((wrong.0, wrong.1["error"].as_str()), (401, Some("invalid_client")));
    let (status, next) =
        token_request(&s, Some((client_id, secret)), &[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
    assert_eq!(status, 200, "{next}");
    let next_access = next["access_token"].as_str().unwrap();
    let (status, replay) = token_request(&s, Some((client_id, secret)), &exchange).await;
    assert_eq!((status, replay["error"].as_str()), (400, Some("invalid_grant")));
    let gone = s.http.get(s.url("/oauth2/userinfo")).bearer_auth(next_access).send().await.unwrap();
    assert_eq!(gone.status(), 401, "the replay ended the session the code opened");
    // The browser's own session is still there.
    assert_eq!(b.get("/ui/account").await.page().0, 200);
}

#[tokio::test]
async fn a_public_client_redeems_with_pkce_alone_and_the_token_endpoint_refuses_what_rfc_6749_says_to() {
    let (s, admin) = Server::start_with_admin().await;
    let client = register_client(
        &s,
        &admin,
        json!({"name": "SPA", "type": "public", "redirect_uris": [REDIRECT], "skip_consent": true}),
    )
    .await;
    let client_id = client["client_id"].as_str().unwrap();
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let (_, login) = b.get(&authorize_url(client_id, &[])).await.page();
    let code = params(&b.log_in(&login, &ada).await.app())["code"].clone();
    let with = |verifier: &'static str| {
        vec![
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ]
    };
    // A wrong verifier spends the code.
    let mut form = with("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX");
    form.push(("code", &code));
    let (status, refused) = token_request(&s, None, &form).await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")));
    let mut form = with(VERIFIER);
    form.push(("code", &code));
    assert_eq!(token_request(&s, None, &form).await.1["error"], "invalid_grant", "a code is spent by any redemption");
    // A fresh code, redeemed by the public client with its id and the verifier.
    let code = params(&b.get(&authorize_url(client_id, &[])).await.app())["code"].clone();
    let mut form = with(VERIFIER);
    form.push(("code", &code));
    let (status, tokens) = token_request(&s, None, &form).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "no offline_access");
    // RFC 6749 §5.2's refusals.
    let (status, e) = token_request(&s, None, &[("grant_type", "password"), ("client_id", client_id)]).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (status, e) = token_request(&s, None, &[("grant_type", "authorization_code")]).await;
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
    let (status, e) =
        token_request(&s, Some((client_id, "x")), &[("grant_type", "authorization_code"), ("code", "x")]).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (401, Some("invalid_client")),
        "a public client has no secret to present"
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    let (status, e) =
        token_request(&s, None, &[("grant_type", "authorization_code"), ("client_id", &unknown), ("code", "x")]).await;
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn a_client_introspects_and_revokes_its_tokens_as_rfc_7662_and_rfc_7009_say() {
    let (s, admin) = Server::start_with_admin().await;
    let body = json!({"name": "API", "type": "confidential", "redirect_uris": [REDIRECT], "skip_consent": true});
    let client = register_client(&s, &admin, body).await;
    let (client_id, secret) = (client["client_id"].as_str().unwrap(), client["client_secret"].as_str().unwrap());
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let tokens = sign_in(&mut b, (client_id, secret), &ada, "openid offline_access").await;
    let (access, refresh) = (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());
    let post = |path: &'static str, form: Vec<(&'static str, String)>, with_secret: bool| {
        let mut req = s.http.post(s.url(path)).form(&form);
        if with_secret {
            req = req.basic_auth(client_id, Some(secret));
        }
        req.send()
    };
    let read = |r: reqwest::Response| async move {
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap_or_default())
    };
    let (status, active) =
        read(post("/oauth2/introspect", vec![("token", access.to_owned())], true).await.unwrap()).await;
    assert_eq!((status, &active["active"], active["client_id"].as_str()), (200, &json!(true), Some(client_id)));
    assert_eq!((active["token_type"].as_str(), active["sub"].as_str()), (Some("access_token"), Some(ada.id.as_str())));
    assert_eq!(active["scope"], "openid offline_access");
    // A public client cannot introspect; nobody without proving itself can.
    let (status, _) = read(
        post("/oauth2/introspect", vec![("token", access.to_owned()), ("client_id", client_id.to_owned())], false)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    // Revoking: any token answers 200; the client's refresh token ends its session.
    let (status, _) = read(post("/oauth2/revoke", vec![("token", "junk".into())], true).await.unwrap()).await;
    assert_eq!(status, 200);
    let (status, _) = read(
        post("/oauth2/revoke", vec![("token", refresh.to_owned()), ("token_type_hint", "refresh_token".into())], true)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, inactive) = read(post("/oauth2/introspect", vec![("token", access.to_owned())], true).await.unwrap()).await;
    assert_eq!(inactive, json!({"active": false}));
    let (status, refused) =
        token_request(&s, Some((client_id, secret)), &[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn max_age_after_a_pause_asks_for_the_password_again_and_acr_values_aal2_needs_the_code_page() {
    let (s, admin) = Server::start_with_admin().await;
    let body = json!({"name": "App", "type": "public", "redirect_uris": [REDIRECT], "skip_consent": true});
    let client = register_client(&s, &admin, body).await;
    let client_id = client["client_id"].as_str().unwrap();

    // A one-factor user: signed in, then two seconds later max_age=1 wants a fresh proof.
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let (_, login) = b.get(&authorize_url(client_id, &[])).await.page();
    assert!(params(&b.log_in(&login, &ada).await.app()).contains_key("code"));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, again) = b.get(&authorize_url(client_id, &[("max_age", "1")])).await.page();
    assert!(status == 200 && again.contains("Confirm it is you"), "{again}");
    assert!(again.contains("asks you to confirm it is you"), "the page says why");
    let url = b.submit(&again, "/ui/reauthenticate", &[("password", &ada.password)]).await.app();
    assert!(params(&url)["code"].starts_with("authd_ac_"), "after the password, back to the application: {url}");
    // aal2 for a user with no second factor: an answer for the application, no code.
    let refused = params(&b.get(&authorize_url(client_id, &[("acr_values", "aal2")])).await.app());
    assert_eq!((refused["error"].as_str(), refused.contains_key("code")), ("unmet_authentication_requirements", false));

    // A two-factor user signs in through the login and code pages, and aal2 is met.
    let bob = s.register("bob", true).await;
    let mut b = Browser::new(&s);
    let (_, login) = b.get(&authorize_url(client_id, &[("acr_values", "aal2")])).await.page();
    let (_, code_page) = b.log_in(&login, &bob).await.page();
    assert!(code_page.contains("name=\"code\""), "the code page");
    let code = s.latest_code(&bob.email).await;
    let url = b.submit(&code_page, "/ui/code", &[("code", &code)]).await.app();
    assert!(params(&url)["code"].starts_with("authd_ac_"), "{url}");
}
