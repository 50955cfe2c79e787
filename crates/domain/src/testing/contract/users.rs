//! The contract of [`UserRepo`](crate::ports::UserRepo).

use super::{Store, at, challenge, new_user, session, t0};
use crate::error::Error;
use crate::user::{Email, LoginName, PersonName, Phone, ProfilePatch, User, UserId, UserQuery, Username};

pub async fn a_user_round_trips_and_is_found_by_email_or_username(s: Store) {
    let n = s.name;
    let created = s.users.insert(&new_user(1, "ada")).await.unwrap();
    assert!(created.is_active && !created.is_admin, "{n}: a new user is active and no admin");
    assert_eq!((created.created_at, created.modified_at), (t0(), t0()), "{n}");
    let by_email = s.users.by_login(&LoginName::parse("ADA@example.com").unwrap()).await.unwrap().unwrap();
    let by_name = s.users.by_login(&LoginName::parse("ada").unwrap()).await.unwrap().unwrap();
    let by_id = s.users.by_id(created.id).await.unwrap().unwrap();
    assert_eq!(by_email.user, created, "{n}");
    assert_eq!(by_name.user, created, "{n}");
    assert_eq!(by_id.user, created, "{n}");
    assert_eq!(by_id.password_hash, "$argon2id$fake", "{n}: by id, with its hash");
    assert_eq!(s.users.user(created.id).await.unwrap().unwrap(), created, "{n}: the row alone");
    assert_eq!(s.users.user(created.id).await.unwrap().unwrap(), created, "{n}: again (from a memory)");
    assert_eq!(by_email.password_hash, "$argon2id$fake", "{n}");
    assert!(s.users.by_login(&LoginName::parse("nobody").unwrap()).await.unwrap().is_none(), "{n}");
    assert!(s.users.by_id(UserId(uuid::Uuid::new_v4())).await.unwrap().is_none(), "{n}");
}

pub async fn a_taken_email_or_username_is_a_conflict_on_insert_and_update(s: Store) {
    let n = s.name;
    s.user(1, "ada").await;
    let mut same_email = new_user(2, "other");
    same_email.email = Email::parse("ada@example.com").unwrap();
    assert!(matches!(s.users.insert(&same_email).await, Err(Error::EmailTaken)), "{n}");
    let mut same_name = new_user(3, "ada");
    same_name.email = Email::parse("fresh@example.com").unwrap();
    assert!(matches!(s.users.insert(&same_name).await, Err(Error::UsernameTaken)), "{n}");
    let bob = s.user(4, "bob").await;
    let to_ada = ProfilePatch { username: Some(Username::parse("ada").unwrap()), ..Default::default() };
    assert!(matches!(s.users.update_profile(bob, &to_ada, at(1)).await, Err(Error::UsernameTaken)), "{n}");
    let to_ada = ProfilePatch { email: Some(Email::parse("ada@example.com").unwrap()), ..Default::default() };
    assert!(matches!(s.users.update_profile(bob, &to_ada, at(1)).await, Err(Error::EmailTaken)), "{n}");
    let own = ProfilePatch { username: Some(Username::parse("bob").unwrap()), ..Default::default() };
    assert!(s.users.update_profile(bob, &own, at(1)).await.unwrap().is_some(), "{n}: one's own name is no conflict");
}

