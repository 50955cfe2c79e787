//! RP-initiated logout on the pages' side (OpenID Connect RP-Initiated
//! Logout 1.0). `GET /oauth2/logout` checks the application's request
//! ([`Logouts::check`]); a request that is not known good is an error page,
//! never a redirect. A person signed in here is asked to confirm on a page
//! of ours, whose form (`POST /ui/logout/app`, with the CSRF token) ends
//! the browser session and then goes back to the application's registered
//! address, with its `state`, by the same meta-refresh page the sign-in
//! uses (the pages' `form-action 'self'`). Nobody signed in: straight back.
//!
//! `POST /oauth2/logout` (an application's form, from its own site) carries
//! no cookie of ours (`SameSite=Lax`), so it is answered with a `303` to
//! the `GET` with the same parameters: a top-level navigation, which does.

use askama::Template;
use domain::oidc::{EndSession, LogoutParams, Logouts};
use poem::http::{StatusCode, header};
use poem::web::{Form, Query};
use poem::{Response, handler};
use serde::Deserialize;

use super::authorize_pages::ToClientPage;
use super::browser::Visitor;
use super::render::{self, MessagePage, page, redirect};
use crate::http::state::Use;

#[derive(Template)]
#[template(path = "logout_app.html")]
struct ConfirmPage {
    csrf: String,
    client: Option<String>,
    username: Option<String>,
    client_id: String,
    post_logout_redirect_uri: String,
    state: String,
}

fn refused(why: &str) -> Response {
    let shown = MessagePage { title: "Sign-out refused", message: why.into(), link: "/ui", link_text: "To authd" };
    page(StatusCode::BAD_REQUEST, &shown)
}

fn to_client(url: &str) -> Response {
    page(StatusCode::OK, &ToClientPage { url, message: "You are signed out. Sending you back to the application." })
}

/// `GET /oauth2/logout`.
#[handler]
pub async fn end_session_get(
    visitor: Visitor,
    logouts: Use<'_, Logouts>,
    accounts: Use<'_, domain::account::Accounts>,
    Query(params): Query<LogoutParams>,
) -> Response {
    let checked = match logouts.check(&params).await {
        Ok(Ok(checked)) => checked,
        Ok(Err(why)) => return refused(why),
        Err(e) => return render::failure_page(e.into()),
    };
    let Some(caller) = visitor.caller().copied() else {
        // Nobody to sign out here: back at once, or to the login page.
        return match checked.back_to {
            Some(url) => Response::builder().status(StatusCode::FOUND).header(header::LOCATION, url).finish(),
            None => redirect("/ui/login?done=logged_out"),
        };
    };
    let username = accounts.me(&caller).await.ok().map(|u| u.username);
    let EndSession { client, .. } = checked;
    let shown = ConfirmPage {
        csrf: visitor.csrf_token(),
        client_id: client.as_ref().map(|c| c.id.to_string()).unwrap_or_default(),
        client: client.map(|c| c.name),
        username,
        post_logout_redirect_uri: params.post_logout_redirect_uri.unwrap_or_default(),
        state: params.state.unwrap_or_default(),
    };
    page(StatusCode::OK, &shown)
}

/// `POST /oauth2/logout`: the same request, as a `GET` that carries our cookies.
#[handler]
pub async fn end_session_post(Form(params): Form<LogoutParams>) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, format!("/oauth2/logout?{}", params.to_query()))
        .finish()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    csrf: String,
    client_id: String,
    post_logout_redirect_uri: String,
    state: String,
    /// `sign_out` or `stay`.
    answer: String,
}

/// `POST /ui/logout/app`: the person's answer. The return address is
/// checked again (the form is the browser's to change).
#[handler]
pub async fn confirm(mut visitor: Visitor, logouts: Use<'_, Logouts>, Form(form): Form<ConfirmForm>) -> Response {
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let present = |s: String| Some(s).filter(|s| !s.is_empty());
    let params = LogoutParams {
        client_id: present(form.client_id),
        post_logout_redirect_uri: present(form.post_logout_redirect_uri),
        state: present(form.state),
        ..LogoutParams::default()
    };
    let checked = match logouts.check(&params).await {
        Ok(Ok(checked)) => checked,
        Ok(Err(why)) => return refused(why),
        Err(e) => return render::failure_page(e.into()),
    };
    if form.answer != "sign_out" {
        return redirect("/ui/account");
    }
    if let Some(caller) = visitor.caller().copied() {
        if let Err(e) = logouts.end(&caller).await {
            return render::failure_page(e.into());
        }
        visitor.end_session();
    }
    match checked.back_to {
        Some(url) => to_client(&url),
        None => redirect("/ui/login?done=logged_out"),
    }
}
