//! The OpenID Connect authorization endpoint, on the pages' side: it needs
//! the browser's session. `GET/POST /oauth2/authorize` checks the request
//! ([`Authorizations`]); a person who must log in, prove themselves again
//! or enrol a second factor is sent to that page with the request's id in
//! a cookie, and a finished login comes back to `/ui/authorize`; the
//! consent page (`/ui/consent`) asks once per client and scope set.
//!
//! The way back to the client: a `302` from `/oauth2/authorize` itself (a
//! navigation the client started), but after one of our forms a `200` page
//! that sends the browser on with `<meta http-equiv="refresh">`, a new
//! navigation: Chromium holds every redirect of a form's submission to the
//! submitting page's CSP `form-action 'self'`, so a `303` chain from our
//! form to the client's address would be blocked.

use askama::Template;
use domain::oidc::{Answer, Authorizations, AuthorizeParams, Pending, Scope, Step};
use poem::http::{StatusCode, header};
use poem::web::{Form, Query};
use poem::{Response, handler};
use serde::Deserialize;

use super::browser::Visitor;
use super::render::{self, MessagePage, page, redirect};
use crate::http::state::Use;

/// How long the browser remembers the request it logs in for: as long as
/// the request lives.
const REQUEST_COOKIE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    csrf: String,
    request: String,
    client: String,
    username: String,
    scopes: Vec<&'static str>,
    /// Where the answer goes: the redirect URI's host (or a native app's scheme).
    destination: String,
}

#[derive(Template)]
#[template(path = "to_client.html")]
pub(crate) struct ToClientPage<'a> {
    pub url: &'a str,
    pub message: &'a str,
}

/// What a consent page says each scope gives the client.
fn scope_words(scope: Scope) -> &'static str {
    match scope {
        Scope::Openid => "Who you are: your account's id, and how and when you signed in",
        Scope::Profile => "Your name and username",
        Scope::Email => "Your email address, and whether it is confirmed",
        Scope::Phone => "Your phone number, and whether it is confirmed",
        Scope::OfflineAccess => "Access while you are away (until you sign out everywhere)",
    }
}

/// The host a redirect URI names, or a native app's scheme.
fn destination(uri: &str) -> String {
    match uri.split_once("://") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or(rest).to_owned(),
        None => uri.split(':').next().unwrap_or(uri).to_owned(),
    }
}

/// How the answer reaches the browser: `after_form` when a form of ours
/// led here (see the module's note).
fn answer(visitor: &mut Visitor, result: domain::Result<Answer>, after_form: bool) -> Response {
    match result {
        Ok(Answer::ToClient(url)) => {
            visitor.authorized();
            if after_form {
                let message = "You are being sent back to the application that asked you to sign in.";
                page(StatusCode::OK, &ToClientPage { url: &url, message })
            } else {
                Response::builder().status(StatusCode::FOUND).header(header::LOCATION, url).finish()
            }
        }
        Ok(Answer::Shown(why)) => {
            visitor.authorized();
            let shown =
                MessagePage { title: "Sign-in refused", message: why.into(), link: "/ui", link_text: "To authd" };
            page(StatusCode::BAD_REQUEST, &shown)
        }
        Ok(Answer::Interact { request, step }) => {
            visitor.authorize_after_login(request, REQUEST_COOKIE);
            match step {
                Step::Login => redirect("/ui/login"),
                Step::Reauthenticate => redirect("/ui/reauthenticate?done=app_asks"),
                Step::Enrol => redirect("/ui/account"),
                Step::Consent => redirect(&format!("/ui/consent?request={request}")),
                Step::Code | Step::Refuse(_) => {
                    render::failure_page(domain::Error::internal("a final step kept").into())
                }
            }
        }
        Err(e) => render::failure_page(e.into()),
    }
}

/// `GET /oauth2/authorize`.
#[handler]
pub async fn authorize_get(
    mut visitor: Visitor,
    authorizations: Use<'_, Authorizations>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    let result = authorizations.authorize(&params, visitor.caller()).await;
    answer(&mut visitor, result, false)
}

/// `POST /oauth2/authorize` (OpenID Connect Core §3.1.2.1: the same
/// parameters, form-encoded). An application's form posts from its own
/// site, so the browser sends no cookie of ours (`SameSite=Lax`): the
/// request goes on as the `GET` (a `303`, a top-level navigation, which
/// carries them), or a signed-in person would be asked to log in again and
/// `prompt=none` would answer `login_required`.
#[handler]
pub async fn authorize_post(Form(params): Form<AuthorizeParams>) -> Response {
    let to = format!("/oauth2/authorize?{}", params.to_query());
    Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to).finish()
}

/// `GET /ui/authorize`: the request this browser logged in for, taken up again.
#[handler]
pub async fn resume(mut visitor: Visitor, authorizations: Use<'_, Authorizations>) -> Response {
    let Some(request) = visitor.authorizing() else {
        return redirect("/ui/account");
    };
    let result = authorizations.resume(request, visitor.caller()).await;
    answer(&mut visitor, result, true)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestQuery {
    request: String,
}

/// `GET /ui/consent?request=…`.
#[handler]
pub async fn consent_form(
    mut visitor: Visitor,
    authorizations: Use<'_, Authorizations>,
    accounts: Use<'_, domain::account::Accounts>,
    Query(q): Query<RequestQuery>,
) -> Response {
    let caller = match visitor.require_caller() {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
    };
    let Ok(id) = q.request.parse() else { return answer(&mut visitor, Ok(expired()), true) };
    let pending = match authorizations.pending(id).await {
        Ok(Some(p)) => p,
        Ok(None) => return answer(&mut visitor, Ok(expired()), true),
        Err(e) => return render::failure_page(e.into()),
    };
    let username = match accounts.me(&caller).await {
        Ok(user) => user.username,
        Err(e) => return render::failure_page(e.into()),
    };
    let Pending { request, client } = pending;
    let shown = ConsentPage {
        csrf: visitor.csrf_token(),
        request: id.to_string(),
        client: client.name,
        username,
        scopes: request.scopes.iter().map(|s| scope_words(*s)).collect(),
        destination: destination(&request.redirect_uri),
    };
    page(StatusCode::OK, &shown)
}

fn expired() -> Answer {
    Answer::Shown(
        "That sign-in request has expired or was already answered. Go back to the application and start again.",
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConsentForm {
    csrf: String,
    request: String,
    answer: String,
}

/// `POST /ui/consent`: allow or deny, then back to the client.
#[handler]
pub async fn consent_submit(
    mut visitor: Visitor,
    authorizations: Use<'_, Authorizations>,
    Form(form): Form<ConsentForm>,
) -> Response {
    let caller = match visitor.check_form(&form.csrf).and_then(|()| visitor.require_caller()) {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
    };
    let Ok(id) = form.request.parse() else { return answer(&mut visitor, Ok(expired()), true) };
    let result = authorizations.answer_consent(id, &caller, form.answer == "allow").await;
    answer(&mut visitor, result, true)
}

#[cfg(test)]
mod tests {
    use super::destination;

    #[test]
    fn the_consent_page_names_the_host_or_the_apps_scheme() {
        assert_eq!(destination("https://app.example.com:8443/cb?x=1"), "app.example.com:8443");
        assert_eq!(destination("http://127.0.0.1:9000/cb"), "127.0.0.1:9000");
        assert_eq!(destination("com.example.app:/oauth2redirect"), "com.example.app");
    }
}
