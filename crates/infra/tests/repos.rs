//! The SQL adapters keep the ports' contracts on every backend: SQLite always,
//! PostgreSQL too when AUTHD_TEST_DATABASE_URL names a server.

use chrono::{Duration, Utc};
use domain::otp::{Method, OtpChallenge};
use domain::ports::{OtpRepo, Session, SessionRepo, UserRepo};
use domain::user::{Email, LoginName, NewUser, PersonName, ProfilePatch, UserId, UserQuery, Username};
use infra::db::Database;
use infra::otps::SeaOtpRepo;
use infra::sessions::SeaSessionRepo;
use infra::testdb::databases;
use infra::users::SeaUserRepo;
use uuid::Uuid;

fn new_user(name: &str) -> NewUser {
    NewUser {
        id: UserId(Uuid::now_v7()),
        email: Email::parse(&format!("{name}@example.com")).unwrap(),
        username: Username::parse(name).unwrap(),
        name: PersonName::parse("name", "Test").unwrap(),
        lastname: PersonName::parse("lastname", "User").unwrap(),
        password_hash: "$argon2id$fake".into(),
        is_admin: false,
        is_2fa: false,
        created_at: Utc::now(),
    }
}

async fn user(db: &Database, name: &str) -> UserId {
    SeaUserRepo::new(db.clone()).insert(&new_user(name)).await.unwrap().id
}

fn session(user: UserId) -> Session {
    let now = Utc::now();
    Session {
        id: Uuid::now_v7(),
        user_id: user,
        refresh_jti: Uuid::new_v4(),
        created_at: now,
        expires_at: now + Duration::days(30),
        revoked_at: None,
    }
}

fn challenge(user: UserId) -> OtpChallenge {
    let now = Utc::now();
    OtpChallenge {
        id: Uuid::new_v4(),
        user_id: user,
        method: Method::Email,
        code_hash: vec![7; 32],
        attempts: 0,
        resends: 0,
        created_at: now,
        last_sent_at: now,
        expires_at: now + Duration::minutes(4),
        used_at: None,
    }
}

