//! The contract of [`SessionRepo`](crate::ports::SessionRepo).

use uuid::Uuid;

use super::{Store, at, session, winners};
use crate::assurance::{Amr, Assurance};
use crate::session::Session;
use crate::user::{ProfilePatch, UserId};

pub async fn a_session_is_created_only_for_an_existing_active_user(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let live = session(ada);
    assert!(s.sessions.create(&live).await.unwrap(), "{n}: active");
    assert_eq!(s.sessions.get(live.id).await.unwrap().as_ref(), Some(&live), "{n}: round trip");
    // A session opened for an OpenID Connect client keeps it and its scopes.
    use crate::oidc::{ClientGrant, ClientId, Scope};
    let grant = ClientGrant::new(ClientId(Uuid::new_v4()), vec![Scope::Openid, Scope::OfflineAccess, Scope::Phone]);
    let for_client = Session { client: Some(grant), ..session(ada) };
    assert!(s.sessions.create(&for_client).await.unwrap(), "{n}");
    assert_eq!(s.sessions.get(for_client.id).await.unwrap().as_ref(), Some(&for_client), "{n}: with its client");
    let off = ProfilePatch { is_active: Some(false), ..Default::default() };
    s.users.update_profile(ada, &off, at(1)).await.unwrap();
    let refused = session(ada);
    assert!(!s.sessions.create(&refused).await.unwrap(), "{n}: inactive");
    assert!(s.sessions.get(refused.id).await.unwrap().is_none(), "{n}: nothing inserted");
    let ghost = session(UserId(Uuid::new_v4()));
    assert!(!s.sessions.create(&ghost).await.unwrap(), "{n}: no such user");
    assert!(s.sessions.get(ghost.id).await.unwrap().is_none(), "{n}");
}

pub async fn rotation_swaps_only_the_current_refresh_token_of_a_live_session(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let a = session(ada);
    s.sessions.create(&a).await.unwrap();
    let (next, later) = (Uuid::new_v4(), at(60 * 24 * 3600));
    let rotate = |id, old, new, now| s.sessions.rotate(id, old, new, now, later);
    assert_eq!(rotate(a.id, Uuid::new_v4(), next, at(1)).await.unwrap(), None, "{n}: not the current jti");
    let kept = rotate(a.id, a.refresh_jti, next, at(1)).await.unwrap();
    assert_eq!(kept, Some(a.assurance), "{n}: current jti; the assurance as stored");
    let rotated = s.sessions.get(a.id).await.unwrap().unwrap();
    assert_eq!((rotated.refresh_jti, rotated.expires_at), (next, later), "{n}: jti and lifetime renewed");
    assert_eq!(rotated.assurance, a.assurance, "{n}: the assurance unchanged");
    assert_eq!(rotate(a.id, a.refresh_jti, Uuid::new_v4(), at(2)).await.unwrap(), None, "{n}: reused");

    let expiring = session(ada);
    s.sessions.create(&expiring).await.unwrap();
    let end = expiring.expires_at;
    assert_eq!(rotate(expiring.id, expiring.refresh_jti, next, end).await.unwrap(), None, "{n}: expired");
    let revoked = session(ada);
    s.sessions.create(&revoked).await.unwrap();
    s.sessions.revoke(revoked.id, at(1)).await.unwrap();
    assert_eq!(rotate(revoked.id, revoked.refresh_jti, next, at(2)).await.unwrap(), None, "{n}: revoked");
    assert_eq!(rotate(Uuid::new_v4(), a.refresh_jti, next, at(2)).await.unwrap(), None, "{n}: missing");

    let mut enrolling = session(ada);
    enrolling.assurance = Assurance { second_factor_due: true, ..Assurance::proved(Amr::password(), at(1)) };
    s.sessions.create(&enrolling).await.unwrap();
    let kept = rotate(enrolling.id, enrolling.refresh_jti, next, at(2)).await.unwrap();
    assert_eq!(kept, Some(enrolling.assurance), "{n}: a session that may only enrol stays so");
}

