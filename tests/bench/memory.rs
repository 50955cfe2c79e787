//! What authd holds in memory: idle after start, under load, after the load,
//! and with many distinct sessions and users remembered. Read from
//! `/proc/<pid>/status` (VmRSS: resident now; VmHWM: the peak).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::assurance::{Amr, Assurance};
use domain::ports::TokenCodec;
use domain::token::{Claims, TokenKind};
use domain::user::UserId;
use hyper::Method;

use crate::load::{Conn, Stats, Step, run};
use crate::scenarios::{Served, spawn_authd};
use crate::{Args, addr_of};

/// `VmRSS` and `VmHWM` (peak) of a process, in MiB.
pub fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// When each measured phase ended, in order: what a peak is placed by.
static PHASE_ENDS: Mutex<Vec<(Instant, String)>> = Mutex::new(Vec::new());

/// Notes that the phase `name` just ended.
pub fn phase_ended(name: &str) {
    PHASE_ENDS.lock().expect("not poisoned").push((Instant::now(), name.trim().to_owned()));
}

/// Watches a process's peak (`VmHWM`) every 20 ms, to say in which phase it
/// was reached: VmHWM alone says how high, not when.
pub struct PeakWatch {
    /// When VmHWM last rose, and to what (MiB).
    last_rise: Arc<Mutex<(Instant, f64)>>,
    stop: Arc<AtomicBool>,
}

impl PeakWatch {
    pub fn start(pid: u32) -> Self {
        let last_rise = Arc::new(Mutex::new((Instant::now(), rss_mib(pid).1)));
        let stop = Arc::new(AtomicBool::new(false));
        let (rise, halt) = (last_rise.clone(), stop.clone());
        std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                let peak = rss_mib(pid).1;
                let mut r = rise.lock().expect("not poisoned");
                if peak > r.1 {
                    *r = (Instant::now(), peak);
                }
                drop(r);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Self { last_rise, stop }
    }

    /// The phase the peak was reached in: the first to end after it rose
    /// last (`-` when none has).
    pub fn phase(&self) -> String {
        let (at, _) = *self.last_rise.lock().expect("not poisoned");
        let ends = PHASE_ENDS.lock().expect("not poisoned");
        ends.iter().find(|(end, _)| *end >= at).map_or_else(|| "-".into(), |(_, name)| name.clone())
    }
}

impl Drop for PeakWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One line of the memory table.
pub struct Figure {
    pub name: String,
    pub mib: f64,
    pub target: &'static str,
}

pub fn render(figures: &[Figure]) -> String {
    let mut out = String::from("| memory | MiB | target |\n|---|---:|---|\n");
    for f in figures {
        out += &format!("| {} | {:.1} | {} |\n", f.name, f.mib, f.target);
    }
    out
}

/// RSS of a fresh node on `db_url`, 5 s after it said it listens.
pub fn idle_after_start(db_url: &str, dir: &Path) -> anyhow::Result<f64> {
    std::fs::create_dir_all(dir)?;
    let node = spawn_authd(db_url, dir, &dir.join("mail.log"), &[])?;
    std::thread::sleep(Duration::from_secs(5));
    Ok(rss_mib(node.pid()).0)
}

/// A secret the bench signs its own access tokens with (HS256).
const SECRET: &str = "bench-memory-secret-bench-memory-secret-0123456789";

/// `GET /users/me`, each connection walking its own share of the tokens.
struct MeAmong {
    tokens: Arc<Vec<String>>,
    next: usize,
    stride: usize,
}

impl Step for MeAmong {
    async fn step(&mut self, c: &mut Conn) -> anyhow::Result<bool> {
        let token = &self.tokens[self.next % self.tokens.len()];
        self.next += self.stride;
        Ok(c.send(Method::GET, "/api/v1/users/me", Some(token), None).await?.0.is_success())
    }
}

