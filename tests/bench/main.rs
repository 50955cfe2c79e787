//! authd's benchmark: `cargo bench -p api --bench load -- [options]`.
//!
//! Builds authd in release mode (cargo does, for this target), starts it on a
//! PostgreSQL of its own (or a fresh database on `--database-url`), seeds
//! users in bulk, drives each scenario over loopback and prints one table,
//! with two ceilings measured in the same run: a bare poem handler (HTTP) and
//! argon2id hashes/s with authd's parameters on all cores (login); and the
//! token codec's signing and verification rates, HS256 against EdDSA.
//!
//! Options: `--users N` (default 1000), `--seconds S` per scenario (10),
//! `--connections C` (32), `--database-url URL` (a server the bench may create
//! a database on), `--quick` (1 s per scenario, for CI), `--write-docs`
//! (regenerate docs/benchmarks.md), `--sessions N` (distinct users with a session for the memory
//! figures), `--ceilings-only` (the bare handler,
//! verify-token, GET /users/me, the admin list page and GET /users/me among
//! many users alone), `--bare-server` (internal).

mod codecs;
use test_support::listen;
mod load;
mod memory;
mod postgres;
mod scenarios;
use test_support::testdb;

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

#[derive(Parser, Clone)]
pub struct Args {
    #[arg(long, default_value_t = 1000)]
    pub users: u64,
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    #[arg(long)]
    pub database_url: Option<String>,
    #[arg(long)]
    pub quick: bool,
    #[arg(long)]
    pub write_docs: bool,
    /// Only the bare handler, verify-token, GET /users/me, the admin list
    /// page and GET /users/me among `--sessions` users: the speed targets,
    /// quickly (for profiling; never with --write-docs).
    #[arg(long, conflicts_with = "write_docs")]
    pub ceilings_only: bool,
    /// Distinct users, each with a session, for the memory figures
    /// (default 300 000; 10 000 with --quick).
    #[arg(long)]
    pub sessions: Option<usize>,
    #[arg(long, hide = true)]
    pub bare_server: bool,
    /// cargo passes --bench to bench targets.
    #[arg(long, hide = true)]
    pub bench: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.bare_server {
        return scenarios::bare_server();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(scenarios::run_all(args))
}

/// The line the table is printed under, and what docs/benchmarks.md keeps.
pub struct Row {
    pub name: String,
    pub connections: usize,
    pub stats: Option<load::Stats>,
    pub note: String,
}

pub fn render(rows: &[Row], extra: &[(String, String)]) -> String {
    let mut out =
        String::from("| scenario | conns | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|\n");
    for r in rows {
        match &r.stats {
            Some(s) if !r.note.is_empty() => {
                out += &format!(
                    "| {} | {} | {} | {:.2} | {:.2} | {} |\n",
                    r.name,
                    r.connections,
                    r.note,
                    s.p(0.50),
                    s.p(0.99),
                    s.errors
                )
            }
            Some(s) => {
                out += &format!(
                    "| {} | {} | {:.0} | {:.2} | {:.2} | {} |\n",
                    r.name,
                    r.connections,
                    s.rate(),
                    s.p(0.50),
                    s.p(0.99),
                    s.errors
                )
            }
            None => out += &format!("| {} | {} | {} | | | |\n", r.name, r.connections, r.note),
        }
    }
    out += "\n";
    for (k, v) in extra {
        out += &format!("- {k}: {v}\n");
    }
    out
}

pub fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().expect("authd prints host:port")
}

impl Args {
    pub fn many_sessions(&self) -> usize {
        self.sessions.unwrap_or(if self.quick { 10_000 } else { 300_000 })
    }
}

pub fn secs(args: &Args) -> Duration {
    Duration::from_secs(if args.quick { 1 } else { args.seconds })
}
