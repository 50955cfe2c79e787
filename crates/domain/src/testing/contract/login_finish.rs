//! The contract of [`LoginFinisher`](crate::ports::LoginFinisher): the
//! writes of a finished two-factor login happen together or not at all.

use uuid::Uuid;

use super::{Store, at, challenge, session};
use crate::audit::{AuditEvent, EventKind};
use crate::otp::{Finished, FinishedLogin, MAX_ATTEMPTS};
use crate::subject::Subject;
use crate::user::{ProfilePatch, UserId};

const KEY: &str = "user:finish";

fn event(user: UserId, kind: EventKind) -> AuditEvent {
    AuditEvent {
        id: Uuid::now_v7(),
        at: at(5),
        subject: Subject::User(user),
        actor_id: None,
        kind,
        detail: Default::default(),
    }
}

/// A login of `user` answering `challenge`, finished at `at(5)`.
fn finished(user: UserId, challenge: Uuid) -> FinishedLogin {
    FinishedLogin {
        challenge,
        max_attempts: MAX_ATTEMPTS,
        now: at(5),
        session: session(user),
        throttle_key: KEY.into(),
        events: vec![event(user, EventKind::OtpVerified), event(user, EventKind::LoginSucceeded)],
    }
}

/// Three failures on [`KEY`]; the next `add_failure` says whether they were cleared.
async fn three_failures(s: &Store) {
    for _ in 0..3 {
        s.throttle.add_failure(KEY, at(1)).await.unwrap();
    }
}

/// Asserts that `login` left nothing behind: challenge unused, no session,
/// the failure count kept, no events but `before` of them.
async fn nothing_written(s: &Store, login: &FinishedLogin, before: usize, what: &str) {
    let n = s.name;
    let c = s.otps.get(login.challenge).await.unwrap().unwrap();
    assert_eq!(c.used_at, None, "{n}: {what}: the challenge is not used");
    assert!(s.sessions.get(login.session.id).await.unwrap().is_none(), "{n}: {what}: no session");
    assert_eq!(s.throttle.add_failure(KEY, at(6)).await.unwrap(), 4, "{n}: {what}: the failure count is kept");
    let events = s.audit.list(Subject::User(login.session.user_id), None, 10).await.unwrap();
    assert_eq!(events.len(), before, "{n}: {what}: no events");
}

pub async fn a_finished_login_uses_the_challenge_opens_the_session_clears_the_count_and_records_the_events(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let c = challenge(ada);
    s.otps.create(&c, None).await.unwrap();
    three_failures(&s).await;
    let login = finished(ada, c.id);
    assert_eq!(s.finisher.finish(&login).await.unwrap(), Finished::Done, "{n}");
    assert_eq!(s.otps.get(c.id).await.unwrap().unwrap().used_at, Some(at(5)), "{n}: the challenge is used");
    assert!(s.sessions.is_active(login.session.id, ada, at(6)).await.unwrap(), "{n}: the session is open");
    assert_eq!(s.throttle.add_failure(KEY, at(6)).await.unwrap(), 1, "{n}: the failure count is cleared");
    let kinds: Vec<EventKind> =
        s.audit.list(Subject::User(ada), None, 10).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::LoginSucceeded, EventKind::OtpVerified], "{n}: both events, newest first");
    let again = FinishedLogin { session: session(ada), ..login };
    assert_eq!(s.finisher.finish(&again).await.unwrap(), Finished::ChallengeClosed, "{n}: used once");
}

pub async fn a_closed_challenge_or_an_inactive_user_writes_nothing(s: Store) {
    let ada = s.user(1, "ada").await;
    three_failures(&s).await;
    let expired = challenge(ada);
    s.otps.create(&expired, None).await.unwrap();
    let late = FinishedLogin { now: expired.expires_at, ..finished(ada, expired.id) };
    assert_eq!(s.finisher.finish(&late).await.unwrap(), Finished::ChallengeClosed, "{}: expired", s.name);
    nothing_written(&s, &late, 0, "expired").await;

    s.throttle.clear(KEY).await.unwrap();
    three_failures(&s).await;
    let c = challenge(ada);
    s.otps.create(&c, None).await.unwrap();
    s.users.update_profile(ada, &ProfilePatch { is_active: Some(false), ..Default::default() }, at(2)).await.unwrap();
    let login = finished(ada, c.id);
    assert_eq!(s.finisher.finish(&login).await.unwrap(), Finished::UserInactive, "{}: deactivated", s.name);
    nothing_written(&s, &login, 0, "deactivated").await;
}

pub async fn a_write_failing_part_way_rolls_back_the_writes_before_it(s: Store) {
    let ada = s.user(1, "ada").await;
    let c = challenge(ada);
    s.otps.create(&c, None).await.unwrap();
    three_failures(&s).await;
    let earlier = event(ada, EventKind::LoginFailed);
    s.audit.record(&earlier).await.unwrap();
    // The last write of the transaction fails: its event's id is taken.
    let mut login = finished(ada, c.id);
    login.events.push(earlier.clone());
    assert!(s.finisher.finish(&login).await.is_err(), "{}: a primary key clash fails the transaction", s.name);
    nothing_written(&s, &login, 1, "failed part-way").await;
}

pub async fn of_fifty_concurrent_finishes_of_one_challenge_exactly_one_is_done(s: Store) {
    let ada = s.user(1, "ada").await;
    let c = challenge(ada);
    s.otps.create(&c, None).await.unwrap();
    let logins: Vec<FinishedLogin> = (0..50).map(|_| finished(ada, c.id)).collect();
    let answers = futures::future::join_all(logins.iter().map(|l| s.finisher.finish(l))).await;
    let done = answers.into_iter().filter(|a| *a.as_ref().unwrap() == Finished::Done).count();
    assert_eq!(done, 1, "{}: one winner", s.name);
    let mut sessions = 0;
    for l in &logins {
        sessions += s.sessions.get(l.session.id).await.unwrap().is_some() as usize;
    }
    assert_eq!(sessions, 1, "{}: one session", s.name);
    assert_eq!(
        s.audit.list(Subject::User(ada), None, 200).await.unwrap().len(),
        2,
        "{}: the winner's two events",
        s.name
    );
}
