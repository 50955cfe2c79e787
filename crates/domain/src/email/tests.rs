//! Proving an email address: the link and the code of one mail, once each,
//! within their lifetime, for an address the user still has.

use std::time::Duration;

use crate::Error;
use crate::notify::{Message, MessageKind};
use crate::session::Caller;
use crate::testing::world::{GOOD_PASSWORD, World, pw, tokens};
use crate::user::{ProfileChanges, User};

/// The latest mail proving an address, delivered.
async fn proof_mail(w: &World) -> Message {
    let mails = w.messages().await;
    mails.into_iter().rev().find(|m| m.kind == MessageKind::EmailVerification).expect("a proof mail")
}

fn token_of(mail: &Message) -> String {
    let link = mail.link.as_deref().expect("a link");
    link.split_once("?token=").expect("a token").1.to_owned()
}

/// A user registered through the use case, with the registration's mail.
async fn newcomer(w: &World, name: &str) -> User {
    w.accounts.register(&w.from, World::form(name, false)).await.unwrap()
}

async fn caller_of(w: &World, name: &str) -> Caller {
    let pair = tokens(w, name).await;
    w.sessions.authenticate(&pair.access_token).await.unwrap()
}

#[tokio::test]
async fn registration_mails_a_link_and_a_code_to_the_new_address_and_the_link_proves_it_once() {
    let w = World::new();
    let ada = newcomer(&w, "ada").await;
    assert!(!ada.email_verified());
    let mail = proof_mail(&w).await;
    assert_eq!(mail.to, "ada@example.com");
    assert_eq!(mail.code.as_ref().unwrap().as_str().len(), 8, "the short code beside the link");
    let link = mail.link.clone().unwrap();
    assert!(link.starts_with("http://localhost:8000/ui/verify-email?token="), "{link}");
    assert_eq!(token_of(&mail).len(), 32, "128 bits in hex");
    let proved = w.emails.confirm_link(&w.from, &token_of(&mail)).await.unwrap();
    assert!(proved.email_verified());
    assert_eq!(proved.verified_email.as_deref(), Some("ada@example.com"));
    assert!(w.events(ada.id).contains(&"email_verified"));
    assert!(matches!(w.emails.confirm_link(&w.from, &token_of(&mail)).await, Err(Error::VerificationInvalid)));
    assert!(
        matches!(
            w.emails.confirm_code(&w.from, "ada@example.com", mail.code.as_ref().unwrap().as_str()).await,
            Err(Error::VerificationInvalid)
        ),
        "the code dies with its link"
    );
}

#[tokio::test]
async fn the_short_code_proves_the_address_typed_with_it_and_five_wrong_codes_kill_the_mail() {
    let w = World::new();
    newcomer(&w, "ada").await;
    let mail = proof_mail(&w).await;
    let right = mail.code.as_ref().unwrap().as_str().to_owned();
    let wrong = if right == "00000000" { "11111111" } else { "00000000" };
    assert!(matches!(w.emails.confirm_code(&w.from, "bob@example.com", &right).await, Err(Error::VerificationInvalid)));
    assert!(
        w.emails.confirm_code(&w.from, "ADA@example.com", &right).await.unwrap().email_verified(),
        "addresses are read as stored"
    );

    let w = World::new();
    newcomer(&w, "ada").await;
    let right = proof_mail(&w).await.code.as_ref().unwrap().as_str().to_owned();
    for _ in 0..5 {
        assert!(matches!(
            w.emails.confirm_code(&w.from, "ada@example.com", wrong).await,
            Err(Error::VerificationInvalid)
        ));
    }
    assert!(
        matches!(w.emails.confirm_code(&w.from, "ada@example.com", &right).await, Err(Error::VerificationInvalid)),
        "dead after five wrong codes"
    );
    let mail = proof_mail(&w).await;
    assert!(
        matches!(w.emails.confirm_link(&w.from, &token_of(&mail)).await, Err(Error::VerificationInvalid)),
        "its link with it"
    );
}

#[tokio::test]
async fn a_mailed_proof_expires_after_its_lifetime() {
    let w = World::new();
    newcomer(&w, "ada").await;
    let mail = proof_mail(&w).await;
    w.clock.advance(Duration::from_secs(24 * 3600));
    assert!(matches!(w.emails.confirm_link(&w.from, &token_of(&mail)).await, Err(Error::VerificationInvalid)));
    assert!(matches!(
        w.emails.confirm_code(&w.from, "ada@example.com", mail.code.as_ref().unwrap().as_str()).await,
        Err(Error::VerificationInvalid)
    ));
}

