//! The contract of [`AuthorizationRepo`](crate::ports::AuthorizationRepo).

use uuid::Uuid;

use super::clients::client;
use super::{Store, at, winners};
use crate::assurance::{Amr, Assurance};
use crate::oidc::code::{CodeGrant, Redemption};
use crate::oidc::{AuthorizeRequest, Client, CodeChallenge, Consent, Prompt, Scope};
use crate::otp::Method;
use crate::user::UserId;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A request of `c` with every field set, made at `at(0)`.
fn request(c: &Client) -> AuthorizeRequest {
    AuthorizeRequest {
        client_id: c.id,
        redirect_uri: c.redirect_uris[0].clone(),
        scopes: vec![Scope::Openid, Scope::Email, Scope::OfflineAccess],
        state: Some("s t&a=te/\"é\"".into()),
        nonce: Some("n-0".into()),
        challenge: CodeChallenge::stored(CHALLENGE.into()),
        prompt: Prompt { none: false, login: true, consent: true },
        max_age: Some(300),
        wants_aal2: true,
        login_hint: Some("ada".into()),
        created_at: at(0),
    }
}

fn code(tag: u8, user: UserId, c: &Client) -> CodeGrant {
    CodeGrant {
        hash: vec![tag; 32],
        client_id: c.id,
        user_id: user,
        browser_session: Uuid::new_v4(),
        redirect_uri: c.redirect_uris[0].clone(),
        scopes: vec![Scope::Openid, Scope::Profile],
        nonce: Some("n-0".into()),
        challenge: CodeChallenge::stored(CHALLENGE.into()),
        assurance: Assurance::proved(Amr::two_factors(Method::Sms), at(1)),
        created_at: at(0),
        expires_at: at(60),
    }
}

/// A client stored (its id is new at every call of `client`).
async fn with_client(s: &Store) -> Client {
    let c = client(0);
    s.clients.create(&c, None).await.unwrap();
    c
}

pub async fn a_request_round_trips_until_it_expires_and_is_dropped_once(s: Store) {
    let n = s.name;
    let c = with_client(&s).await;
    let (id, r) = (Uuid::new_v4(), request(&c));
    s.authorizations.save_request(id, &r, at(600)).await.unwrap();
    assert_eq!(s.authorizations.request(id, at(599)).await.unwrap(), Some(r.clone()), "{n}: every field, exactly");
    assert_eq!(s.authorizations.request(id, at(600)).await.unwrap(), None, "{n}: expired");
    let bare = AuthorizeRequest {
        state: None,
        nonce: None,
        prompt: Prompt::default(),
        max_age: None,
        wants_aal2: false,
        login_hint: None,
        scopes: vec![Scope::Openid],
        ..r
    };
    let other = Uuid::new_v4();
    s.authorizations.save_request(other, &bare, at(600)).await.unwrap();
    assert_eq!(s.authorizations.request(other, at(1)).await.unwrap(), Some(bare), "{n}: the optional fields absent");
    assert!(s.authorizations.drop_request(id).await.unwrap(), "{n}");
    assert!(!s.authorizations.drop_request(id).await.unwrap(), "{n}: once");
    assert_eq!(s.authorizations.request(id, at(1)).await.unwrap(), None, "{n}");
    assert!(s.clients.delete(c.id).await.unwrap());
    assert_eq!(s.authorizations.request(other, at(1)).await.unwrap(), None, "{n}: it goes with its client");
}

pub async fn a_consent_is_replaced_and_goes_with_its_user_and_its_client(s: Store) {
    let n = s.name;
    let c = with_client(&s).await.id;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    assert_eq!(s.authorizations.consent(ada, c).await.unwrap(), None, "{n}");
    s.authorizations.grant_consent(ada, c, &[Scope::Openid], at(1)).await.unwrap();
    s.authorizations.grant_consent(ada, c, &[Scope::Openid, Scope::Email], at(2)).await.unwrap();
    s.authorizations.grant_consent(bob, c, &[Scope::Openid], at(3)).await.unwrap();
    let given = Consent { scopes: vec![Scope::Openid, Scope::Email], granted_at: at(2) };
    assert_eq!(s.authorizations.consent(ada, c).await.unwrap(), Some(given), "{n}: the last one");
    assert!(s.users.delete(ada).await.unwrap());
    assert_eq!(s.authorizations.consent(ada, c).await.unwrap(), None, "{n}: it goes with its user");
    assert!(s.authorizations.consent(bob, c).await.unwrap().is_some(), "{n}");
    assert!(s.clients.delete(c).await.unwrap());
    assert_eq!(s.authorizations.consent(bob, c).await.unwrap(), None, "{n}: and with its client");
}