#[tokio::test]
async fn user_round_trips_and_is_found_by_email_or_username() {
    for (backend, db) in databases().await {
        let repo = SeaUserRepo::new(db);
        let created = repo.insert(&new_user("ada")).await.unwrap();
        let by_email = repo.by_login(&LoginName::parse("ADA@example.com").unwrap()).await.unwrap().unwrap();
        let by_name = repo.by_login(&LoginName::parse("ada").unwrap()).await.unwrap().unwrap();
        assert_eq!(by_email.user, created, "{backend}");
        assert_eq!(by_name.user.id, created.id, "{backend}");
        assert_eq!(by_email.password_hash, "$argon2id$fake");
        assert!(repo.by_login(&LoginName::parse("nobody").unwrap()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn unique_indexes_turn_duplicates_into_email_taken_and_username_taken() {
    for (backend, db) in databases().await {
        let repo = SeaUserRepo::new(db);
        repo.insert(&new_user("ada")).await.unwrap();
        let mut same_email = new_user("other");
        same_email.email = Email::parse("ada@example.com").unwrap();
        assert!(matches!(repo.insert(&same_email).await, Err(domain::Error::EmailTaken)), "{backend}");
        let mut same_name = new_user("ada");
        same_name.email = Email::parse("fresh@example.com").unwrap();
        assert!(matches!(repo.insert(&same_name).await, Err(domain::Error::UsernameTaken)), "{backend}");
        let bob = repo.insert(&new_user("bob")).await.unwrap();
        let patch = ProfilePatch { username: Some(Username::parse("ada").unwrap()), ..Default::default() };
        assert!(
            matches!(repo.update_profile(bob.id, &patch, Utc::now()).await, Err(domain::Error::UsernameTaken)),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn refresh_rotation_has_exactly_one_winner_among_fifty_concurrent_calls() {
    for (backend, db) in databases().await {
        let uid = user(&db, "ada").await;
        let repo = SeaSessionRepo::new(db);
        let s = session(uid);
        repo.create(&s).await.unwrap();
        let calls = (0..50).map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move {
                repo.rotate(s.id, s.refresh_jti, Uuid::new_v4(), Utc::now(), Utc::now() + Duration::days(1))
                    .await
                    .unwrap()
            })
        });
        let mut wins = 0;
        for c in calls {
            wins += c.await.unwrap() as usize;
        }
        assert_eq!(wins, 1, "{backend}");
    }
}

#[tokio::test]
async fn revoked_or_expired_session_is_inactive_and_cannot_rotate() {
    for (backend, db) in databases().await {
        let uid = user(&db, "ada").await;
        let repo = SeaSessionRepo::new(db);
        let (a, b, c) = (session(uid), session(uid), session(uid));
        for s in [&a, &b, &c] {
            repo.create(s).await.unwrap();
        }
        let now = Utc::now();
        assert!(repo.is_active(a.id, uid, now).await.unwrap(), "{backend}");
        assert!(!repo.is_active(a.id, UserId(Uuid::new_v4()), now).await.unwrap(), "{backend}: another user's session");
        assert!(!repo.is_active(a.id, uid, a.expires_at).await.unwrap(), "{backend}: expired");
        repo.revoke(a.id, now).await.unwrap();
        assert!(!repo.is_active(a.id, uid, now).await.unwrap());
        assert!(!repo.rotate(a.id, a.refresh_jti, Uuid::new_v4(), now, now + Duration::days(1)).await.unwrap());
        assert_eq!(repo.revoke_all(uid, Some(b.id), now).await.unwrap(), 1, "{backend}: only c");
        assert!(repo.is_active(b.id, uid, now).await.unwrap());
        assert!(!repo.is_active(c.id, uid, now).await.unwrap());
    }
}

#[tokio::test]
async fn otp_consume_has_exactly_one_winner_among_fifty_concurrent_calls() {
    for (backend, db) in databases().await {
        let uid = user(&db, "ada").await;
        let repo = SeaOtpRepo::new(db);
        let c = challenge(uid);
        repo.create(&c).await.unwrap();
        let calls = (0..50).map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move { repo.consume(c.id, Utc::now(), 5).await.unwrap() })
        });
        let mut wins = 0;
        for call in calls {
            wins += call.await.unwrap() as usize;
        }
        assert_eq!(wins, 1, "{backend}");
        assert!(repo.get(c.id).await.unwrap().unwrap().used_at.is_some());
    }
}

#[tokio::test]
async fn otp_failures_stop_counting_at_the_limit_under_concurrency() {
    for (backend, db) in databases().await {
        let uid = user(&db, "ada").await;
        let repo = SeaOtpRepo::new(db);
        let c = challenge(uid);
        repo.create(&c).await.unwrap();
        let calls = (0..30).map(|_| {
            let repo = repo.clone();
            tokio::spawn(async move { repo.record_failure(c.id, 5).await.unwrap() })
        });
        let mut counted = 0;
        for call in calls {
            counted += call.await.unwrap() as usize;
        }
        assert_eq!(counted, 5, "{backend}");
        assert_eq!(repo.get(c.id).await.unwrap().unwrap().attempts, 5);
        assert!(!repo.consume(c.id, Utc::now(), 5).await.unwrap(), "{backend}: a locked challenge cannot be used");
    }
}

#[tokio::test]
async fn otp_code_replacement_keeps_cooldown_and_resend_limit() {
    for (backend, db) in databases().await {
        let uid = user(&db, "ada").await;
        let repo = SeaOtpRepo::new(db);
        let c = challenge(uid);
        repo.create(&c).await.unwrap();
        let t0 = c.last_sent_at;
        let at = |s: i64| t0 + Duration::seconds(s);
        assert!(!repo.replace_code(c.id, &[1; 32], at(10), at(-20), 5, 3).await.unwrap(), "{backend}: within cooldown");
        for i in 1..=3 {
            let now = at(30 * i);
            assert!(
                repo.replace_code(c.id, &[i as u8; 32], now, now - Duration::seconds(30), 5, 3).await.unwrap(),
                "{backend}: resend {i}"
            );
        }
        let now = at(150);
        assert!(
            !repo.replace_code(c.id, &[9; 32], now, now - Duration::seconds(30), 5, 3).await.unwrap(),
            "{backend}: fourth resend"
        );
        let stored = repo.get(c.id).await.unwrap().unwrap();
        assert_eq!((stored.resends, stored.code_hash), (3, vec![3; 32]));
    }
}

#[tokio::test]
async fn deleting_a_user_deletes_their_sessions_and_challenges() {
    for (backend, db) in databases().await {
        let uid = user(&db, "ada").await;
        let sessions = SeaSessionRepo::new(db.clone());
        let otps = SeaOtpRepo::new(db.clone());
        let (s, c) = (session(uid), challenge(uid));
        sessions.create(&s).await.unwrap();
        otps.create(&c).await.unwrap();
        assert!(SeaUserRepo::new(db.clone()).delete(uid).await.unwrap());
        assert!(sessions.get(s.id).await.unwrap().is_none(), "{backend}");
        assert!(otps.get(c.id).await.unwrap().is_none(), "{backend}");
    }
}

#[tokio::test]
async fn migrations_roll_back_and_reapply() {
    use migration::{Migrator, MigratorTrait};
    for (backend, db) in databases().await {
        Migrator::down(&db, None).await.unwrap_or_else(|e| panic!("{backend}: down: {e}"));
        assert!(SeaUserRepo::new(db.clone()).by_id(UserId(Uuid::new_v4())).await.is_err(), "{backend}: tables gone");
        Migrator::up(&db, None).await.unwrap();
        user(&db, "ada").await;
    }
}

async fn admin(db: &Database, name: &str) -> UserId {
    let mut u = new_user(name);
    u.is_admin = true;
    SeaUserRepo::new(db.clone()).insert(&u).await.unwrap().id
}

fn demote() -> ProfilePatch {
    ProfilePatch { is_admin: Some(false), ..Default::default() }
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_deactivated_or_deleted() {
    for (backend, db) in databases().await {
        let repo = SeaUserRepo::new(db.clone());
        let root = admin(&db, "root").await;
        let deactivate = ProfilePatch { is_active: Some(false), ..Default::default() };
        assert!(
            matches!(repo.update_profile(root, &demote(), Utc::now()).await, Err(domain::Error::LastAdmin)),
            "{backend}"
        );
        assert!(
            matches!(repo.update_profile(root, &deactivate, Utc::now()).await, Err(domain::Error::LastAdmin)),
            "{backend}"
        );
        assert!(matches!(repo.delete(root).await, Err(domain::Error::LastAdmin)), "{backend}");
        assert!(repo.by_id(root).await.unwrap().unwrap().user.is_admin);
        let plain = user(&db, "plain").await;
        assert!(repo.delete(plain).await.unwrap(), "{backend}: deleting a non-admin is unaffected");
        assert!(!repo.delete(plain).await.unwrap(), "{backend}: gone");
        assert!(
            repo.update_profile(plain, &demote(), Utc::now()).await.unwrap().is_none(),
            "{backend}: missing is None"
        );
        let deputy = admin(&db, "deputy").await;
        assert!(
            repo.update_profile(root, &demote(), Utc::now()).await.unwrap().is_some(),
            "{backend}: two admins, one may go"
        );
        assert!(matches!(repo.delete(deputy).await, Err(domain::Error::LastAdmin)), "{backend}");
    }
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    for round in 0..8 {
        for (backend, db) in databases().await {
            let repo = SeaUserRepo::new(db.clone());
            let (a, b) = (admin(&db, "adm-a").await, admin(&db, "adm-b").await);
            let d = demote();
            let (ra, rb) = tokio::join!(repo.update_profile(a, &d, Utc::now()), repo.update_profile(b, &d, Utc::now()));
            let wins = [ra.is_ok(), rb.is_ok()].iter().filter(|&&ok| ok).count();
            assert_eq!(wins, 1, "{backend} round {round}: {ra:?} {rb:?}");
            assert!(matches!(ra.err().or(rb.err()), Some(domain::Error::LastAdmin)));
            assert!(repo.any_active_admin().await.unwrap(), "{backend} round {round}");
        }
    }
}

#[tokio::test]
async fn user_list_is_a_keyset_in_id_order_with_filters_and_literal_search() {
    for (backend, db) in databases().await {
        let repo = SeaUserRepo::new(db.clone());
        let mut ids = Vec::new();
        for name in ["alpha", "beta", "gamma_x", "delta", "epsilon"] {
            ids.push(user(&db, name).await);
        }
        let percent = ProfilePatch { name: Some(PersonName::parse("name", "Del%ta").unwrap()), ..Default::default() };
        repo.update_profile(ids[3], &percent, Utc::now()).await.unwrap();
        ids.sort();
        let q = |search: Option<&str>, after: Option<UserId>, limit: u32| UserQuery {
            search: search.map(str::to_owned),
            after,
            limit,
            ..Default::default()
        };
        let first = repo.list(&q(None, None, 2)).await.unwrap();
        let rest = repo.list(&q(None, Some(first[1].id), 10)).await.unwrap();
        let walked: Vec<UserId> = first.iter().chain(&rest).map(|u| u.id).collect();
        assert_eq!(walked, ids, "{backend}");
        let names = |us: Vec<domain::user::User>| us.into_iter().map(|u| u.username).collect::<Vec<_>>();
        assert_eq!(names(repo.list(&q(Some("eta"), None, 10)).await.unwrap()), ["beta"], "{backend}");
        assert_eq!(names(repo.list(&q(Some("_x"), None, 10)).await.unwrap()), ["gamma_x"], "{backend}: _ is literal");
        assert_eq!(names(repo.list(&q(Some("%"), None, 10)).await.unwrap()), ["delta"], "{backend}: % is literal");
        assert_eq!(repo.list(&q(Some("example.com"), None, 10)).await.unwrap().len(), 5, "{backend}: email matches");
        let admins = UserQuery { is_admin: Some(true), limit: 10, ..Default::default() };
        assert!(repo.list(&admins).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn audit_events_come_back_newest_first_in_keyset_pages() {
    use domain::audit::{AuditEvent, EventKind};
    use domain::ports::AuditLog;
    for (backend, db) in databases().await {
        let log = infra::audit::SeaAuditLog::new(db.clone());
        let (who, other) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
        let mut ids = Vec::new();
        for (i, kind) in EventKind::ALL.iter().take(7).enumerate() {
            let id = Uuid::now_v7();
            ids.push(id);
            let detail = [("n".to_owned(), i.to_string())].into_iter().collect();
            log.record(&AuditEvent { id, at: Utc::now(), user_id: who, actor_id: Some(other), kind: *kind, detail })
                .await
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        ids.reverse();
        let page = log.list(who, None, 4).await.unwrap();
        let rest = log.list(who, Some(page[3].id), 10).await.unwrap();
        let walked: Vec<Uuid> = page.iter().chain(&rest).map(|e| e.id).collect();
        assert_eq!(walked, ids, "{backend}");
        assert_eq!(page[0].detail["n"], "6");
        assert_eq!(page[0].actor_id, Some(other));
        assert!(log.list(other, None, 10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn concurrent_failures_are_each_counted_once() {
    use domain::ports::ThrottleStore;
    for (backend, db) in databases().await {
        let store = infra::throttle::SqlThrottleStore::new(db);
        let calls = (0..40).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.add_failure("acct:x", Utc::now()).await.unwrap() })
        });
        let mut counts = Vec::new();
        for c in calls {
            counts.push(c.await.unwrap());
        }
        counts.sort();
        assert_eq!(counts, (1..=40).collect::<Vec<u32>>(), "{backend}");
        store.clear("acct:x").await.unwrap();
        assert_eq!(store.add_failure("acct:x", Utc::now()).await.unwrap(), 1, "{backend}: cleared");
    }
}

#[tokio::test]
async fn locks_only_grow_and_expire_by_time() {
    use domain::ports::ThrottleStore;
    for (backend, db) in databases().await {
        let store = infra::throttle::SqlThrottleStore::new(db);
        let now = Utc::now();
        store.add_failure("k", now).await.unwrap();
        assert!(store.locked_until("k", now).await.unwrap().is_none());
        store.lock("k", now + Duration::seconds(60)).await.unwrap();
        store.lock("k", now + Duration::seconds(15)).await.unwrap();
        let until = store.locked_until("k", now).await.unwrap().expect("locked");
        assert!(
            (until - (now + Duration::seconds(60))).num_milliseconds().abs() < 2,
            "{backend}: the longer lock stays"
        );
        assert!(store.locked_until("k", now + Duration::seconds(61)).await.unwrap().is_none(), "{backend}: expired");
        assert_eq!(store.purge(now + Duration::days(2), now + Duration::seconds(61)).await.unwrap(), 1, "{backend}");
    }
}

#[tokio::test]
async fn rate_windows_count_concurrent_hits_and_restart_when_over() {
    use domain::ports::ThrottleStore;
    for (backend, db) in databases().await {
        let store = infra::throttle::SqlThrottleStore::new(db);
        let t0 = Utc::now();
        let window = std::time::Duration::from_secs(60);
        let calls = (0..30).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.hit("ip:token:192.0.2.1", t0, window).await.unwrap().hits })
        });
        let mut hits = Vec::new();
        for c in calls {
            hits.push(c.await.unwrap());
        }
        hits.sort();
        assert_eq!(hits, (1..=30).collect::<Vec<u32>>(), "{backend}");
        let later = store.hit("ip:token:192.0.2.1", t0 + Duration::seconds(59), window).await.unwrap();
        assert_eq!(later.hits, 31, "{backend}: same window");
        let next = store.hit("ip:token:192.0.2.1", t0 + Duration::seconds(60), window).await.unwrap();
        assert_eq!(next.hits, 1, "{backend}: a new window");
        assert!((next.started - (t0 + Duration::seconds(60))).num_milliseconds().abs() < 2);
    }
}

#[tokio::test]
async fn a_session_is_created_only_for_an_existing_active_user() {
    for (backend, db) in databases().await {
        let users = SeaUserRepo::new(db.clone());
        let repo = SeaSessionRepo::new(db.clone());
        let uid = user(&db, "ada").await;
        assert!(repo.create(&session(uid)).await.unwrap(), "{backend}: active");
        let off = ProfilePatch { is_active: Some(false), ..Default::default() };
        users.update_profile(uid, &off, Utc::now()).await.unwrap();
        let refused = session(uid);
        assert!(!repo.create(&refused).await.unwrap(), "{backend}: inactive");
        assert!(repo.get(refused.id).await.unwrap().is_none(), "{backend}: nothing inserted");
        assert!(!repo.create(&session(UserId(Uuid::new_v4()))).await.unwrap(), "{backend}: no such user");
    }
}
