//! Data lifecycle: finished sessions and codes are purged by the server on
//! its own; the tables return to their size after a burst.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Server, local_only, token};

#[tokio::test]
async fn after_a_burst_of_logins_the_session_and_code_tables_return_to_their_size() {
    local_only!("needs 1-second lifetimes and a fast purge");
    let s = Server::start_with(&[
        ("AUTHD_ACCESS_TTL", "1"),
        ("AUTHD_REFRESH_TTL", "2"),
        ("AUTHD_TEMP_TTL", "1"),
        ("AUTHD_EMAIL_VERIFICATION_TTL", "1"),
        ("AUTHD_PURGE_INTERVAL_MS", "200"),
    ])
    .await;
    let tables = ["sessions", "otp_challenges"];
    let sizes = || async { futures::future::join_all(tables.map(|t| s.count_rows(t))).await };
    let before = sizes().await;

    let plain = [s.register("ada", false).await, s.register("bob", false).await];
    let two_fa = [s.register("cy", true).await, s.register("di", true).await];
    for _ in 0..10 {
        for u in &plain {
            let pair = s.tokens(u).await;
            if u.username.starts_with("bob") {
                s.post("/auth/logout", Some(&token(&pair, "access_token")), json!({})).await;
            }
        }
        for u in &two_fa {
            s.temporary(u).await;
        }
    }
    let during = sizes().await;
    // The purge runs during the burst too: logged-out sessions may already be gone.
    assert!(during[0] > before[0] && during[1] > before[1], "the burst left rows: {during:?}");

    let burst_over = Instant::now();
    let deadline = burst_over + Duration::from_secs(20);
    loop {
        let now = sizes().await;
        if now == before {
            println!("{tables:?}: {during:?} rows after the burst, back to {now:?} {:?} later", burst_over.elapsed());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {now:?} rows in {tables:?} after 20 s (before the burst: {before:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
