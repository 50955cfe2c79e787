//! What an authorization request needs next, from the browser's session
//! and the consent on record: a login, a fresh proof, a consent, a code,
//! or a refusal for the client. The pages carry each step out and come back
//! here until the answer is a code; `prompt=none` gets an answer at once
//! (OpenID Connect Core §3.1.2.1, §3.1.2.6).

use chrono::{DateTime, Utc};

use super::client::{Client, Scope};
use super::request::{AuthorizeRequest, OAuthError, Sent};
use crate::assurance::{Acr, Assurance};

/// The browser's session, as far as the request is concerned.
#[derive(Debug, Clone, Copy)]
pub struct BrowserSession {
    pub assurance: Assurance,
    /// Whether its user has a second factor to step up with.
    pub has_second_factor: bool,
}

/// A user's consent to a client, on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub scopes: Vec<Scope>,
    pub granted_at: DateTime<Utc>,
}

/// The next step of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No session: the login page, then back.
    Login,
    /// A session, but its proof is too old (`prompt=login`, `max_age`) or
    /// too weak (`acr_values=aal2`): "Confirm it is you", then back.
    Reauthenticate,
    /// The session may only enrol a second factor (`AUTHD_REQUIRE_2FA`).
    Enrol,
    /// The consent page.
    Consent,
    /// Everything is met: issue the code.
    Code,
    /// Tell the client why not.
    Refuse(Sent),
}

/// The step `request` (from `client`) needs at `now`.
pub fn next_step(
    request: &AuthorizeRequest,
    client: &Client,
    session: Option<BrowserSession>,
    consent: Option<&Consent>,
    now: DateTime<Utc>,
) -> Step {
    let interactive = |step: Step, silent: OAuthError, why: &str| {
        if request.prompt.none { Step::Refuse(request.refused(silent, why)) } else { step }
    };
    let Some(session) = session else {
        return interactive(Step::Login, OAuthError::LoginRequired, "no session");
    };
    let proof = session.assurance;
    if proof.second_factor_due {
        return interactive(Step::Enrol, OAuthError::InteractionRequired, "a second factor must be enrolled first");
    }
    // Whole seconds: an `auth_time` claim is one, and a login in the
    // request's own second meets `prompt=login`.
    let since_request = proof.auth_time.timestamp() >= request.created_at.timestamp();
    let too_old = request.max_age.is_some_and(|max| {
        now.timestamp().saturating_sub(proof.auth_time.timestamp()) > i64::try_from(max).unwrap_or(i64::MAX)
    });
    if (request.prompt.login && !since_request) || too_old {
        return interactive(Step::Reauthenticate, OAuthError::LoginRequired, "a fresh login is required");
    }
    if request.wants_aal2 && proof.acr() < Acr::Aal2 {
        if !session.has_second_factor {
            let why = "acr_values=aal2 asks for a second factor, and the user has none";
            return Step::Refuse(request.refused(OAuthError::UnmetAuthenticationRequirements, why));
        }
        return interactive(Step::Reauthenticate, OAuthError::InteractionRequired, "a second factor is required");
    }
    if !client.skip_consent && !consented(request, consent) {
        return interactive(Step::Consent, OAuthError::ConsentRequired, "the user has not consented");
    }
    Step::Code
}

/// Whether `consent` covers every scope asked for, and, under
/// `prompt=consent`, was given since the request came.
fn consented(request: &AuthorizeRequest, consent: Option<&Consent>) -> bool {
    consent.is_some_and(|c| {
        let covers = request.scopes.iter().all(|s| c.scopes.contains(s));
        covers && (!request.prompt.consent || c.granted_at.timestamp() >= request.created_at.timestamp())
    })
}
