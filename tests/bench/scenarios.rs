//! What the benchmark measures, and the processes it measures.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::Method;
use serde_json::{Value, json};

use crate::load::{Conn, Stats, Step, run};
use crate::memory::{Figure, rss_mib};
use crate::{Args, Row, addr_of, render, secs};

pub const PASSWORD: &str = "bench-marmalade-quiver-71";

// ---------------------------------------------------------------- processes

/// A child process that prints "listening on http://…", killed on drop.
pub struct Served {
    pub url: String,
    child: Child,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn spawn(mut cmd: Command) -> anyhow::Result<Self> {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
        let url =
            crate::listen::wait_for_address(&mut child, Duration::from_secs(120), None).map_err(anyhow::Error::msg)?;
        Ok(Self { url, child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// The bare poem handler the HTTP ceiling is measured on (run as a child).
pub fn bare_server() -> anyhow::Result<()> {
    use poem::{
        EndpointExt, Route, handler,
        listener::{Acceptor, Listener, TcpListener},
        post,
    };
    #[handler]
    fn verify() -> poem::web::Json<Value> {
        poem::web::Json(json!({ "message": true }))
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await?;
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        println!("listening on http://{addr}");
        poem::Server::new_with_acceptor(acceptor)
            .run(Route::new().at("/verify", post(verify)).map_to_response())
            .await?;
        anyhow::Ok(())
    })
}

// ---------------------------------------------------------------- setup

pub fn spawn_authd(db_url: &str, dir: &Path, mail_log: &Path, extra: &[(&str, &str)]) -> anyhow::Result<Served> {
    // AUTHD_BENCH_BIN: another build of authd (an earlier commit's, to
    // compare on one machine); by default the one cargo built for the bench.
    let bin = std::env::var_os("AUTHD_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_authd").into());
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTHD_LISTEN", "127.0.0.1:0")
        .env("AUTHD_DATA_DIR", dir)
        .env("AUTHD_MAIL_LOG", mail_log)
        .env("DATABASE_URL", db_url)
        .env("AUTHD_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        // The load comes from one address; per-address limits would measure themselves.
        .env("AUTHD_RATE_TOKEN_PER_MINUTE", "0")
        .env("AUTHD_RATE_OTP_PER_MINUTE", "0")
        .env("AUTHD_RATE_REGISTRATIONS_PER_HOUR", "0")
        .env("AUTHD_MAX_CONNECTIONS_PER_ADDRESS", "0")
        // The allocator's own settings, to compare them on one binary.
        .envs(std::env::vars().filter(|(k, _)| k.starts_with("MIMALLOC_")))
        .envs(extra.iter().copied());
    Served::spawn(cmd)
}

/// Seeds `users` users, registered one a second up to now, with ids made
/// by authd's own `Rng::uuid_v7`: the table's order is the id order, as in
/// a service that has taken registrations over time. Returns the ids in
/// registration order.
pub async fn seed(db_url: &str, users: u64) -> anyhow::Result<Vec<uuid::Uuid>> {
    use domain::rng::Rng;
    let hash = one_hash().await?;
    let db = infra::connect(db_url, 2).await?;
    let start = chrono::Utc::now() - chrono::Duration::seconds(users as i64);
    let registered: Vec<_> = (1..=users as i64).map(|i| start + chrono::Duration::seconds(i)).collect();
    let ids: Vec<uuid::Uuid> = registered.iter().map(|&at| infra::rng::OsRng.uuid_v7(at)).collect();
    for (n, (batch, at)) in ids.chunks(100_000).zip(registered.chunks(100_000)).enumerate() {
        // bench<i>: every tenth user has two-factor on; bench1 is an admin.
        sea_orm::sqlx::query(
            "INSERT INTO users (id, email, username, name, lastname, password_hash, is_admin, is_2fa, is_active, created_at, modified_at) \
             SELECT id, 'bench' || i || '@example.com', 'bench' || i, 'Bench', 'User' || i, $3, i = 1, i % 10 = 0, true, at, at \
             FROM (SELECT id, at, $4 + n AS i FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS u(id, at, n)) AS x",
        )
        .bind(batch)
        .bind(at)
        .bind(&hash)
        .bind((n * 100_000) as i64)
        .execute(db.pool().get_postgres_connection_pool())
        .await?;
    }
    sea_orm::ConnectionTrait::execute_unprepared(&db, "ANALYZE users").await?;
    Ok(ids)
}

/// One real argon2id hash of [`PASSWORD`], shared by every seeded user:
/// seeding 1M users must not take 1M hashes.
async fn one_hash() -> anyhow::Result<String> {
    let hasher = infra::hasher::Argon2Hasher::new(Default::default(), 1)?;
    Ok(domain::ports::PasswordHasher::hash(&hasher, &domain::password::Password::parse(PASSWORD, &[])?).await?)
}

/// [`seed`] on a SQLite file (no arrays there): `users` rows named as on
/// PostgreSQL, in one transaction.
async fn seed_sqlite(db_url: &str, users: u64) -> anyhow::Result<()> {
    use domain::rng::Rng;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let hash = one_hash().await?;
    let db = infra::connect(db_url, 1).await?;
    let txn = db.begin().await?;
    let at = chrono::Utc::now();
    for i in 1..=users {
        let values: Vec<sea_orm::Value> = vec![
            infra::rng::OsRng.uuid_v7(at).into(),
            format!("bench{i}@example.com").into(),
            format!("bench{i}").into(),
            format!("User{i}").into(),
            hash.clone().into(),
            (i == 1).into(),
            (i % 10 == 0).into(),
            at.into(),
            at.into(),
        ];
        let sql = "INSERT INTO users (id, email, username, name, lastname, password_hash, is_admin, is_2fa, is_active, \
                   created_at, modified_at) VALUES (?, ?, ?, 'Bench', ?, ?, ?, ?, true, ?, ?)";
        txn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)).await?;
    }
    txn.commit().await?;
    db.close().await?;
    Ok(())
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut req = http.post(format!("{url}/api/v1{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    anyhow::ensure!(resp.status().is_success(), "{path}: {} {}", resp.status(), resp.text().await?);
    Ok(resp.json().await?)
}

/// Token pairs for `n` distinct password-only users.
async fn pairs(url: &str, n: usize, users: u64) -> anyhow::Result<Vec<Value>> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for i in 0..n {
        let name = password_user(i as u64, users);
        out.push(post(&http, url, "/auth/token", None, json!({"username": name, "password": PASSWORD})).await?);
    }
    Ok(out)
}

/// The i-th password-only seeded user (skips every tenth, which has two-factor).
fn password_user(i: u64, users: u64) -> String {
    let n = i % (users - users / 10).max(1);
    format!("bench{}", n + n / 9 + 1)
}

fn field(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

// ---------------------------------------------------------------- scenarios

struct Bare;
impl Step for Bare {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        Ok(c.send(Method::POST, "/verify", None, None).await?.0.is_success())
    }
}

struct VerifyToken(String);
impl Step for VerifyToken {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        Ok(c.send(Method::POST, "/api/v1/auth/verify-token", Some(&self.0), None).await?.0.is_success())
    }
}

struct Me(String);
impl Step for Me {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        Ok(c.send(Method::GET, "/api/v1/users/me", Some(&self.0), None).await?.0.is_success())
    }
}

