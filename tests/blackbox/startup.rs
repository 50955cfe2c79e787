//! Starting up: authd waits for a database that is not reachable yet (a
//! container started beside it), and gives up with a clear error after
//! AUTHD_DB_CONNECT_TIMEOUT.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::harness::local_only;
use crate::proxy::free_port;

/// authd on `database_url`, with its stdout lines on a channel.
fn spawn_authd(
    database_url: &str,
    timeout_s: &str,
) -> (std::process::Child, mpsc::Receiver<String>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("authd-start-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_authd"))
        .env_clear()
        .env("AUTHD_LISTEN", "127.0.0.1:0")
        .env("AUTHD_DATA_DIR", &dir)
        .env("AUTHD_LOG_FORMAT", "json")
        .env("DATABASE_URL", database_url)
        .env("AUTHD_DB_CONNECT_TIMEOUT", timeout_s)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx, dir)
}

/// The next line from `lines` that contains `text`, within `within`.
fn line_with(lines: &mpsc::Receiver<String>, text: &str, within: Duration) -> Option<String> {
    let deadline = std::time::Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return Some(line),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

// The proxy runs on the runtime while the test blocks reading authd's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authd_waits_for_a_database_that_comes_up_after_it_and_then_serves() {
    local_only!("starts authd itself on a database that appears late");
    // The same database behind a port that answers only later: a proxy to
    // the real server, started once authd has said it is waiting.
    let Some((real, mut proxy)) = crate::proxy::fresh_database_behind_proxy().await else {
        println!("skipped: needs a PostgreSQL server (AUTHD_TEST_DATABASE_URL); CI runs it there");
        return;
    };
    let (mut child, lines, dir) = spawn_authd(&proxy.url_for(&real), "60");
    let waiting = line_with(&lines, "not reachable yet", Duration::from_secs(20));
    assert!(waiting.is_some(), "authd logs that it waits for the database");
    assert!(line_with(&lines, "not reachable yet", Duration::from_secs(5)).is_some(), "and logs each wait");
    assert!(child.try_wait().unwrap().is_none(), "authd is still waiting, not gone");
    proxy.up().await;
    let listening = line_with(&lines, "listening on http://", Duration::from_secs(30))
        .expect("authd starts once the database is up");
    let at = listening.find("http://").unwrap();
    let base: String = listening[at..].chars().take_while(|c| !c.is_whitespace() && *c != '"').collect();
    let ready = reqwest::get(format!("{base}/health/ready")).await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn authd_gives_up_on_a_database_that_stays_unreachable_and_names_the_setting() {
    local_only!("starts authd itself on an unreachable database");
    let url = format!("postgres://authd:authd@127.0.0.1:{}/authd", free_port());
    let (child, lines, dir) = spawn_authd(&url, "2");
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "authd exits with an error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AUTHD_DB_CONNECT_TIMEOUT=2 s") && stderr.contains("not reachable within 2 s"), "{stderr}");
    let waits = lines.try_iter().filter(|l| l.contains("not reachable yet")).count();
    assert!(waits >= 2, "each wait is logged ({waits})");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_refused_password_is_not_waited_for() {
    local_only!("starts authd itself with a wrong password");
    let Ok(admin) = std::env::var(crate::testdb::POSTGRES_ENV) else {
        println!("skipped: needs a PostgreSQL server (AUTHD_TEST_DATABASE_URL); CI runs it there");
        return;
    };
    let (_, rest) = admin.split_once('@').unwrap();
    let url = format!("postgres://no_such_role:wrong@{rest}");
    let (child, lines, dir) = spawn_authd(&url, "60");
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_role"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines.try_iter().filter(|l| l.contains("not reachable yet")).count(), 0, "no wait for a refusal");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn authd_health_exits_0_for_a_ready_server_and_1_when_none_answers() {
    local_only!("runs the authd CLI beside a server it started");
    let s = crate::harness::Server::start().await;
    let address = s.base.trim_start_matches("http://").to_owned();
    let ok = s.cli(&["health", "--address", &address], "");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let nobody = format!("127.0.0.1:{}", free_port());
    let down = s.cli(&["health", "--address", &nobody], "");
    assert_eq!(down.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("/health/ready"),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
}

#[tokio::test]
async fn the_data_dir_is_owner_only_and_every_file_authd_writes_in_it_is_0600() {
    use std::os::unix::fs::PermissionsExt;
    local_only!("reads the files of a server it starts");
    let root = std::env::temp_dir().join(format!("authd-files-{}", uuid::Uuid::new_v4().simple()));
    let data = root.join("data");
    let mail_log = data.join("mail.log");
    let server = crate::harness::Server::start_with(&[
        ("AUTHD_DATA_DIR", data.to_str().unwrap()),
        ("AUTHD_MAIL_LOG", mail_log.to_str().unwrap()),
    ])
    .await;
    let user = server.register("ada", true).await;
    server.login(&user).await.ok(200);
    // The code goes out through the outbox: wait until the mail is written.
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while !mail_log.exists() {
        assert!(std::time::Instant::now() < until, "no mail was written to {}", mail_log.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data dir");
    let mut names: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            assert_eq!(mode(&e.path()), 0o600, "{}", e.path().display());
            e.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    let mut expected = vec!["jwt_secret", "mail.log"];
    if std::env::var_os(crate::testdb::POSTGRES_ENV).is_none() {
        // SQLite in WAL mode: the database and both of its side files.
        expected.extend(["authd.db", "authd.db-shm", "authd.db-wal"]);
        expected.sort();
    }
    assert_eq!(names, expected);
    drop(server);
    std::fs::remove_dir_all(root).ok();
}