pub async fn a_code_is_redeemed_once_then_reported_replayed_with_the_session_it_issued(s: Store) {
    let n = s.name;
    let c = with_client(&s).await;
    let ada = s.user(1, "ada").await;
    let (first, late) = (code(1, ada, &c), code(2, ada, &c));
    s.authorizations.insert_code(&first).await.unwrap();
    s.authorizations.insert_code(&late).await.unwrap();
    assert!(s.authorizations.insert_code(&first).await.is_err(), "{n}: a hash is unique");
    let replayed = |issued| Redemption::Replayed { client_id: first.client_id, user_id: ada, issued_session: issued };
    let session = Uuid::new_v4();
    assert_eq!(
        s.authorizations.redeem_code(&first.hash, at(59), session).await.unwrap(),
        Redemption::Redeemed(first.clone()),
        "{n}: every field"
    );
    let again = s.authorizations.redeem_code(&first.hash, at(59), Uuid::new_v4()).await.unwrap();
    assert_eq!(again, replayed(Some(session)), "{n}: the session the first redemption named");
    assert_eq!(
        s.authorizations.redeem_code(&first.hash, at(70), Uuid::new_v4()).await.unwrap(),
        replayed(Some(session)),
        "{n}"
    );
    assert_eq!(
        s.authorizations.redeem_code(&late.hash, at(60), Uuid::new_v4()).await.unwrap(),
        Redemption::Unknown,
        "{n}: expired"
    );
    assert_eq!(
        s.authorizations.redeem_code(&[9; 32], at(1), Uuid::new_v4()).await.unwrap(),
        Redemption::Unknown,
        "{n}"
    );
    let bare = CodeGrant { hash: vec![3; 32], nonce: None, scopes: vec![Scope::Openid], ..code(3, ada, &c) };
    s.authorizations.insert_code(&bare).await.unwrap();
    assert!(s.users.delete(ada).await.unwrap());
    assert_eq!(
        s.authorizations.redeem_code(&bare.hash, at(1), Uuid::new_v4()).await.unwrap(),
        Redemption::Unknown,
        "{n}: it goes with its user"
    );
}

pub async fn a_code_has_exactly_one_winner_among_fifty_concurrent_redemptions(s: Store) {
    let client = with_client(&s).await;
    let ada = s.user(1, "ada").await;
    let c = code(1, ada, &client);
    s.authorizations.insert_code(&c).await.unwrap();
    let won = winners(50, || async {
        Ok(matches!(s.authorizations.redeem_code(&c.hash, at(1), Uuid::new_v4()).await?, Redemption::Redeemed(_)))
    })
    .await;
    assert_eq!(won, 1, "{}", s.name);
}

pub async fn expired_requests_go_and_codes_go_once_past_the_cutoff_used_or_not(s: Store) {
    use crate::ports::Purgeable;
    let n = s.name;
    let c = with_client(&s).await;
    let ada = s.user(1, "ada").await;
    let (old, live) = (Uuid::new_v4(), Uuid::new_v4());
    s.authorizations.save_request(old, &request(&c), at(100)).await.unwrap();
    s.authorizations.save_request(live, &request(&c), at(300)).await.unwrap();
    assert_eq!(s.purge.purge(Purgeable::AuthorizeRequests, at(200), 100).await.unwrap(), 1, "{n}");
    assert!(!s.authorizations.drop_request(old).await.unwrap(), "{n}: the expired one went");
    assert!(s.authorizations.request(live, at(1)).await.unwrap().is_some(), "{n}: the live one stays");
    let (used, unused, fresh) =
        (code(1, ada, &c), code(2, ada, &c), CodeGrant { expires_at: at(500), ..code(3, ada, &c) });
    for g in [&used, &unused, &fresh] {
        s.authorizations.insert_code(g).await.unwrap();
    }
    assert!(matches!(
        s.authorizations.redeem_code(&used.hash, at(1), Uuid::new_v4()).await.unwrap(),
        Redemption::Redeemed(_)
    ));
    assert_eq!(s.purge.purge(Purgeable::AuthorizationCodes, at(100), 100).await.unwrap(), 2, "{n}: used or not");
    assert_eq!(
        s.authorizations.redeem_code(&used.hash, at(1), Uuid::new_v4()).await.unwrap(),
        Redemption::Unknown,
        "{n}"
    );
    assert!(
        matches!(
            s.authorizations.redeem_code(&fresh.hash, at(1), Uuid::new_v4()).await.unwrap(),
            Redemption::Redeemed(_)
        ),
        "{n}"
    );
}
