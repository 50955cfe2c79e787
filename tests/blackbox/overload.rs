//! Overload: logins beyond what password hashing can serve in time are
//! answered at once, not queued without end.

use serde_json::json;

use crate::harness::{Server, local_only, token};

#[tokio::test]
async fn a_login_storm_past_the_hash_queue_limit_is_shed_with_503_and_token_checks_keep_working() {
    local_only!("needs one hashing thread and a 1 ms queue limit");
    let s = Server::start_with(&[
        ("AUTHD_HASH_CONCURRENCY", "1"),
        ("AUTHD_HASH_QUEUE_MAX_WAIT_MS", "1"),
        ("AUTHD_RATE_TOKEN_PER_MINUTE", "0"),
    ])
    .await;
    let user = s.register("storm", false).await;
    let access = token(&s.tokens(&user).await, "access_token");
    let login = json!({ "username": user.username, "password": user.password });

    let storm = futures::future::join_all((0..24).map(|_| s.post("/auth/token", None, login.clone())));
    let checks = futures::future::join_all((0..8).map(|_| s.post("/auth/verify-token", Some(&access), json!({}))));
    let (storm, checks) = tokio::join!(storm, checks);

    let shed: Vec<_> = storm.iter().filter(|r| r.status == 503).collect();
    let served = storm.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        shed.len() + served,
        storm.len(),
        "only 200 or 503: {:?}",
        storm.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(served >= 1, "the first login found the thread free");
    assert!(!shed.is_empty(), "24 logins at once on one hashing thread with a 1 ms limit: none was shed");
    for r in shed {
        r.problem(503, "overloaded");
        assert!(r.header("retry-after").and_then(|v| v.parse::<u64>().ok()).is_some_and(|v| v >= 1), "{r:?}");
    }
    for c in checks {
        c.ok(200);
    }
    s.post("/auth/token", None, login).await.ok(200); // the queue drained: served again
}
