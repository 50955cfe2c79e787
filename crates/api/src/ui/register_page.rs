//! Registering at the pages: [`Accounts::register`] under the same
//! per-address limit as `POST /users/registration`.

use crate::http::state::Use;
use askama::Template;
use domain::account::{Accounts, Registration};
use poem::http::StatusCode;
use poem::web::Form;
use poem::{Response, handler};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::browser::Visitor;
use super::render::{self, page, page_showing, redirect, sentence};
use crate::http::client_addr::ClientAddr;
use crate::http::error::Problem;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    csrf: String,
    email: String,
    username: String,
    name: String,
    lastname: String,
    phone: String,
    password: String,
    confirm: String,
    /// A checkbox: present (`on`) when ticked.
    mailed_codes: Option<String>,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    csrf: String,
    form: &'a RegisterForm,
    error: Option<String>,
    /// The field at fault, to mark it.
    field: Option<String>,
}

#[handler]
pub async fn register_form(visitor: Visitor) -> Response {
    if visitor.caller().is_some() {
        return redirect("/ui/account");
    }
    let empty = RegisterForm::default();
    page(StatusCode::OK, &RegisterPage { csrf: visitor.csrf_token(), form: &empty, error: None, field: None })
}

#[handler]
pub async fn register_submit(
    visitor: Visitor,
    accounts: Use<'_, Accounts>,
    client: ClientAddr,
    Form(mut form): Form<RegisterForm>,
) -> Response {
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let password = SecretString::from(std::mem::take(&mut form.password));
    let confirm = SecretString::from(std::mem::take(&mut form.confirm));
    let done = async {
        if password.expose_secret() != confirm.expose_secret() {
            return Err(domain::Error::PasswordMismatch);
        }
        let phone = form.phone.trim();
        accounts
            .register(
                &client.0,
                Registration {
                    email: form.email.clone(),
                    username: form.username.clone(),
                    name: form.name.clone(),
                    lastname: form.lastname.clone(),
                    phone: (!phone.is_empty()).then(|| phone.to_owned()),
                    password,
                    is_2fa: form.mailed_codes.is_some(),
                },
            )
            .await
    };
    match done.await {
        Ok(_) => redirect("/ui/login?done=registered"),
        Err(e) => {
            let p = Problem::from(e);
            let shown = RegisterPage {
                csrf: visitor.csrf_token(),
                form: &form,
                error: Some(sentence(&p)),
                field: p.field.clone(),
            };
            page_showing(Some(&p), &shown)
        }
    }
}
