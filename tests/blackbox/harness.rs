//! Starts a real `authd` for each test (fresh data dir and database), or
//! targets a running one given by AUTHD_BASE_URL + AUTHD_MAIL_LOG.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "tangerine-oboe-quarry-41";

pub struct Server {
    pub base: String,
    pub mail_log: PathBuf,
    pub http: reqwest::Client,
    child: Option<Child>,
    dir: Option<PathBuf>,
    /// The environment authd was started with, to run its CLI or restart it.
    env: Vec<(String, String)>,
    /// Per address, how many of its messages [`Server::latest_code`] has
    /// seen; shared by the nodes of one cluster, which share the log.
    seen: Arc<Mutex<HashMap<String, usize>>>,
    /// Every line authd (this node) has written to stdout: its log.
    logs: Arc<Mutex<Vec<String>>>,
}

/// How long a queued message may take to reach the log.
const DELIVERY_WAIT: Duration = Duration::from_secs(10);

/// Whether this run targets a server it did not start (AUTHD_BASE_URL): a
/// container, say.
pub fn remote() -> bool {
    std::env::var_os("AUTHD_BASE_URL").is_some()
}

/// The line a skipped test prints; `docker/test-image.sh` counts them.
pub const SKIP_MARK: &str = "skipped against a remote server:";

/// Returns from the calling test, saying why, when the suite targets a
/// server it did not start: tests that need their own settings, a restart,
/// the CLI or a second node can only run on a server they start themselves.
macro_rules! local_only {
    ($why:expr) => {
        if $crate::harness::remote() {
            println!("{} {}", $crate::harness::SKIP_MARK, $why);
            return;
        }
    };
}
pub(crate) use local_only;

/// The administrator [`Server::start_with_admin`] provides.
pub const ADMIN_USERNAME: &str = "root-admin";
pub const ADMIN_PASSWORD: &str = "saffron-harbour-lantern-93";

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A reply: status, headers and the JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{self:?}");
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        for field in ["type", "title", "detail"] {
            assert!(self.body[field].as_str().is_some_and(|s| !s.is_empty()), "problem lacks {field}: {}", self.body);
        }
        self
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        &self.body
    }
}