#[tokio::test]
async fn malformed_or_unknown_tokens_prove_nothing() {
    let w = World::new();
    newcomer(&w, "ada").await;
    for bad in ["", "nope", &"0".repeat(32), &"A".repeat(32)] {
        assert!(matches!(w.emails.confirm_link(&w.from, bad).await, Err(Error::VerificationInvalid)), "{bad:?}");
    }
    for (email, code) in [("not an email", "12345678"), ("ada@example.com", "12"), ("ada@example.com", "abcdefgh")] {
        assert!(
            matches!(w.emails.confirm_code(&w.from, email, code).await, Err(Error::VerificationInvalid)),
            "{email} {code}"
        );
    }
}

#[tokio::test]
async fn a_proof_mailed_to_an_address_the_user_changed_since_proves_nothing_and_the_new_address_gets_its_own() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    let caller = caller_of(&w, "ada").await;
    let to_new = ProfileChanges {
        email: Some("ada@new.example.com".into()),
        current_password: Some(pw(GOOD_PASSWORD)),
        ..Default::default()
    };
    let changed = w.accounts.update_me(&caller, to_new).await.unwrap();
    assert!(!changed.email_verified(), "a new address is unproved");
    assert_eq!(changed.mail_to(), "ada@example.com", "mail goes on to the proved one");
    let first = proof_mail(&w).await;
    assert_eq!(first.to, "ada@new.example.com");
    let back = ProfileChanges {
        email: Some("ada@other.example.com".into()),
        current_password: Some(pw(GOOD_PASSWORD)),
        ..Default::default()
    };
    w.accounts.update_me(&caller, back).await.unwrap();
    assert!(
        matches!(w.emails.confirm_link(&w.from, &token_of(&first)).await, Err(Error::VerificationInvalid)),
        "that address is no longer the user's"
    );
    let second = proof_mail(&w).await;
    assert_eq!(second.to, "ada@other.example.com");
    let proved = w.emails.confirm_link(&w.from, &token_of(&second)).await.unwrap();
    assert_eq!((proved.id, proved.mail_to()), (ada.id, "ada@other.example.com"));
}

#[tokio::test]
async fn login_codes_go_to_the_last_proved_address_until_a_new_one_is_proved() {
    let w2 = World::new();
    w2.register("ada", false).await;
    let caller = caller_of(&w2, "ada").await;
    let to_new = ProfileChanges {
        email: Some("ada@new.example.com".into()),
        is_2fa: Some(true),
        current_password: Some(pw(GOOD_PASSWORD)),
        ..Default::default()
    };
    w2.accounts.update_me(&caller, to_new).await.unwrap();
    crate::testing::world::temporary(&w2, "ada").await;
    let login_mail = w2.messages().await.into_iter().rev().find(|m| m.kind == MessageKind::LoginCode).unwrap();
    assert_eq!(login_mail.to, "ada@example.com", "not the unproved new address");
    let proof = proof_mail(&w2).await;
    w2.emails.confirm_link(&w2.from, &token_of(&proof)).await.unwrap();
    w2.clock.advance(Duration::from_secs(300));
    crate::testing::world::temporary(&w2, "ada").await;
    let login_mail = w2.messages().await.into_iter().rev().find(|m| m.kind == MessageKind::LoginCode).unwrap();
    assert_eq!(login_mail.to, "ada@new.example.com", "the new address once proved");
}

#[tokio::test]
async fn proving_an_address_takes_it_from_whoever_proved_it_before() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    let caller = caller_of(&w, "ada").await;
    let away = ProfileChanges {
        email: Some("ada@new.example.com".into()),
        current_password: Some(pw(GOOD_PASSWORD)),
        ..Default::default()
    };
    w.accounts.update_me(&caller, away).await.unwrap();
    let newcomer = w
        .accounts
        .register(
            &w.from,
            crate::account::Registration { email: "ada@example.com".into(), ..World::form("eve", false) },
        )
        .await
        .unwrap();
    let mail = w
        .messages()
        .await
        .into_iter()
        .rev()
        .find(|m| m.kind == MessageKind::EmailVerification && m.to == "ada@example.com")
        .unwrap();
    assert_eq!(w.emails.confirm_link(&w.from, &token_of(&mail)).await.unwrap().id, newcomer.id);
    let ada_now = w.db.tables().users[&ada.id].user.clone();
    assert_eq!(ada_now.verified_email, None, "ada no longer gets mail at an address that is eve's");
}