pub async fn an_update_sets_only_the_given_fields_and_a_missing_user_is_none(s: Store) {
    let n = s.name;
    let before = s.users.insert(&new_user(1, "ada")).await.unwrap();
    let patch = ProfilePatch { name: Some(PersonName::parse("name", "Augusta").unwrap()), ..Default::default() };
    let after = s.users.update_profile(before.id, &patch, at(5)).await.unwrap().unwrap();
    let expected = User { name: "Augusta".into(), modified_at: at(5), ..before.clone() };
    assert_eq!(after, expected, "{n}");
    assert_eq!(s.users.user(before.id).await.unwrap().unwrap(), expected, "{n}: stored");
    let flags = ProfilePatch { is_2fa: Some(true), is_active: Some(false), ..Default::default() };
    let flagged = s.users.update_profile(before.id, &flags, at(6)).await.unwrap().unwrap();
    assert!(flagged.is_2fa && !flagged.is_active && !flagged.is_admin, "{n}");

    let ghost = UserId(uuid::Uuid::new_v4());
    let taken = ProfilePatch { email: Some(Email::parse("ada@example.com").unwrap()), ..Default::default() };
    assert!(s.users.update_profile(ghost, &taken, at(7)).await.unwrap().is_none(), "{n}: missing, not a conflict");
    assert!(s.users.set_password_hash(before.id, "$argon2id$new", at(8)).await.unwrap(), "{n}");
    let stored = s.users.by_id(before.id).await.unwrap().unwrap();
    assert_eq!((stored.password_hash.as_str(), stored.user.modified_at), ("$argon2id$new", at(8)), "{n}");
    assert!(!s.users.set_password_hash(ghost, "$argon2id$new", at(8)).await.unwrap(), "{n}");
}

fn demote() -> ProfilePatch {
    ProfilePatch { is_admin: Some(false), ..Default::default() }
}

fn deactivate() -> ProfilePatch {
    ProfilePatch { is_active: Some(false), ..Default::default() }
}

pub async fn the_last_active_admin_cannot_be_demoted_deactivated_or_deleted(s: Store) {
    let n = s.name;
    let root = s.admin(1, "root").await;
    assert!(s.users.any_active_admin().await.unwrap(), "{n}");
    for patch in [demote(), deactivate()] {
        assert!(matches!(s.users.update_profile(root, &patch, at(1)).await, Err(Error::LastAdmin)), "{n}");
    }
    assert!(matches!(s.users.delete(root).await, Err(Error::LastAdmin)), "{n}");
    let kept = s.users.user(root).await.unwrap().unwrap();
    assert!(kept.is_admin && kept.is_active, "{n}: nothing changed");

    let plain = s.user(2, "plain").await;
    assert!(s.users.update_profile(plain, &deactivate(), at(1)).await.unwrap().is_some(), "{n}: not an admin");
    assert!(s.users.delete(plain).await.unwrap(), "{n}: deleting a non-admin is unaffected");
    assert!(!s.users.delete(plain).await.unwrap(), "{n}: already gone");

    // An inactive admin does not count as the other admin.
    let dormant = s.admin(3, "dormant").await;
    s.users.update_profile(dormant, &deactivate(), at(2)).await.unwrap();
    assert!(matches!(s.users.update_profile(root, &demote(), at(3)).await, Err(Error::LastAdmin)), "{n}");

    let deputy = s.admin(4, "deputy").await;
    assert!(s.users.update_profile(root, &demote(), at(4)).await.unwrap().is_some(), "{n}: two admins, one may go");
    assert!(matches!(s.users.delete(deputy).await, Err(Error::LastAdmin)), "{n}: now the deputy is the last");
    let harmless = ProfilePatch { name: Some(PersonName::parse("name", "Deputy").unwrap()), ..Default::default() };
    assert!(s.users.update_profile(deputy, &harmless, at(5)).await.unwrap().is_some(), "{n}: other edits pass");
}

pub async fn two_admins_demoting_each_other_at_once_leave_one_admin(s: Store) {
    let n = s.name;
    // Each round races the last round's survivor against a new admin.
    let mut survivor = s.admin(0, "adm-0").await;
    for round in 1..=8 {
        let other = s.admin(round, &format!("adm-{round}")).await;
        let d = demote();
        let (ra, rb) =
            futures::join!(s.users.update_profile(survivor, &d, at(1)), s.users.update_profile(other, &d, at(1)));
        let wins = [ra.is_ok(), rb.is_ok()].iter().filter(|&&ok| ok).count();
        assert_eq!(wins, 1, "{n} round {round}: {ra:?} {rb:?}");
        assert!(matches!(ra.as_ref().err().or(rb.as_ref().err()), Some(Error::LastAdmin)), "{n} round {round}");
        assert!(s.users.any_active_admin().await.unwrap(), "{n} round {round}");
        if ra.is_ok() {
            survivor = other;
        }
    }
}