/// A registered user of one test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub id: String,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts authd with extra environment. With AUTHD_BASE_URL set, tests
    /// that need no extra settings share that server instead.
    pub async fn start_with(env: &[(&str, &str)]) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        if let Ok(base) = std::env::var("AUTHD_BASE_URL") {
            assert!(env.is_empty(), "this test needs its own settings ({env:?}): mark it `local_only!`");
            let mail_log = std::env::var("AUTHD_MAIL_LOG")
                .expect("AUTHD_BASE_URL needs AUTHD_MAIL_LOG: the file the server writes mail to")
                .into();
            return Self {
                base: base.trim_end_matches('/').to_owned(),
                mail_log,
                http,
                child: None,
                dir: None,
                env: vec![],
                seen: Arc::default(),
                logs: Arc::default(),
            };
        }
        let dir = std::env::temp_dir().join(format!("authd-bb-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mail_log = dir.join("mail.log");
        let mut vars: Vec<(String, String)> = [
            ("AUTHD_LISTEN", "127.0.0.1:0"),
            ("AUTHD_DATA_DIR", dir.to_str().unwrap()),
            ("AUTHD_MAIL_LOG", mail_log.to_str().unwrap()),
            ("AUTHD_LOG_FORMAT", "json"),
            ("AUTHD_HASH_CONCURRENCY", "2"),
            ("RUST_LOG", "info"),
            // Per-address limits are off unless a test sets them: the whole
            // suite calls from 127.0.0.1.
            ("AUTHD_RATE_TOKEN_PER_MINUTE", "0"),
            ("AUTHD_RATE_OTP_PER_MINUTE", "0"),
            ("AUTHD_RATE_REGISTRATIONS_PER_HOUR", "0"),
            // The suite's parallel tests share two cores with each other, so
            // hashing rounds run long and bursts of registrations would be
            // shed; overload:: sets its own bound and checks the shedding.
            ("AUTHD_HASH_QUEUE_MAX_WAIT_MS", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        if let Ok(admin) = std::env::var(crate::testdb::POSTGRES_ENV) {
            let url = crate::testdb::create_postgres_database(&admin)
                .await
                .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
            vars.push(("DATABASE_URL".into(), url));
            vars.push(("AUTHD_DB_MAX_CONNECTIONS".into(), "8".into()));
        }
        vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut server = Self {
            base: String::new(),
            mail_log,
            http,
            child: None,
            dir: Some(dir),
            env: vars,
            seen: Arc::default(),
            logs: Arc::default(),
        };
        server.spawn();
        server
    }

    /// A server with an administrator: [`ADMIN_USERNAME`] when this suite
    /// starts it; AUTHD_TEST_ADMIN_LOGIN / AUTHD_TEST_ADMIN_PASSWORD when it
    /// targets AUTHD_BASE_URL.
    pub async fn start_with_admin() -> (Self, String) {
        Self::start_with_admin_and(&[]).await
    }

    /// [`start_with_admin`](Self::start_with_admin) with extra environment
    /// (which needs a server of this suite's own: `local_only!`).
    pub async fn start_with_admin_and(env: &[(&str, &str)]) -> (Self, String) {
        if std::env::var("AUTHD_BASE_URL").is_ok() {
            assert!(env.is_empty(), "this test needs its own settings ({env:?}): mark it `local_only!`");
            let login = std::env::var("AUTHD_TEST_ADMIN_LOGIN")
                .expect("AUTHD_BASE_URL admin tests need AUTHD_TEST_ADMIN_LOGIN");
            let password = std::env::var("AUTHD_TEST_ADMIN_PASSWORD").expect("and AUTHD_TEST_ADMIN_PASSWORD");
            let s = Self::start().await;
            let access = token(
                s.post("/auth/token", None, json!({"username": login, "password": password})).await.ok(200),
                "access_token",
            );
            return (s, access);
        }
        let mut all = vec![
            ("AUTHD_BOOTSTRAP_ADMIN_EMAIL", "root-admin@example.com"),
            ("AUTHD_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USERNAME),
            ("AUTHD_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ];
        all.extend_from_slice(env);
        let s = Self::start_with(&all).await;
        let access = s.admin_token().await;
        (s, access)
    }

    pub async fn admin_token(&self) -> String {
        let r = self.post("/auth/token", None, json!({"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})).await;
        token(r.ok(200), "access_token")
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_authd"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    fn spawn(&mut self) {
        let mut child = self.command().stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("start authd");
        self.base = crate::listen::wait_for_address(&mut child, Duration::from_secs(60), Some(self.logs.clone()))
            .unwrap_or_else(|e| panic!("authd: {e}"));
        self.child = Some(child);
    }

    /// Another authd process on the same database, signing secret and mail
    /// log: a second node behind the same load balancer.
    pub fn second_node(&self) -> Server {
        self.second_node_with(&[])
    }

    /// [`second_node`](Self::second_node) with settings of its own on top.
    pub fn second_node_with(&self, extra: &[(&str, &str)]) -> Server {
        assert!(self.child.is_some(), "a second node needs a server this suite started");
        let mut node = Server {
            base: String::new(),
            mail_log: self.mail_log.clone(),
            http: self.http.clone(),
            child: None,
            dir: None,
            env: self
                .env
                .iter()
                .cloned()
                .chain(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
                .collect(),
            seen: self.seen.clone(),
            logs: Arc::default(),
        };
        node.spawn();
        node
    }

    /// The address people reach this server at (`AUTHD_PUBLIC_URL`): the
    /// origin its passkeys belong to. A server of this suite's own has the
    /// default, `http://localhost:<port>`, unless a test set one; a remote
    /// one says it in AUTHD_TEST_PUBLIC_URL.
    pub fn public_url(&self) -> String {
        if let Some((_, url)) = self.env.iter().find(|(k, _)| k == "AUTHD_PUBLIC_URL") {
            return url.clone();
        }
        if self.child.is_none() {
            return std::env::var("AUTHD_TEST_PUBLIC_URL")
                .expect("AUTHD_BASE_URL needs AUTHD_TEST_PUBLIC_URL: the server's AUTHD_PUBLIC_URL");
        }
        format!("http://localhost:{}", self.addr().port())
    }

    /// Stops authd and starts it again on the same data and database.
    pub fn restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.spawn();
    }

    /// authd's log lines so far (JSON, one object a line), parsed; lines
    /// that are not JSON are left out.
    pub fn log_lines(&self) -> Vec<Value> {
        let lines = self.logs.lock().expect("not poisoned");
        lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// authd's whole log so far, as written.
    pub fn logs_text(&self) -> String {
        self.logs.lock().expect("not poisoned").join("\n")
    }

    /// Waits (at most 10 s: lines are written by a thread of authd's own)
    /// for a log line that `wanted` accepts.
    pub async fn log_line(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self.log_lines().into_iter().find(&wanted) {
                return line;
            }
            assert!(std::time::Instant::now() < until, "no log line for {what} in {:#?}", self.log_lines());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The address authd listens on, for raw connections.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.base.trim_start_matches("http://").parse().expect("the base URL is http://ip:port")
    }

    /// authd's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("a server this suite started").id()
    }

    /// Sends SIGTERM, as an orchestrator stopping the node would.
    pub fn terminate(&self) {
        let child = self.child.as_ref().expect("SIGTERM needs a server this suite started");
        let pid = i32::try_from(child.id()).expect("a pid fits in i32");
        // SAFETY: kill takes plain integers; the pid is our own child's.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill -TERM {pid}");
    }

    /// Waits for authd to exit, at most `limit`; None if it is still running.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut().expect("a server this suite started");
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if let Some(status) = child.try_wait().expect("wait for authd") {
                self.child = None;
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// Runs `authd <args>` against this server's data, feeding `stdin`.
    /// [`cli`](Self::cli) on a terminal: `script` gives the command a
    /// pseudo-terminal, and `typed` is what a person types into it.
    pub fn cli_on_terminal(&self, args: &[&str], typed: &str) -> std::process::Output {
        use std::io::Write;
        assert!(self.child.is_some(), "the CLI needs a server this suite started");
        let authd = self.command();
        let line: Vec<String> = std::iter::once(authd.get_program())
            .chain(args.iter().map(std::ffi::OsStr::new))
            .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', "'\\''")))
            .collect();
        let mut child = Command::new("script")
            .args(["-qec", &line.join(" "), "/dev/null"])
            .env_clear()
            .envs(authd.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs");
        child.stdin.take().unwrap().write_all(typed.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn cli(&self, args: &[&str], stdin: &str) -> std::process::Output {
        use std::io::Write;
        assert!(self.child.is_some(), "the CLI needs a server this suite started");
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// A connection of the test's own to this server's database (its
    /// PostgreSQL database, or the SQLite file in its data dir).
    pub async fn database(&self) -> infra::Database {
        let url = match self.env.iter().find(|(k, _)| k == "DATABASE_URL") {
            Some((_, url)) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.dir.as_ref().expect("a server this suite started").join("authd.db").display()
            ),
        };
        infra::connect(&url, 1).await.expect("open the server's database")
    }

    /// How many rows `table` holds now, read straight from this server's
    /// database (its PostgreSQL database, or the SQLite file in its data dir).
    pub async fn count_rows(&self, table: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let db = self.database().await;
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row =
            db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        db.close().await.unwrap();
        n
    }

    /// Runs `sql` with `values` on this server's database, as if time had
    /// passed: how a test reaches a state the clock would bring, without
    /// waiting for it.
    pub async fn age(&self, sql: &str, values: Vec<sea_orm::Value>) {
        use sea_orm::ConnectionTrait;
        let db = self.database().await;
        let stmt = sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, values);
        let done = db.execute_raw(stmt).await.unwrap();
        assert!(done.rows_affected() >= 1, "nothing to age: {sql}");
        db.close().await.unwrap();
    }

    /// The challenge `id` (a verification) expires now.
    pub async fn age_challenge(&self, id: &str) {
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        let id: uuid::Uuid = id.parse().unwrap();
        self.age("UPDATE otp_challenges SET expires_at = $1 WHERE id = $2", vec![past.into(), id.into()]).await;
    }

    /// The keys of app `id` that a rotation replaced reach the end of their grace period.
    pub async fn end_grace_of_replaced_keys(&self, id: &str) {
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        let id: uuid::Uuid = id.parse().unwrap();
        let sql = "UPDATE app_keys SET expires_at = $1 WHERE app_id = $2 AND expires_at IS NOT NULL";
        self.age(sql, vec![past.into(), id.into()]).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request under /api/v1 with an optional bearer token and JSON body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, self.url(&format!("/api/v1{path}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        reply(req.send().await.expect("request failed")).await
    }

    /// [`call`](Self::call) with an application's API key in `X-API-Key`.
    pub async fn call_with_key(&self, method: Method, path: &str, key: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, self.url(&format!("/api/v1{path}"))).header("x-api-key", key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        reply(req.send().await.expect("request failed")).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Registers a user with a name unique to this run.
    pub async fn register(&self, name: &str, is_2fa: bool) -> TestUser {
        let username = format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let email = format!("{username}@example.com");
        let r = self
            .post(
                "/users/registration",
                None,
                json!({"email": email, "username": username, "name": "Test", "lastname": "User", "password": PASSWORD, "is_2fa": is_2fa}),
            )
            .await;
        let id = r.ok(201)["id"].as_str().unwrap().to_owned();
        TestUser { username, email, password: PASSWORD.into(), id }
    }

    pub async fn login(&self, user: &TestUser) -> Reply {
        self.post("/auth/token", None, json!({"username": user.username, "password": user.password})).await
    }

    /// Logs a user without two-factor in and returns the token pair.
    pub async fn tokens(&self, user: &TestUser) -> Value {
        self.login(user).await.ok(200).clone()
    }

    /// Logs a two-factor user in up to the temporary token.
    pub async fn temporary(&self, user: &TestUser) -> String {
        let r = self.login(user).await;
        r.ok(200)["temporary_token"].as_str().expect("a temporary token").to_owned()
    }

    pub async fn me(&self, access: &str) -> Reply {
        self.call(Method::GET, "/users/me", Some(access), None).await
    }

    pub async fn refresh(&self, refresh: &str) -> Reply {
        self.post("/auth/refresh-token", None, json!({"refresh_token": refresh})).await
    }

    /// Asserts that neither half of a token pair works any more.
    pub async fn assert_revoked(&self, pair: &Value) {
        self.me(&token(pair, "access_token")).await.problem(401, "session_revoked");
        self.refresh(&token(pair, "refresh_token")).await.problem(401, "session_revoked");
    }

    /// The code in the newest message to `to` (an email address or phone
    /// number), waiting for one this cluster's tests have not read yet:
    /// messages are sent in the background, after the request that queued
    /// them has answered.
    pub async fn latest_code(&self, to: &str) -> String {
        let seen = self.seen.lock().unwrap().get(to).copied().unwrap_or(0);
        let messages = self.wait_for_mails(to, seen + 1).await;
        self.seen.lock().unwrap().insert(to.to_owned(), messages.len());
        messages
            .last()
            .and_then(|m| m["code"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no code sent to {to}"))
    }

    /// The messages to `to` once there are at least `n`; panics after
    /// [`DELIVERY_WAIT`].
    pub async fn wait_for_mails(&self, to: &str, n: usize) -> Vec<Value> {
        let deadline = std::time::Instant::now() + DELIVERY_WAIT;
        loop {
            let messages = self.mails_to(to);
            if messages.len() >= n {
                return messages;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} message(s) to {to} after {DELIVERY_WAIT:?}, expected {n}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The messages with a code to type to `to` in the log now (login,
    /// step-up, phone and applications' codes): not the mails with a link
    /// ([`Server::proof_mails_to`], [`Server::newest_mail`]) or notices.
    pub fn mails_to(&self, email: &str) -> Vec<Value> {
        let codes = ["login_code", "reauth_code", "phone_verification", "verification"];
        self.mail_lines(email).into_iter().filter(|m| codes.iter().any(|k| m["kind"] == *k)).collect()
    }

    /// The mails proving an address sent to `to` in the log now.
    pub fn proof_mails_to(&self, email: &str) -> Vec<Value> {
        self.mail_lines(email).into_iter().filter(|m| m["kind"] == "email_verification").collect()
    }

    /// The messages of `kind` to `to` in the log now.
    pub fn mail_lines_of_kind(&self, to: &str, kind: &str) -> Vec<Value> {
        self.mail_lines(to).into_iter().filter(|m| m["kind"] == kind).collect()
    }

    /// Every line of the log to `to`.
    fn mail_lines(&self, to: &str) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.mail_log).unwrap_or_default();
        // A line without its newline is still being appended (seen through
        // the container's bind mount): it is read next time, whole.
        text.split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .map(|l| serde_json::from_str::<Value>(l).expect("mail log lines are JSON"))
            .filter(|m| m["to"] == to)
            .collect()
    }

    /// The newest mail proving an address sent to `to`, waiting for it.
    pub async fn proof_mail(&self, to: &str) -> Value {
        self.newest_mail(to, "email_verification").await
    }

    /// The newest message of `kind` sent to `to`, waiting for one.
    pub async fn newest_mail(&self, to: &str, kind: &str) -> Value {
        let deadline = std::time::Instant::now() + DELIVERY_WAIT;
        loop {
            if let Some(mail) = self.mail_lines(to).into_iter().rev().find(|m| m["kind"] == kind) {
                return mail;
            }
            assert!(std::time::Instant::now() < deadline, "no {kind} message to {to} after {DELIVERY_WAIT:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Proves `user`'s address with the link the registration mailed.
    pub async fn prove_email(&self, user: &TestUser) {
        let mail = self.proof_mail(&user.email).await;
        let token = mail["link"].as_str().unwrap().split_once("?token=").unwrap().1.to_owned();
        self.post("/auth/verify-email", None, json!({"token": token})).await.ok(200);
    }

    /// A full two-factor login: token → code from the mail log → verify-otp.
    /// `access`'s session stepped up now with the password and a mailed
    /// code (`aal2`), as a sensitive change asks of a user with a second
    /// factor; the session's new access token.
    pub async fn stepped_up(&self, access: &str, user: &TestUser) -> String {
        // Counted by kind: a login code mailed just before may still be on
        // its way, and must not be taken for this one.
        let before = self.mail_lines_of_kind(&user.email, "reauth_code").len();
        let sent = self.post("/auth/reauthenticate", Some(access), json!({"method": "email"})).await;
        assert_eq!(sent.status.as_u16(), 202, "{:?}", sent.body);
        let deadline = std::time::Instant::now() + DELIVERY_WAIT;
        let mails = loop {
            let mails = self.mail_lines_of_kind(&user.email, "reauth_code");
            if mails.len() > before {
                break mails;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no step-up code mailed to {} after {DELIVERY_WAIT:?}",
                user.email
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let code = mails.last().and_then(|m| m["code"].as_str()).expect("a code").to_owned();
        // Later `latest_code` calls wait for codes after this one.
        self.seen.lock().unwrap().insert(user.email.clone(), self.mails_to(&user.email).len());
        let proof = json!({"password": user.password, "method": "email", "otp": code});
        token(self.post("/auth/reauthenticate", Some(access), proof).await.ok(200), "access_token")
    }

    pub async fn two_factor_tokens(&self, user: &TestUser) -> Value {
        let tmp = self.temporary(user).await;
        let code = self.latest_code(&user.email).await;
        self.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.ok(200).clone()
    }
}

pub async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Reply { status, headers, body }
}

pub fn token(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_else(|| panic!("no {field} in {v}")).to_owned()
}
