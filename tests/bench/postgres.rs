//! A throwaway PostgreSQL for the benchmark: initdb in a temp dir, started as
//! an unprivileged user on 127.0.0.1, stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Postgres {
    pub url: String,
    dir: PathBuf,
    bin: PathBuf,
    user: Option<String>,
}

fn find_bin() -> anyhow::Result<PathBuf> {
    let mut candidates: Vec<PathBuf> =
        std::env::var("PATH").unwrap_or_default().split(':').map(PathBuf::from).collect();
    if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
        candidates.extend(dirs.flatten().map(|d| d.path().join("bin")));
    }
    candidates
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .ok_or_else(|| anyhow::anyhow!("no initdb/pg_ctl found: install Debian's postgresql, or pass --database-url"))
}

fn run(user: Option<&str>, program: &Path, args: &[&str]) -> anyhow::Result<()> {
    let mut cmd = match user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    let out = cmd.args(args).output()?;
    anyhow::ensure!(out.status.success(), "{} failed: {}", program.display(), String::from_utf8_lossy(&out.stderr));
    Ok(())
}

impl Postgres {
    pub fn start() -> anyhow::Result<Self> {
        let bin = find_bin()?;
        let dir = std::env::temp_dir().join(format!("authd-bench-pg-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        // initdb refuses root: run the server as `postgres` then.
        let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
        let user = is_root.then(|| "postgres".to_owned());
        if let Some(u) = &user {
            Command::new("chown").arg(u).arg(&dir).status()?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let data = dir.join("data");
        let (data_s, dir_s) = (data.to_str().unwrap(), dir.to_str().unwrap());
        run(user.as_deref(), &bin.join("initdb"), &["-D", data_s, "-A", "trust", "-U", "postgres", "--no-sync"])?;
        let opts = format!("-h 127.0.0.1 -p {port} -k {dir_s} -c max_connections=200 -c shared_buffers=256MB");
        let log = dir.join("server.log");
        run(
            user.as_deref(),
            &bin.join("pg_ctl"),
            &["-D", data_s, "-l", log.to_str().unwrap(), "-w", "-t", "60", "-o", &opts, "start"],
        )?;
        Ok(Self { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), dir, bin, user })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = run(
            self.user.as_deref(),
            &self.bin.join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