pub async fn the_user_list_is_a_keyset_in_id_order_with_filters_and_literal_search(s: Store) {
    let n = s.name;
    let mut ids = Vec::new();
    for (i, name) in ["alpha", "beta", "gamma_x", "delta", "epsilon"].iter().enumerate() {
        // Inserted out of id order: the list must sort, not trust insertion.
        ids.push(s.user(10 - i as i64, name).await);
    }
    let percent = ProfilePatch { name: Some(PersonName::parse("name", "Del%ta").unwrap()), ..Default::default() };
    s.users.update_profile(ids[3], &percent, at(1)).await.unwrap();
    let flags = ProfilePatch { is_2fa: Some(true), is_active: Some(false), ..Default::default() };
    s.users.update_profile(ids[4], &flags, at(1)).await.unwrap();
    ids.sort();
    let q = |search: Option<&str>, after: Option<UserId>, limit: u32| UserQuery {
        search: search.map(str::to_owned),
        after,
        limit,
        ..Default::default()
    };
    let first = s.users.list(&q(None, None, 2)).await.unwrap();
    assert_eq!(first.len(), 2, "{n}: limit");
    let rest = s.users.list(&q(None, Some(first[1].id), 10)).await.unwrap();
    let walked: Vec<UserId> = first.iter().chain(&rest).map(|u| u.id).collect();
    assert_eq!(walked, ids, "{n}: every user once, in id order");
    for listed in first.iter().chain(&rest) {
        let read = s.users.user(listed.id).await.unwrap();
        assert_eq!(Some(listed), read.as_ref(), "{n}: a listed user has every field of its row");
    }
    let names = |us: Vec<User>| us.into_iter().map(|u| u.username).collect::<Vec<_>>();
    assert_eq!(names(s.users.list(&q(Some("eta"), None, 10)).await.unwrap()), ["beta"], "{n}");
    assert_eq!(names(s.users.list(&q(Some("_x"), None, 10)).await.unwrap()), ["gamma_x"], "{n}: _ is literal");
    assert_eq!(names(s.users.list(&q(Some("%"), None, 10)).await.unwrap()), ["delta"], "{n}: % is literal");
    assert_eq!(names(s.users.list(&q(Some("del%ta"), None, 10)).await.unwrap()), ["delta"], "{n}: any case");
    assert_eq!(s.users.list(&q(Some("example.com"), None, 10)).await.unwrap().len(), 5, "{n}: email matches");
    let only = |f: fn(&mut UserQuery)| {
        let mut query = q(None, None, 10);
        f(&mut query);
        query
    };
    assert_eq!(names(s.users.list(&only(|q| q.is_2fa = Some(true))).await.unwrap()), ["epsilon"], "{n}");
    assert_eq!(names(s.users.list(&only(|q| q.is_active = Some(false))).await.unwrap()), ["epsilon"], "{n}");
    assert_eq!(s.users.list(&only(|q| q.is_active = Some(true))).await.unwrap().len(), 4, "{n}");
    assert!(s.users.list(&only(|q| q.is_admin = Some(true))).await.unwrap().is_empty(), "{n}");
    assert!(!s.users.any_active_admin().await.unwrap(), "{n}");
}