pub async fn a_step_up_replaces_the_assurance_and_the_refresh_token_of_its_users_live_session_only(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let mut a = session(ada);
    a.assurance.second_factor_due = true;
    s.sessions.create(&a).await.unwrap();
    let stepped = Assurance::proved(Amr::passkey(), at(600));
    let jti = Uuid::new_v4();
    let reassure = |id, user, now| s.sessions.reassure(id, user, stepped, jti, now);
    assert_eq!(reassure(a.id, UserId(Uuid::new_v4()), at(600)).await.unwrap(), None, "{n}: another user's");
    let renewed = reassure(a.id, ada, at(600)).await.unwrap().expect("live");
    let expected = Session { assurance: stepped, refresh_jti: jti, ..a.clone() };
    assert_eq!(renewed, expected, "{n}: returned as it now stands");
    assert_eq!(s.sessions.get(a.id).await.unwrap(), Some(expected), "{n}: stored");
    assert_eq!(s.sessions.rotate(a.id, a.refresh_jti, Uuid::new_v4(), at(601), at(9999)).await.unwrap(), None, "{n}");
    assert_eq!(reassure(a.id, ada, a.expires_at).await.unwrap(), None, "{n}: expired");
    s.sessions.revoke(a.id, at(700)).await.unwrap();
    assert_eq!(reassure(a.id, ada, at(701)).await.unwrap(), None, "{n}: revoked");
}

pub async fn rotation_has_exactly_one_winner_among_fifty_concurrent_calls(s: Store) {
    let ada = s.user(1, "ada").await;
    let a = session(ada);
    s.sessions.create(&a).await.unwrap();
    let rotate =
        || async { Ok(s.sessions.rotate(a.id, a.refresh_jti, Uuid::new_v4(), at(1), at(100_000)).await?.is_some()) };
    let wins = winners(50, rotate).await;
    assert_eq!(wins, 1, "{}", s.name);
}

pub async fn a_session_is_active_for_its_user_until_revoked_or_expired(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let a = session(ada);
    s.sessions.create(&a).await.unwrap();
    assert!(s.sessions.is_active(a.id, ada, at(1)).await.unwrap(), "{n}");
    assert!(!s.sessions.is_active(a.id, UserId(Uuid::new_v4()), at(1)).await.unwrap(), "{n}: another user's");
    assert!(s.sessions.is_active(a.id, ada, a.expires_at - chrono::Duration::seconds(1)).await.unwrap(), "{n}");
    assert!(!s.sessions.is_active(a.id, ada, a.expires_at).await.unwrap(), "{n}: expired at expires_at");
    assert!(!s.sessions.is_active(Uuid::new_v4(), ada, at(1)).await.unwrap(), "{n}: missing");
    s.sessions.revoke(a.id, at(2)).await.unwrap();
    assert!(!s.sessions.is_active(a.id, ada, at(3)).await.unwrap(), "{n}: revoked");
}

pub async fn revocation_keeps_its_first_time_and_revoke_all_spares_the_kept_session(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let (a, b, c, theirs) = (session(ada), session(ada), session(ada), session(bob));
    for x in [&a, &b, &c, &theirs] {
        s.sessions.create(x).await.unwrap();
    }
    s.sessions.revoke(a.id, at(1)).await.unwrap();
    s.sessions.revoke(a.id, at(9)).await.unwrap();
    assert_eq!(s.sessions.get(a.id).await.unwrap().unwrap().revoked_at, Some(at(1)), "{n}: first revocation stays");
    assert_eq!(s.sessions.revoke_all(ada, Some(b.id), at(2)).await.unwrap(), 1, "{n}: only c was live and not kept");
    assert!(s.sessions.is_active(b.id, ada, at(3)).await.unwrap(), "{n}: kept");
    assert_eq!(s.sessions.get(c.id).await.unwrap().unwrap().revoked_at, Some(at(2)), "{n}");
    assert_eq!(s.sessions.get(a.id).await.unwrap().unwrap().revoked_at, Some(at(1)), "{n}: not revoked twice");
    assert!(s.sessions.is_active(theirs.id, bob, at(3)).await.unwrap(), "{n}: another user's stays");
    assert_eq!(s.sessions.revoke_all(ada, None, at(4)).await.unwrap(), 1, "{n}: now b too");
    assert_eq!(s.sessions.revoke_all(ada, None, at(5)).await.unwrap(), 0, "{n}: nothing left");
}

pub async fn a_users_live_sessions_are_listed_newest_first_up_to_the_limit(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let mut made = vec![];
    for i in 0..4 {
        let mut x = session(ada);
        x.created_at = at(i);
        s.sessions.create(&x).await.unwrap();
        made.push(x);
    }
    s.sessions.create(&session(bob)).await.unwrap();
    s.sessions.revoke(made[1].id, at(5)).await.unwrap();
    let mut short = session(ada);
    short.expires_at = at(10);
    s.sessions.create(&short).await.unwrap();
    let ids = |v: Vec<crate::session::Session>| v.into_iter().map(|x| x.id).collect::<Vec<_>>();
    let live = ids(s.sessions.list_live(ada, at(10), 10).await.unwrap());
    assert_eq!(live, vec![made[3].id, made[2].id, made[0].id], "{n}: no revoked, expired or other user's session");
    assert_eq!(ids(s.sessions.list_live(ada, at(10), 2).await.unwrap()), vec![made[3].id, made[2].id], "{n}: limit");
    assert_eq!(s.sessions.list_live(ada, at(9), 10).await.unwrap().len(), 4, "{n}: live until its end");
}