#[tokio::test]
async fn a_new_mail_waits_for_the_cooldown_is_limited_per_hour_and_is_refused_once_proved() {
    let w = World::new();
    newcomer(&w, "ada").await;
    let caller = caller_of(&w, "ada").await;
    match w.emails.resend(&caller).await {
        Err(Error::ResendCooldown { retry_after }) => assert_eq!(retry_after, Duration::from_secs(30)),
        other => panic!("within the registration mail's cooldown: {other:?}"),
    }
    for _ in 0..6 {
        w.clock.advance(Duration::from_secs(30));
        w.emails.resend(&caller).await.unwrap();
    }
    w.clock.advance(Duration::from_secs(30));
    assert!(matches!(w.emails.resend(&caller).await, Err(Error::RateLimited { .. })), "six an hour");
    let mail = proof_mail(&w).await;
    w.emails.confirm_link(&w.from, &token_of(&mail)).await.unwrap();
    w.clock.advance(Duration::from_secs(3600));
    assert!(matches!(w.emails.resend(&caller).await, Err(Error::AlreadyVerified)));
}

#[tokio::test]
async fn changing_the_address_tells_the_old_one_and_asks_the_new_one_to_prove_itself() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    let caller = caller_of(&w, "ada").await;
    let change = ProfileChanges {
        email: Some("ada@new.example.com".into()),
        current_password: Some(pw(GOOD_PASSWORD)),
        ..Default::default()
    };
    w.accounts.update_me(&caller, change).await.unwrap();
    let mails = w.messages().await;
    let notice = mails.iter().find(|m| m.kind == MessageKind::EmailChanged).expect("a notice");
    assert_eq!(notice.to, "ada@example.com", "to the old, proved address");
    assert!(notice.code.is_none(), "a notice carries no code");
    assert_eq!(notice.link.as_deref(), Some("http://localhost:8000/ui/reset"));
    assert!(mails.iter().any(|m| m.kind == MessageKind::EmailVerification && m.to == "ada@new.example.com"));

    // An administrator's change does the same.
    w.admin("root").await;
    let root = caller_of(&w, "root").await;
    let by_admin = crate::admin::AdminChanges {
        profile: ProfileChanges { email: Some("ada@third.example.com".into()), ..Default::default() },
        ..Default::default()
    };
    w.admin.update_user(&root, ada.id, by_admin).await.unwrap();
    let mails = w.messages().await;
    let notices: Vec<&str> =
        mails.iter().filter(|m| m.kind == MessageKind::EmailChanged).map(|m| m.to.as_str()).collect();
    assert_eq!(notices, ["ada@example.com", "ada@example.com"], "still the last proved address");
    assert!(mails.iter().any(|m| m.kind == MessageKind::EmailVerification && m.to == "ada@third.example.com"));
}

#[tokio::test]
async fn with_verified_email_required_a_right_password_and_an_unproved_address_is_refused_after_the_check() {
    let w = World::with_policy(crate::policy::Policy { require_verified_email: true, ..Default::default() });
    newcomer(&w, "ada").await;
    let wrong = w.login.login(&w.from, "ada", &pw("not-the-password-1")).await;
    assert!(matches!(wrong, Err(Error::InvalidCredentials)), "a guesser learns nothing: {wrong:?}");
    let right = w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await;
    assert!(matches!(right, Err(Error::EmailUnverified)), "{right:?}");
    let proofs = |mails: Vec<Message>| mails.iter().filter(|m| m.kind == MessageKind::EmailVerification).count();
    assert_eq!(proofs(w.messages().await), 1, "within the registration mail's cooldown: no second");
    w.clock.advance(Duration::from_secs(30));
    assert!(matches!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await, Err(Error::EmailUnverified)));
    assert_eq!(proofs(w.messages().await), 2, "a refused login sends a fresh link after the cooldown");
    let mail = proof_mail(&w).await;
    w.emails.confirm_link(&w.from, &token_of(&mail)).await.unwrap();
    assert!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await.is_ok(), "once proved");
    let open = crate::policy::Policy::default();
    let w = World::with_policy(open);
    newcomer(&w, "bob").await;
    assert!(w.login.login(&w.from, "bob", &pw(GOOD_PASSWORD)).await.is_ok(), "off by default");
}

#[tokio::test]
async fn an_administrator_marks_an_address_proved_taking_it_from_others_or_forgets_it() {
    let w = World::new();
    w.admin("root").await;
    let root = caller_of(&w, "root").await;
    let ada = newcomer(&w, "ada").await;
    let mark = |proved: bool| crate::admin::AdminChanges { email_verified: Some(proved), ..Default::default() };
    let marked = w.admin.update_user(&root, ada.id, mark(true)).await.unwrap();
    assert!(marked.email_verified());
    let forgot = w.admin.update_user(&root, ada.id, mark(false)).await.unwrap();
    assert_eq!(forgot.verified_email, None);
    assert!(w.events(ada.id).contains(&"user_updated_by_admin"));
}