pub async fn deleting_a_user_deletes_their_sessions_and_challenges(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let (sa, ca, sb) = (session(ada), challenge(ada), session(bob));
    assert!(s.sessions.create(&sa).await.unwrap() && s.sessions.create(&sb).await.unwrap(), "{n}");
    s.otps.create(&ca, None).await.unwrap();
    assert!(s.users.delete(ada).await.unwrap(), "{n}");
    assert!(s.users.by_id(ada).await.unwrap().is_none(), "{n}");
    assert!(s.users.user(ada).await.unwrap().is_none(), "{n}");
    assert!(s.sessions.get(sa.id).await.unwrap().is_none(), "{n}: session cascades");
    assert!(s.otps.get(ca.id).await.unwrap().is_none(), "{n}: challenge cascades");
    assert!(s.sessions.get(sb.id).await.unwrap().is_some(), "{n}: another user's session stays");
}

pub async fn a_phone_is_verified_only_while_it_is_the_number_the_code_went_to(s: Store) {
    let n = s.name;
    let mut form = new_user(1, "ada");
    form.phone = Some(Phone::parse("+14155550132").unwrap());
    let ada = s.users.insert(&form).await.unwrap();
    assert_eq!((ada.phone.as_deref(), ada.phone_verified_at), (Some("+14155550132"), None), "{n}: starts unverified");
    assert!(!s.users.confirm_phone(ada.id, "+14155550199", at(1)).await.unwrap(), "{n}: another number");
    assert!(s.users.confirm_phone(ada.id, "+14155550132", at(2)).await.unwrap(), "{n}");
    let verified = s.users.user(ada.id).await.unwrap().unwrap();
    assert_eq!(verified.phone_verified_at, Some(at(2)), "{n}");

    let set = |phone: Option<&str>| ProfilePatch {
        phone: Some(phone.map(|p| Phone::parse(p).unwrap())),
        ..Default::default()
    };
    let same = s.users.update_profile(ada.id, &set(Some("+1 415 555 0132")), at(3)).await.unwrap().unwrap();
    assert_eq!(same.phone_verified_at, Some(at(2)), "{n}: the same number stays verified");
    let name = ProfilePatch { name: Some(PersonName::parse("name", "Augusta").unwrap()), ..Default::default() };
    let renamed = s.users.update_profile(ada.id, &name, at(4)).await.unwrap().unwrap();
    assert_eq!(renamed.phone_verified_at, Some(at(2)), "{n}: other fields leave the phone alone");
    let changed = s.users.update_profile(ada.id, &set(Some("+14155550199")), at(5)).await.unwrap().unwrap();
    assert_eq!((changed.phone.as_deref(), changed.phone_verified_at), (Some("+14155550199"), None), "{n}: unverified");
    assert!(!s.users.confirm_phone(ada.id, "+14155550132", at(6)).await.unwrap(), "{n}: the old number's code");
    assert!(s.users.confirm_phone(ada.id, "+14155550199", at(7)).await.unwrap(), "{n}");
    let cleared = s.users.update_profile(ada.id, &set(None), at(8)).await.unwrap().unwrap();
    assert_eq!((cleared.phone, cleared.phone_verified_at), (None, None), "{n}: removed");
    assert!(!s.users.confirm_phone(ada.id, "+14155550199", at(9)).await.unwrap(), "{n}: no number, nothing verified");
    assert!(!s.users.confirm_phone(UserId(uuid::Uuid::new_v4()), "+14155550199", at(9)).await.unwrap(), "{n}");
}