fn among(tokens: &Arc<Vec<String>>, conns: usize) -> Vec<MeAmong> {
    (0..conns).map(|i| MeAmong { tokens: tokens.clone(), next: i, stride: conns }).collect()
}

/// What a node with `n` distinct users, each with a live session, holds
/// once every one has called `GET /users/me`, and how fast it answers them
/// against 1k of them, in the same run.
pub struct ManySessions {
    pub n: usize,
    pub rss_before: f64,
    pub rss: f64,
    pub all: Stats,
    pub thousand: Stats,
}

pub async fn many_sessions(admin_url: &str, dir: &Path, n: usize, args: &Args) -> anyhow::Result<ManySessions> {
    let db_url = crate::testdb::create_postgres_database(admin_url).await?;
    std::fs::create_dir_all(dir)?;
    let node = spawn_authd(&db_url, dir, &dir.join("mail.log"), &[("AUTHD_JWT_SECRET", SECRET)])?;
    crate::scenarios::caught_up(&node.url).await?;
    crate::scenarios::seed(&db_url, n as u64).await?;
    let sessions = open_sessions(&db_url).await?;
    let tokens = Arc::new(sign(&sessions)?);
    let addr = addr_of(&node.url);
    let rss_before = rss_mib(node.pid()).0;
    // Every user once: the node reads each session and row and remembers it.
    let t = Instant::now();
    let conns = args.connections;
    let passes = tokens.len().div_ceil(conns);
    run_passes(&node, &tokens, conns, passes).await?;
    eprintln!("bench: {n} sessions remembered in {:.1} s", t.elapsed().as_secs_f64());
    let secs = crate::secs(args);
    let all = run(addr, among(&tokens, conns), secs).await?;
    let rss = rss_mib(node.pid()).0;
    let thousand = Arc::new(tokens[..tokens.len().min(1000)].to_vec());
    let thousand = run(addr, among(&thousand, conns), secs).await?;
    Ok(ManySessions { n, rss_before, rss, all, thousand })
}

/// `passes` requests on each of `conns` connections, each its own tokens.
async fn run_passes(node: &Served, tokens: &Arc<Vec<String>>, conns: usize, passes: usize) -> anyhow::Result<()> {
    let addr = addr_of(&node.url);
    let mut tasks = Vec::new();
    for mut step in among(tokens, conns) {
        let mut conn = Conn::open(addr).await?;
        tasks.push(tokio::spawn(async move {
            for _ in 0..passes {
                anyhow::ensure!(step.step(&mut conn).await?, "GET /users/me refused a seeded session");
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// One live session for every user of the database: (session, user).
async fn open_sessions(db_url: &str) -> anyhow::Result<Vec<(uuid::Uuid, uuid::Uuid)>> {
    use sea_orm::sqlx::Row;
    let db = infra::connect(db_url, 2).await?;
    let rows = sea_orm::sqlx::query(
        "INSERT INTO sessions (id, user_id, refresh_jti, created_at, expires_at, amr, auth_time, second_factor_due) \
         SELECT gen_random_uuid(), id, gen_random_uuid(), now(), now() + interval '1 day', 'pwd', now(), false \
         FROM users RETURNING id, user_id",
    )
    .fetch_all(db.pool().get_postgres_connection_pool())
    .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// An access token for each session, as authd would sign it.
fn sign(sessions: &[(uuid::Uuid, uuid::Uuid)]) -> anyhow::Result<Vec<String>> {
    let codec = infra::jwt::JwtCodec::hs256(SECRET.as_bytes(), "authd", "authd")?;
    let now = chrono::Utc::now();
    let assurance = Assurance::proved(Amr::password(), now);
    sessions
        .iter()
        .map(|&(sid, user)| {
            let claims = Claims::new(
                TokenKind::Access,
                UserId(user),
                sid,
                uuid::Uuid::new_v4(),
                now,
                now + chrono::Duration::minutes(15),
            )
            .assured(assurance);
            Ok(codec.encode(&claims)?)
        })
        .collect()
}