pub async fn a_session_is_revoked_by_its_owner_only_and_once_among_fifty(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let a = session(ada);
    s.sessions.create(&a).await.unwrap();
    assert!(!s.sessions.revoke_owned(a.id, bob, at(1)).await.unwrap(), "{n}: not bob's");
    assert!(s.sessions.is_active(a.id, ada, at(1)).await.unwrap(), "{n}: still live");
    assert_eq!(winners(50, || s.sessions.revoke_owned(a.id, ada, at(2))).await, 1, "{n}: exactly one of fifty");
    assert_eq!(s.sessions.get(a.id).await.unwrap().unwrap().revoked_at, Some(at(2)), "{n}");
}

pub async fn a_deleted_clients_live_sessions_end_together_and_no_others(s: Store) {
    use crate::oidc::{ClientGrant, ClientId, Scope};
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let (app, other) = (ClientId(Uuid::new_v4()), ClientId(Uuid::new_v4()));
    let for_client = |c: ClientId| Session { client: Some(ClientGrant::new(c, vec![Scope::Openid])), ..session(ada) };
    let (a, b, c, own) = (for_client(app), for_client(app), for_client(other), session(ada));
    for x in [&a, &b, &c, &own] {
        assert!(s.sessions.create(x).await.unwrap(), "{n}");
    }
    s.sessions.revoke(b.id, at(5)).await.unwrap();
    let mut ended = s.sessions.revoke_client(app, at(10)).await.unwrap();
    ended.sort();
    assert_eq!(ended, vec![a.id], "{n}: the live one, once");
    assert_eq!(s.sessions.get(a.id).await.unwrap().unwrap().revoked_at, Some(at(10)), "{n}");
    assert_eq!(
        s.sessions.get(b.id).await.unwrap().unwrap().revoked_at,
        Some(at(5)),
        "{n}: an ended one keeps its time"
    );
    for live in [&c, &own] {
        assert_eq!(
            s.sessions.get(live.id).await.unwrap().unwrap().revoked_at,
            None,
            "{n}: another client's and authd's own"
        );
    }
    assert!(s.sessions.revoke_client(app, at(11)).await.unwrap().is_empty(), "{n}");
}

pub async fn a_clients_session_is_stored_only_from_a_live_browser_session_of_its_user_while_the_client_exists(
    s: Store,
) {
    use crate::oidc::{ClientGrant, Scope};
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let client = super::clients::client(0);
    s.clients.create(&client, None).await.unwrap();
    let browser = session(ada);
    assert!(s.sessions.create(&browser).await.unwrap(), "{n}");
    let for_client = |user| Session { client: Some(ClientGrant::new(client.id, vec![Scope::Openid])), ..session(user) };
    let stored = for_client(ada);
    assert!(s.sessions.create_from(&stored, browser.id, at(10)).await.unwrap(), "{n}");
    assert_eq!(s.sessions.get(stored.id).await.unwrap().as_ref(), Some(&stored), "{n}: as given");
    let refused = for_client(bob);
    assert!(
        !s.sessions.create_from(&refused, browser.id, at(10)).await.unwrap(),
        "{n}: another user's browser session"
    );
    let late = for_client(ada);
    assert!(!s.sessions.create_from(&late, browser.id, browser.expires_at).await.unwrap(), "{n}: expired");
    s.sessions.revoke(browser.id, at(20)).await.unwrap();
    let after = for_client(ada);
    assert!(!s.sessions.create_from(&after, browser.id, at(21)).await.unwrap(), "{n}: logged out");
    let other_browser = session(ada);
    assert!(s.sessions.create(&other_browser).await.unwrap(), "{n}");
    assert!(s.clients.delete(client.id).await.unwrap());
    let orphan = for_client(ada);
    assert!(!s.sessions.create_from(&orphan, other_browser.id, at(22)).await.unwrap(), "{n}: the client is gone");
    for id in [refused.id, late.id, after.id, orphan.id] {
        assert!(s.sessions.get(id).await.unwrap().is_none(), "{n}: nothing stored");
    }
}