/// Each connection walks its own rotation chain.
struct Refresh(String);
impl Step for Refresh {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        let body = json!({ "refresh_token": self.0 }).to_string();
        let (status, bytes) = c.send(Method::POST, "/api/v1/auth/refresh-token", None, Some(&body)).await?;
        if !status.is_success() {
            return Ok(false);
        }
        self.0 = field(&serde_json::from_slice(&bytes)?, "refresh_token");
        Ok(true)
    }
}

/// Password logins, each connection over its own users.
struct Login {
    next: u64,
    stride: u64,
    users: u64,
}
impl Step for Login {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        let body = json!({ "username": password_user(self.next, self.users), "password": PASSWORD }).to_string();
        self.next += self.stride;
        let (status, _) = c.send(Method::POST, "/api/v1/auth/token", None, Some(&body)).await?;
        if status == hyper::StatusCode::SERVICE_UNAVAILABLE {
            // Shed: a well-behaved client waits its Retry-After (1 s) before the next try.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Ok(status.is_success())
    }
}

/// An application's verification sends, each to a new destination: by
/// mail, or by SMS to numbers spread over 64 prefixes (8 area codes × 8
/// exchanges), so the SMS guard's prefix rows take the load as a real
/// deployment's would.
struct SendCode {
    key: String,
    sms: bool,
    next: u64,
    stride: u64,
}
impl Step for SendCode {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        const AREAS: [u32; 8] = [415, 212, 303, 617, 206, 512, 702, 305];
        let n = self.next;
        self.next += self.stride;
        let body = if self.sms {
            let to = format!("+1{}{}{:06}", AREAS[(n % 8) as usize], 2 + (n / 8) % 8, (n / 64) % 1_000_000);
            json!({"to": to, "channel": "sms"})
        } else {
            json!({"to": format!("send{n}@example.com"), "channel": "email"})
        };
        let (status, _) =
            c.send(Method::POST, "/api/v1/verifications", Some(&self.key), Some(&body.to_string())).await?;
        Ok(status.is_success())
    }
}

