//! PostgreSQL failover, as production runs it: `.ci/failover.sh` starts a
//! primary, a synchronous streaming standby and HAProxy in front of them,
//! and says how to act on them (`AUTHD_FAILOVER_ACT`). authd reaches the
//! database only through HAProxy. A write that lands on the read-only
//! standby is a 503; under load, the primary dies, the standby is promoted
//! and HAProxy moves: only 503s meanwhile (never a 500), and every
//! acknowledged registration is on the new primary.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::harness::{PASSWORD, Server, local_only};

/// Runs `.ci/failover.sh act WHAT`.
async fn act(command: &str, what: &str) {
    let mut words = command.split_whitespace();
    let program = words.next().unwrap();
    let out = tokio::process::Command::new(program).args(words).arg(what).output().await.unwrap();
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Registers a fresh user: the status, the error code, and the username when 201.
async fn register(s: &Server) -> (StatusCode, String, Option<String>) {
    let username = format!("fo-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let body = json!({"email": format!("{username}@example.com"), "username": username, "name": "F",
                      "lastname": "O", "password": PASSWORD, "is_2fa": false});
    let r = s.post("/users/registration", None, body).await;
    let code = r.body["code"].as_str().unwrap_or("").to_owned();
    let created = (r.status == StatusCode::CREATED).then_some(username);
    (r.status, code, created)
}

/// What the load saw: each answer's status and code, when (from the start),
/// and the registrations acknowledged.
#[derive(Default)]
struct Seen {
    answers: Vec<(Duration, StatusCode, String)>,
    acknowledged: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_under_load_answers_503_never_500_and_loses_no_acknowledged_write() {
    local_only!("fails over the database of a server it starts");
    let (Ok(url), Ok(standby), Ok(command)) = (
        std::env::var("AUTHD_FAILOVER_DATABASE_URL"),
        std::env::var("AUTHD_FAILOVER_STANDBY_URL"),
        std::env::var("AUTHD_FAILOVER_ACT"),
    ) else {
        println!("skipped: needs a primary, a standby and HAProxy (.ci/failover.sh sets them up)");
        return;
    };
    let s = Arc::new(
        Server::start_with(&[
            ("DATABASE_URL", &url),
            ("AUTHD_DB_ACQUIRE_TIMEOUT_MS", "1000"),
            ("AUTHD_DB_STATEMENT_TIMEOUT_MS", "2000"),
            ("AUTHD_RATE_TOKEN_PER_MINUTE", "0"),
            ("AUTHD_RATE_REGISTRATIONS_PER_HOUR", "0"),
            ("AUTHD_HASH_QUEUE_MAX_WAIT_MS", "0"),
        ])
        .await,
    );
    let user = s.register("failover", false).await;
    let pair = s.tokens(&user).await;

    // A proxy sent to the standby while the primary is up (a check that
    // lags, a DNS name not yet moved): reads work, writes are refused by
    // the standby (SQLSTATE 25006) and answered 503, never 500.
    act(&command, "to-standby").await;
    for _ in 0..3 {
        let (status, code, _) = register(&s).await;
        assert_eq!((status, code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"));
    }
    s.login(&user).await.problem(503, "database_unavailable");
    let read = s.me(pair["access_token"].as_str().unwrap()).await;
    assert!(read.status == StatusCode::OK || read.status == StatusCode::SERVICE_UNAVAILABLE, "{}", read.body);
    act(&command, "to-primary").await;
    let back = Instant::now();
    while register(&s).await.0 != StatusCode::CREATED {
        assert!(back.elapsed() < Duration::from_secs(10), "writes resume once HAProxy is back on the primary");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Load: registrations (a write each, acknowledged by 201) and logins
    // (a session written each) from 8 clients for 10 s; the primary dies
    // after 2 s.
    let started = Instant::now();
    let run_for = Duration::from_secs(10);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let workers: Vec<_> = (0..8)
        .map(|n| {
            let (s, seen, user) = (s.clone(), seen.clone(), user.clone());
            tokio::spawn(async move {
                while started.elapsed() < run_for {
                    let (status, code, created) = if n % 2 == 0 {
                        register(&s).await
                    } else {
                        let r = s.login(&user).await;
                        (r.status, r.body["code"].as_str().unwrap_or("").to_owned(), None)
                    };
                    let mut seen = seen.lock().unwrap();
                    seen.answers.push((started.elapsed(), status, code));
                    seen.acknowledged.extend(created);
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let failed_at = started.elapsed();
    act(&command, "fail-over").await;
    let moved_at = started.elapsed();
    for w in workers {
        w.await.unwrap();
    }
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();

    let mut by_answer = BTreeMap::new();
    for (_, status, code) in &seen.answers {
        *by_answer.entry(format!("{} {code}", status.as_u16())).or_insert(0) += 1;
    }
    let wrong: Vec<_> = by_answer
        .keys()
        .filter(|k| !(k.starts_with("200") || k.starts_with("201") || k.as_str() == "503 database_unavailable"))
        .collect();
    let unavailable: Vec<Duration> =
        seen.answers.iter().filter(|(_, status, _)| *status == StatusCode::SERVICE_UNAVAILABLE).map(|a| a.0).collect();
    let first_write_after =
        seen.answers.iter().find(|(at, status, _)| *at > moved_at && *status == StatusCode::CREATED).map(|a| a.0);

    // Every acknowledged registration is on the promoted standby.
    let db = infra::db::connect(&standby, 1).await.unwrap();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT username FROM users"))
        .await
        .unwrap();
    let there: HashSet<String> = rows.iter().map(|r| r.try_get::<String>("", "username").unwrap()).collect();
    let lost: Vec<_> = seen.acknowledged.iter().filter(|u| !there.contains(*u)).collect();

    println!(
        "failover figures: {} requests in {} s ({by_answer:?}); the primary stopped at {} ms, HAProxy on the promoted standby at {} ms; \
         503s from {} ms to {} ms ({} ms); first acknowledged write after the move at {} ms; \
         {} registrations acknowledged, {} lost; writes through a proxy on the read-only standby: 503 database_unavailable",
        seen.answers.len(),
        run_for.as_secs(),
        failed_at.as_millis(),
        moved_at.as_millis(),
        unavailable.first().map_or(0, |d| d.as_millis()),
        unavailable.last().map_or(0, |d| d.as_millis()),
        unavailable.last().zip(unavailable.first()).map_or(0, |(l, f)| (*l - *f).as_millis()),
        first_write_after.map_or(-1, |d| d.as_millis() as i64),
        seen.acknowledged.len(),
        lost.len(),
    );
    let errors: Vec<_> = s.log_lines().into_iter().filter(|l| l["level"] == "ERROR").collect();
    assert!(
        wrong.is_empty(),
        "only 2xx and 503 database_unavailable during a failover: {by_answer:?}; errors logged: {errors:#?}"
    );
    assert!(lost.is_empty(), "acknowledged registrations missing on the new primary: {lost:?}");
    assert!(first_write_after.is_some(), "writes resumed on the new primary within the run");
    assert!(!seen.acknowledged.is_empty());
}