pub async fn an_email_is_proved_only_while_it_is_the_users_address_and_only_its_prover_keeps_it(s: Store) {
    let n = s.name;
    let ada = s.users.insert(&new_user(1, "ada")).await.unwrap();
    assert_eq!(ada.verified_email, None, "{n}: a new address is unproved");
    assert!(!s.users.confirm_email(ada.id, "other@example.com", at(1)).await.unwrap(), "{n}: not ada's address");
    assert!(s.users.confirm_email(ada.id, "ada@example.com", at(2)).await.unwrap(), "{n}");
    let proved = s.users.user(ada.id).await.unwrap().unwrap();
    assert_eq!((proved.verified_email.as_deref(), proved.modified_at), (Some("ada@example.com"), at(2)), "{n}");
    assert!(proved.email_verified(), "{n}");

    let moved = ProfilePatch { email: Some(Email::parse("ada@new.example.com").unwrap()), ..Default::default() };
    let changed = s.users.update_profile(ada.id, &moved, at(3)).await.unwrap().unwrap();
    assert_eq!(changed.verified_email.as_deref(), Some("ada@example.com"), "{n}: the proved address is kept");
    assert!(!changed.email_verified(), "{n}: the new one is unproved");
    assert!(!s.users.confirm_email(ada.id, "ada@example.com", at(4)).await.unwrap(), "{n}: no longer ada's address");

    let mut eve = new_user(2, "eve");
    eve.email = Email::parse("ada@example.com").unwrap();
    let eve = s.users.insert(&eve).await.unwrap();
    assert!(s.users.confirm_email(eve.id, "ada@example.com", at(5)).await.unwrap(), "{n}");
    let ada_now = s.users.user(ada.id).await.unwrap().unwrap();
    assert_eq!((ada_now.verified_email, ada_now.modified_at), (None, at(5)), "{n}: ada no longer holds eve's address");
    let listed = s.users.list(&UserQuery { limit: 10, ..Default::default() }).await.unwrap();
    let eve_listed = listed.iter().find(|u| u.id == eve.id).unwrap();
    assert_eq!(eve_listed.verified_email.as_deref(), Some("ada@example.com"), "{n}: listings carry it");
    assert!(!s.users.confirm_email(UserId(uuid::Uuid::new_v4()), "ada@example.com", at(6)).await.unwrap(), "{n}");
}

pub async fn a_new_password_or_address_cancels_the_accounts_open_mailed_links_and_nothing_else(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let reset = |secs: i64| {
        let mut c = challenge(ada);
        c.purpose = crate::otp::Purpose::Reset;
        c.created_at = at(secs);
        c
    };
    let (first, login) = (reset(0), challenge(ada));
    let mut proof = challenge(ada);
    proof.purpose = crate::otp::Purpose::Email;
    s.otps.create(&first, None).await.unwrap();
    s.otps.create(&login, None).await.unwrap();
    s.otps.create(&proof, None).await.unwrap();
    let renamed = ProfilePatch { name: Some(PersonName::parse("name", "Augusta").unwrap()), ..Default::default() };
    s.users.update_profile(ada, &renamed, at(1)).await.unwrap();
    assert_eq!(s.otps.get(first.id).await.unwrap().unwrap().canceled_at, None, "{n}: a name changes nothing");
    assert!(s.users.set_password_hash(ada, "$argon2id$new", at(2)).await.unwrap(), "{n}");
    assert_eq!(s.otps.get(first.id).await.unwrap().unwrap().canceled_at, Some(at(2)), "{n}: a new password");
    assert_eq!(s.otps.get(proof.id).await.unwrap().unwrap().canceled_at, Some(at(2)), "{n}: a proof too");
    assert_eq!(s.otps.get(login.id).await.unwrap().unwrap().canceled_at, None, "{n}: a login's challenge stays");

    let second = reset(3);
    s.otps.create(&second, None).await.unwrap();
    let moved = ProfilePatch { email: Some(Email::parse("ada@new.example.com").unwrap()), ..Default::default() };
    s.users.update_profile(ada, &moved, at(4)).await.unwrap();
    assert_eq!(s.otps.get(second.id).await.unwrap().unwrap().canceled_at, Some(at(4)), "{n}: a new address");
    assert_eq!(s.otps.get(first.id).await.unwrap().unwrap().canceled_at, Some(at(2)), "{n}: the first time kept");
    assert!(!s.users.set_password_hash(UserId(uuid::Uuid::new_v4()), "$x", at(5)).await.unwrap(), "{n}");
}