/// Admin list pages from a random depth: after a random seeded user other
/// than the last, so an empty page counts as an error.
struct AdminList {
    token: String,
    ids: Arc<Vec<uuid::Uuid>>,
}
impl Step for AdminList {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        let i = (uuid::Uuid::new_v4().as_u128() % (self.ids.len() as u128 - 1).max(1)) as usize;
        let path = format!("/api/v1/users?limit=50&after={}", self.ids[i]);
        let (status, body) = c.send(Method::GET, &path, Some(&self.token), None).await?;
        Ok(status.is_success() && body.starts_with(br#"{"items":[{"#))
    }
}

/// Codes from the mail log, by address, as the file-log mailer appends them.
#[derive(Clone, Default)]
struct CodeBook(Arc<Mutex<HashMap<String, String>>>);

impl CodeBook {
    fn follow(&self, path: PathBuf) {
        let book = self.clone();
        std::thread::spawn(move || {
            let mut offset = 0u64;
            let mut pending = String::new();
            loop {
                if let Ok(mut f) = std::fs::File::open(&path) {
                    let _ = f.seek(SeekFrom::Start(offset));
                    let mut buf = String::new();
                    if let Ok(n) = f.read_to_string(&mut buf) {
                        offset += n as u64;
                        pending.push_str(&buf);
                        while let Some(end) = pending.find('\n') {
                            let line: String = pending.drain(..=end).collect();
                            if let Ok(m) = serde_json::from_str::<Value>(&line) {
                                book.0.lock().unwrap().insert(field(&m, "to"), field(&m, "code"));
                            }
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
    }

    async fn take(&self, email: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(code) = self.0.lock().unwrap().remove(email) {
                return Some(code);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        None
    }
}

/// A whole two-factor login: token → code from the mail log → verify-otp.
struct TwoFactor {
    next: u64,
    stride: u64,
    users: u64,
    codes: CodeBook,
}
impl Step for TwoFactor {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        let n = (self.next % (self.users / 10).max(1) + 1) * 10;
        self.next += self.stride;
        let (name, email) = (format!("bench{n}"), format!("bench{n}@example.com"));
        self.codes.0.lock().unwrap().remove(&email);
        let body = json!({ "username": name, "password": PASSWORD }).to_string();
        let (status, bytes) = c.send(Method::POST, "/api/v1/auth/token", None, Some(&body)).await?;
        if !status.is_success() {
            return Ok(false);
        }
        let tmp = field(&serde_json::from_slice(&bytes)?, "temporary_token");
        let Some(code) = self.codes.take(&email).await else { return Ok(false) };
        let body = json!({ "otp": code }).to_string();
        Ok(c.send(Method::POST, "/api/v1/auth/verify-otp", Some(&tmp), Some(&body)).await?.0.is_success())
    }
}

/// argon2id verifications per second with authd's hasher on all cores.
async fn argon2_ceiling(seconds: Duration) -> anyhow::Result<f64> {
    use domain::ports::PasswordHasher;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hasher = Arc::new(infra::hasher::Argon2Hasher::new(Default::default(), cores)?);
    let phc = hasher.hash(&domain::password::Password::parse(PASSWORD, &[])?).await?;
    let deadline = Instant::now() + seconds;
    let started = Instant::now();
    let tasks: Vec<_> = (0..cores)
        .map(|_| {
            let (h, phc) = (hasher.clone(), phc.clone());
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    h.verify(&PASSWORD.into(), &phc).await.unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await?;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// Waits (at most 30 s) until authd's revocation listener has caught up:
/// before then every token check reads the database.
pub async fn caught_up(url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = http.get(format!("{url}/metrics")).send().await?.text().await?;
        if text.lines().any(|l| l == "authd_revocation_listener_connected 1") {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "authd's revocation listener did not catch up within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Logs `n` sessions out one at a time on node `a`, each seen live on node
/// `b` first, and times from the logout's answer to `b`'s first 401 for it
/// (asking `b` back to back on one connection).
async fn revocation_reach(a: &str, b: &str, n: usize, users: u64) -> anyhow::Result<Stats> {
    let tokens = pairs(a, n, users).await?;
    let (mut on_a, mut on_b) = (Conn::open(addr_of(a)).await?, Conn::open(addr_of(b)).await?);
    let mut hist = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let started = Instant::now();
    for pair in &tokens {
        let access = field(pair, "access_token");
        let path = "/api/v1/auth/verify-token";
        anyhow::ensure!(
            on_b.send(Method::POST, path, Some(&access), None).await?.0.is_success(),
            "node B refused a live session"
        );
        let (status, _) = on_a.send(Method::POST, "/api/v1/auth/logout", Some(&access), None).await?;
        anyhow::ensure!(status.is_success(), "logout: {status}");
        let answered = Instant::now();
        loop {
            let (status, _) = on_b.send(Method::POST, path, Some(&access), None).await?;
            if status == hyper::StatusCode::UNAUTHORIZED {
                break;
            }
            anyhow::ensure!(status.is_success(), "node B answered {status}");
            anyhow::ensure!(answered.elapsed() < Duration::from_secs(5), "node B still honours a logout after 5 s");
        }
        hist.saturating_record(answered.elapsed().as_micros() as u64);
    }
    Ok(Stats { ops: hist.len(), errors: 0, elapsed: started.elapsed(), latency_us: hist })
}

/// A 200 for a session whose logout was answered longer ago than this is stale.
const STALE_AFTER: Duration = Duration::from_millis(100);

/// Token checks on node `b` over `n` sessions while one client on node `a`
/// logs them out one by one, evenly over the run. A check's answer is right
/// when it is 200 for a live session, 401 `session_revoked` for one whose
/// logout was answered, either while its logout is in flight or less than
/// [`STALE_AFTER`] old; anything else is an error, and a 200 later than that
/// is also counted as stale. Returns the checks' and the logouts' figures
/// and the stale count.
async fn verify_during_logouts(
    a: &str,
    b: &str,
    n: usize,
    conns: usize,
    duration: Duration,
    users: u64,
) -> anyhow::Result<(Stats, (Stats, u64))> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let tokens: Arc<Vec<String>> =
        Arc::new(pairs(a, n, users).await?.iter().map(|p| field(p, "access_token")).collect());
    let origin = Instant::now();
    // Per session: 1 + µs since `origin` when its logout was answered (0: not yet).
    let revoked: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    // Per session: whether its logout has been sent.
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let stale = Arc::new(AtomicU64::new(0));

    struct Check {
        tokens: Arc<Vec<String>>,
        revoked: Arc<Vec<AtomicU64>>,
        sent: Arc<Vec<AtomicU64>>,
        stale: Arc<AtomicU64>,
        origin: Instant,
        next: usize,
    }
    impl Step for Check {
        async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
            self.next = (self.next * 7 + 13) % self.tokens.len();
            let i = self.next;
            let sent = self.origin.elapsed().as_micros() as u64;
            let answered = self.revoked[i].load(Ordering::Acquire);
            let (status, body) = c.send(Method::POST, "/api/v1/auth/verify-token", Some(&self.tokens[i]), None).await?;
            match status.as_u16() {
                200 if answered != 0 && sent > answered - 1 + STALE_AFTER.as_micros() as u64 => {
                    self.stale.fetch_add(1, Ordering::Relaxed);
                    Ok(false)
                }
                200 => Ok(true),
                // Refused: right once its logout has been sent (it may have committed).
                401 => {
                    Ok(self.sent[i].load(Ordering::Acquire) != 0 && body.windows(15).any(|w| w == b"session_revoked"))
                }
                _ => Ok(false),
            }
        }
    }
    let checks = (0..conns.saturating_sub(1).max(1))
        .map(|k| Check {
            tokens: tokens.clone(),
            revoked: revoked.clone(),
            sent: sent.clone(),
            stale: stale.clone(),
            origin,
            next: k * 31 % n,
        })
        .collect();
    let logouts = {
        let (tokens, revoked, sent, a) = (tokens.clone(), revoked.clone(), sent.clone(), addr_of(a));
        tokio::spawn(async move {
            let mut conn = Conn::open(a).await?;
            let mut hist = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let pace = duration / n as u32;
            let started = Instant::now();
            for (i, access) in tokens.iter().enumerate() {
                tokio::time::sleep_until((started + pace * i as u32).into()).await;
                let t = Instant::now();
                sent[i].store(1, Ordering::Release);
                let (status, _) = conn.send(Method::POST, "/api/v1/auth/logout", Some(access), None).await?;
                anyhow::ensure!(status.is_success(), "logout: {status}");
                revoked[i].store(1 + origin.elapsed().as_micros() as u64, Ordering::Release);
                hist.saturating_record(t.elapsed().as_micros() as u64);
            }
            anyhow::Ok(Stats { ops: hist.len(), errors: 0, elapsed: started.elapsed(), latency_us: hist })
        })
    };
    let during = run(addr_of(b), checks, duration).await?;
    let logouts = logouts.await??;
    Ok((during, (logouts, stale.load(Ordering::Relaxed))))
}

// ---------------------------------------------------------------- the run

/// How long after the load the first node's memory is read again (5 s
/// with `--quick`, whose figures no one reads).
fn after_load(args: &Args) -> Duration {
    Duration::from_secs(if args.quick { 5 } else { 40 })
}

/// `GET /users/me` among many users and among 1000 of them, and the ratio.
fn many_rows(rows: &mut Vec<Row>, many: &crate::memory::ManySessions, conns: usize) {
    let ratio = many.all.rate() / many.thousand.rate().max(1.0);
    measure(rows, &format!("GET /users/me, {} distinct users and sessions", many.n), conns, many.all.clone());
    measure(rows, "GET /users/me, 1000 of them, same node", conns, many.thousand.clone());
    ratio_row(rows, &format!("  {} users ÷ 1000 users", many.n), conns, ratio);
}

/// A row that compares two rates of the same run: `ratio` ×.
fn ratio_row(rows: &mut Vec<Row>, name: &str, connections: usize, ratio: f64) {
    rows.push(Row { name: name.to_owned(), connections, stats: None, note: format!("{ratio:.2} ×") });
}

fn measure(rows: &mut Vec<Row>, name: &str, connections: usize, stats: Stats) {
    eprintln!("bench: {name}: {:.0} req/s, p99 {:.2} ms, {} errors", stats.rate(), stats.p(0.99), stats.errors);
    crate::memory::phase_ended(name);
    rows.push(Row { name: name.to_owned(), connections, stats: Some(stats), note: String::new() });
}

pub async fn run_all(args: Args) -> anyhow::Result<()> {
    let secs = secs(&args);
    let conns = args.connections;
    let started = chrono::Utc::now();

    eprintln!("bench: PostgreSQL");
    let own_pg;
    let admin_url = match &args.database_url {
        Some(u) => u.clone(),
        None => {
            own_pg = crate::postgres::Postgres::start()?;
            own_pg.url.clone()
        }
    };
    let db_url = crate::testdb::create_postgres_database(&admin_url).await?;

    let dir = std::env::temp_dir().join(format!("authd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mail_log = dir.join("mail.log");
    eprintln!("bench: authd (release) on {db_url}");
    let authd = spawn_authd(&db_url, &dir, &mail_log, &[])?;
    let idle_sqlite = {
        let sdir = dir.join("idle-sqlite");
        std::fs::create_dir_all(&sdir)?;
        let url = format!("sqlite://{}?mode=rwc", sdir.join("authd.db").display());
        crate::memory::idle_after_start(&url, &sdir)?
    };
    let idle_postgres = crate::memory::idle_after_start(&db_url, &dir.join("idle-postgres"))?;
    let addr = addr_of(&authd.url);
    eprintln!("bench: seeding {} users", args.users);
    let t = Instant::now();
    let ids = Arc::new(seed(&db_url, args.users).await?);
    let seeded_in = t.elapsed();
    let (rss_idle, _) = rss_mib(authd.pid());
    let peak_watch = crate::memory::PeakWatch::start(authd.pid());

    let mut rows = Vec::new();
    let stale;

    let bare = Served::spawn({
        let mut c = Command::new(std::env::current_exe()?);
        c.arg("--bare-server");
        c
    })?;
    let ceiling = run(addr_of(&bare.url), (0..conns).map(|_| Bare).collect(), secs).await?;
    let ceiling_rate = ceiling.rate();
    measure(&mut rows, "bare poem handler (HTTP ceiling)", conns, ceiling);
    drop(bare);

    caught_up(&authd.url).await?;
    let tokens = pairs(&authd.url, conns, args.users).await?;
    let access: Vec<String> = tokens.iter().map(|p| field(p, "access_token")).collect();
    let checks = run(addr, access.iter().cloned().map(VerifyToken).collect(), secs).await?;
    let share = checks.rate() / ceiling_rate.max(1.0);
    measure(&mut rows, "verify-token", conns, checks);
    ratio_row(&mut rows, "  verify-token ÷ bare poem handler, same run", conns, share);
    measure(&mut rows, "GET /users/me", conns, run(addr, access.iter().cloned().map(Me).collect(), secs).await?);
    let admin = post(
        &reqwest::Client::new(),
        &authd.url,
        "/auth/token",
        None,
        json!({"username": "bench1", "password": PASSWORD}),
    )
    .await?;
    let admin = field(&admin, "access_token");
    measure(
        &mut rows,
        "admin list page, random depth",
        conns,
        run(addr, (0..conns).map(|_| AdminList { token: admin.clone(), ids: ids.clone() }).collect(), secs).await?,
    );
    if args.ceilings_only {
        // The /users/me target among many users is a speed target too.
        let many = crate::memory::many_sessions(&admin_url, &dir.join("many"), args.many_sessions(), &args).await?;
        many_rows(&mut rows, &many, conns);
        println!("\n{}", render(&rows, &[]));
        return Ok(());
    }
    {
        // The same with revocation push off: every check reads the database.
        let polled = spawn_authd(&db_url, &dir, &mail_log, &[("AUTHD_REVOCATION_PUSH", "false")])?;
        let paddr = addr_of(&polled.url);
        measure(
            &mut rows,
            "verify-token, database read per check (push off)",
            conns,
            run(paddr, access.iter().cloned().map(VerifyToken).collect(), secs).await?,
        );
        measure(
            &mut rows,
            "GET /users/me, database read per check (push off)",
            conns,
            run(paddr, access.iter().cloned().map(Me).collect(), secs).await?,
        );
    }
    {
        // What detecting a stalled listener faster costs the checks: a node
        // pinging its listener 5× as often as the default, against the
        // default node measured the same way just before.
        let default_rate = run(addr, access.iter().cloned().map(VerifyToken).collect(), secs).await?.rate();
        let fast = spawn_authd(&db_url, &dir, &mail_log, &[("AUTHD_REVOCATION_PING_MS", "100")])?;
        caught_up(&fast.url).await?;
        let pinged = run(addr_of(&fast.url), access.iter().cloned().map(VerifyToken).collect(), secs).await?;
        let ratio = pinged.rate() / default_rate.max(1.0);
        measure(&mut rows, "verify-token, listener pinged every 100 ms (stall bound 0.3 s)", conns, pinged);
        ratio_row(&mut rows, "  ÷ verify-token pinged every 250 ms (the default), measured just before", conns, ratio);
    }
    {
        // The same checks on tokens signed with Ed25519 (AUTHD_JWT_ALG=EdDSA),
        // and the codec's own rates per algorithm.
        let ed = spawn_authd(&db_url, &dir, &mail_log, &[("AUTHD_JWT_ALG", "EdDSA")])?;
        caught_up(&ed.url).await?;
        let ed_access: Vec<String> =
            pairs(&ed.url, conns, args.users).await?.iter().map(|p| field(p, "access_token")).collect();
        measure(
            &mut rows,
            "verify-token, EdDSA tokens",
            conns,
            run(addr_of(&ed.url), ed_access.into_iter().map(VerifyToken).collect(), secs).await?,
        );
        rows.extend(crate::codecs::rows(secs.min(Duration::from_secs(2))).await?);
    }
    {
        // A second node on the same database: how fast a logout reaches it.
        let other = spawn_authd(&db_url, &dir, &mail_log, &[])?;
        caught_up(&other.url).await?;
        let n = if args.quick { 30 } else { 300 };
        let reach = revocation_reach(&authd.url, &other.url, n, args.users).await?;
        let note = format!("{} samples", reach.ops);
        eprintln!("bench: revocation reach: p50 {:.2} ms, p99 {:.2} ms", reach.p(0.5), reach.p(0.99));
        measure(&mut rows, "revocation reach: logout on node A → first 401 on node B", 1, reach);
        rows.last_mut().expect("just pushed").note = note;
        let n = if args.quick { 60 } else { 600 };
        let (during, logouts) = verify_during_logouts(&authd.url, &other.url, n, conns, secs, args.users).await?;
        measure(&mut rows, "verify-token on node B while node A logs out sessions", conns, during);
        measure(&mut rows, "  the logouts on node A", 1, logouts.0);
        stale = logouts.1;
    }
    {
        // The send path with the SMS guard (a texted code: the number rules
        // and one conditional upsert of its prefix's row and the deployment's) against without it (mail), on
        // one server with the per-app caps off and the guard's limits out of
        // reach, so both measure the path, not a refusal.
        let off = [
            ("AUTHD_RATE_VERIFICATIONS_PER_APP_PER_MINUTE", "0"),
            ("AUTHD_RATE_VERIFICATIONS_PER_DESTINATION_PER_HOUR", "0"),
            ("AUTHD_VERIFICATION_MAX_PENDING", "0"),
            ("AUTHD_SMS_PREFIX_MAX_PER_HOUR", "0"),
            ("AUTHD_SMS_GUARD_MIN_SENDS", "0"),
            // Counted (the deployment's row in the same statement), never reached.
            ("AUTHD_SMS_MAX_PER_HOUR", "4000000000"),
        ];
        let sender = spawn_authd(&db_url, &dir, &mail_log, &off)?;
        caught_up(&sender.url).await?;
        let http = reqwest::Client::new();
        let admin = post(&http, &sender.url, "/auth/token", None, json!({"username": "bench1", "password": PASSWORD}));
        let admin = field(&admin.await?, "access_token");
        let app = json!({"name": "Bench sender", "channels": ["email", "sms"]});
        let key = field(&post(&http, &sender.url, "/apps", Some(&admin), app).await?, "api_key");
        let sends = |sms: bool| {
            let stride = conns as u64;
            (0..stride).map(|i| SendCode { key: key.clone(), sms, next: i, stride }).collect::<Vec<_>>()
        };
        let saddr = addr_of(&sender.url);
        let mail = run(saddr, sends(false), secs).await?;
        let sms = run(saddr, sends(true), secs).await?;
        // The same sends on a node of the same database with no deployment
        // cap: what the deployment's row (one row every texted code updates)
        // costs under this concurrency.
        let mut uncapped_env = off.to_vec();
        uncapped_env.retain(|(k, _)| *k != "AUTHD_SMS_MAX_PER_HOUR");
        uncapped_env.push(("AUTHD_SMS_MAX_PER_HOUR", "0"));
        let uncapped = spawn_authd(&db_url, &dir, &mail_log, &uncapped_env)?;
        caught_up(&uncapped.url).await?;
        let sms_uncapped = run(addr_of(&uncapped.url), sends(true), secs).await?;
        let ratio = sms.rate() / mail.rate().max(1.0);
        let cap_ratio = sms.rate() / sms_uncapped.rate().max(1.0);
        measure(&mut rows, "verification send by mail (no SMS guard)", conns, mail);
        measure(&mut rows, "verification send by SMS (SMS guard: numbers, prefix + deployment count)", conns, sms);
        measure(&mut rows, "verification send by SMS, no deployment cap (numbers, prefix count)", conns, sms_uncapped);
        for (name, r) in
            [("  SMS send ÷ mail send, same run", ratio), ("  SMS send with ÷ without the deployment cap", cap_ratio)]
        {
            ratio_row(&mut rows, name, conns, r);
        }
    }
    let refresh: Vec<Refresh> = tokens.iter().map(|p| Refresh(field(p, "refresh_token"))).collect();
    measure(&mut rows, "refresh (rotation)", conns, run(addr, refresh, secs).await?);

    let stride = conns as u64;
    let logins = |offset: u64| {
        (0..conns as u64).map(move |i| Login { next: i + offset, stride, users: args.users }).collect::<Vec<_>>()
    };
    measure(&mut rows, "password login", conns, run(addr, logins(0), secs).await?);
    let codes = CodeBook::default();
    codes.follow(mail_log.clone());
    let two =
        (0..conns as u64).map(|i| TwoFactor { next: i, stride, users: args.users, codes: codes.clone() }).collect();
    measure(&mut rows, "full 2FA login (token, mail, verify-otp)", conns, run(addr, two, secs).await?);

    // A login storm and token checks at once: does hashing starve the checks?
    let storm = tokio::spawn(run(addr, logins(1_000_000), secs));
    let during = run(addr, access.iter().cloned().map(VerifyToken).collect(), secs).await?;
    let storm = storm.await??;
    measure(&mut rows, "verify-token during a login storm", conns, during);
    measure(&mut rows, "  the storm's password logins", conns, storm);

    {
        // The embedded default, SQLite in WAL mode, with each durability
        // (AUTHD_SQLITE_SYNCHRONOUS) on a file on disk: what syncing every
        // commit costs the writes (refresh rotates a session, a login
        // writes one).
        let mut rates = Vec::new();
        for sync in ["normal", "full"] {
            let sdir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-sqlite-{sync}"));
            let _ = std::fs::remove_dir_all(&sdir);
            std::fs::create_dir_all(&sdir)?;
            let url = format!("sqlite://{}?mode=rwc", sdir.join("authd.db").display());
            let node = spawn_authd(&url, &sdir, &sdir.join("mail.log"), &[("AUTHD_SQLITE_SYNCHRONOUS", sync)])?;
            seed_sqlite(&url, args.users).await?;
            let saddr = addr_of(&node.url);
            let chains: Vec<Refresh> =
                pairs(&node.url, conns, args.users).await?.iter().map(|p| Refresh(field(p, "refresh_token"))).collect();
            let refreshed = run(saddr, chains, secs).await?;
            let logged_in = run(saddr, logins(0), secs).await?;
            rates.push((refreshed.rate(), logged_in.rate()));
            let upper = sync.to_uppercase();
            measure(&mut rows, &format!("SQLite synchronous={upper}: refresh (rotation)"), conns, refreshed);
            measure(&mut rows, &format!("SQLite synchronous={upper}: password login"), conns, logged_in);
            drop(node);
            let _ = std::fs::remove_dir_all(&sdir);
        }
        let (normal, full) = (rates[0], rates[1]);
        for (name, r) in [
            ("  SQLite refresh, FULL ÷ NORMAL", full.0 / normal.0.max(1.0)),
            ("  SQLite password login, FULL ÷ NORMAL", full.1 / normal.1.max(1.0)),
        ] {
            ratio_row(&mut rows, name, conns, r);
        }
    }

    let argon = argon2_ceiling(secs).await?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());

    // A storm at 10× what argon2 can hash, arriving whether or not earlier
    // logins were answered: those that would wait past the hash queue's
    // limit (AUTHD_HASH_QUEUE_MAX_WAIT_MS) are shed at once with 503, the
    // rest answered in bounded time, and token checks keep their pace.
    let offered = 10.0 * argon;
    let users = args.users;
    let storm = tokio::spawn(crate::load::run_open(
        addr,
        offered,
        secs,
        4096,
        Duration::from_secs(30),
        move |i, mut c| async move {
            let body = json!({ "username": password_user(2_000_000 + i, users), "password": PASSWORD }).to_string();
            let answer = c.send(Method::POST, "/api/v1/auth/token", None, Some(&body)).await.map(|(s, _)| s);
            (answer, c)
        },
    ));
    let during = run(addr, access.iter().cloned().map(VerifyToken).collect(), secs).await?;
    let storm = storm.await??;
    measure(&mut rows, "verify-token during a 10× login storm", conns, during);
    let mut accepted = storm.accepted;
    accepted.errors = storm.failed + storm.unsent;
    measure(&mut rows, &format!("  accepted logins ({offered:.0}/s offered, open loop)"), 0, accepted);
    measure(&mut rows, "  shed logins (503 overloaded)", 0, storm.shed);
    let (_, rss_peak) = rss_mib(authd.pid());
    let peak_phase = peak_watch.phase();
    drop(peak_watch);
    let load_ended = Instant::now();
    rows.push(Row {
        name: format!("argon2id m=19456 t=2 p=1 on {cores} cores (login ceiling)"),
        connections: cores,
        stats: None,
        note: format!("{argon:.1} hashes/s"),
    });

    // Many distinct users at once, each with a session: what remembering
    // them costs, and whether the memory keeps them (eviction, not a wipe).
    let many = crate::memory::many_sessions(&admin_url, &dir.join("many"), args.many_sessions(), &args).await?;
    many_rows(&mut rows, &many, conns);
    // The first node, idle since its last request: what it gave back.
    tokio::time::sleep_until((load_ended + after_load(&args)).into()).await;
    let (rss_after, _) = rss_mib(authd.pid());
    let per_entry = (many.rss - many.rss_before).max(0.0) * 1024.0 * 1024.0 / many.n as f64;
    let figures = [
        Figure { name: "idle, 5 s after start, SQLite".into(), mib: idle_sqlite, target: "< 30" },
        Figure { name: "idle, 5 s after start, PostgreSQL".into(), mib: idle_postgres, target: "< 30" },
        Figure {
            name: format!("after seeding {} users (the first node, before any request)", args.users),
            mib: rss_idle,
            target: "",
        },
        Figure {
            name: format!("peak under the token checks and login storms above (reached in: {peak_phase})"),
            mib: rss_peak,
            target: "< 100",
        },
        Figure {
            name: format!("{} s after the load ended", after_load(&args).as_secs()),
            mib: rss_after,
            target: "< 40",
        },
        Figure {
            name: format!("{} distinct sessions and users remembered", many.n),
            mib: many.rss,
            target: "< 128 (300k)",
        },
        Figure {
            name: format!(
                "  per remembered session + user + token: {per_entry:.0} bytes; × 600k (the default bounds), estimated, not measured"
            ),
            mib: many.rss_before + per_entry * 600_000.0 / (1024.0 * 1024.0) + 10.0,
            target: "",
        },
    ];
    let extra = vec![
        ("seeded users".to_owned(), format!("{} (in {:.1} s)", args.users, seeded_in.as_secs_f64())),
        (
            "stale answers".to_owned(),
            format!(
                "{stale} token checks on node B answered 200 more than {} ms after their session's logout had been answered on node A",
                STALE_AFTER.as_millis()
            ),
        ),
        (
            "per scenario".to_owned(),
            format!("{} s, {conns} keep-alive connections, load generator on the same machine", secs.as_secs()),
        ),
    ];
    let table = format!("{}\n{}", render(&rows, &extra), crate::memory::render(&figures));
    println!("\n{table}");
    if args.write_docs {
        write_docs(&table, &args, started)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Rewrites this run's section (one per seeded-user count) of docs/benchmarks.md.
fn write_docs(table: &str, args: &Args, at: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0);
    let heading = format!("## {} seeded users", args.users);
    let section = format!(
        "{heading}\n\n`cargo bench -p api --bench load -- --users {} --seconds {} --write-docs`, {}.\n\n\
         Machine: {cpu}, {cores} cores, {} GiB. authd (release), PostgreSQL (default durability settings) and the \
         load generator share those cores; HTTP/1.1 keep-alive over loopback. The seeded users registered one a \
         second, with UUIDv7 ids as authd makes them; each admin list page starts after a random one.\n\n{table}",
        args.users,
        args.seconds,
        at.format("%Y-%m-%d %H:%M UTC"),
        mem_kib / 1024 / 1024
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/benchmarks.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let mut sections: Vec<String> = old.split("\n## ").skip(1).map(|s| format!("## {}", s.trim_end())).collect();
    sections.retain(|s| !s.starts_with(&format!("{heading}\n")));
    sections.push(section.trim_end().to_owned());
    sections.sort_by_key(|s| s.split_whitespace().nth(1).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0));
    let text = format!(
        "# Benchmarks\n\nWritten by the benchmark tool; see the README's Benchmarks section.\n\n{}\n",
        sections.join("\n\n")
    );
    std::fs::write(&path, text)?;
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}
