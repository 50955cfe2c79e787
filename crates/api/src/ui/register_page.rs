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
    /// A refusal that is no one field's (a limit, the database).
    error: Option<String>,
    /// Each field at fault (`email`, `password`, `confirm`, …) with why.
    faults: Vec<(String, String)>,
}

impl RegisterPage<'_> {
    /// Why `field` was refused, if it was.
    fn fault(&self, field: &str) -> Option<&str> {
        self.faults.iter().find(|(f, _)| f == field).map(|(_, why)| why.as_str())
    }
}

#[handler]
pub async fn register_form(visitor: Visitor) -> Response {
    if visitor.caller().is_some() {
        return redirect("/ui/account");
    }
    let empty = RegisterForm::default();
    page(StatusCode::OK, &RegisterPage { csrf: visitor.csrf_token(), form: &empty, error: None, faults: vec![] })
}

#[handler]
pub async fn register_submit(
    visitor: Visitor,
    accounts: Use<'_, Accounts>,
    client: ClientAddr,
    Form(mut form): Form<RegisterForm>,
) -> Response {
    // Logged in meanwhile (in another tab): nothing to do but go on.
    if visitor.caller().is_some() {
        return redirect(visitor.after_login());
    }
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let password = SecretString::from(std::mem::take(&mut form.password));
    let confirm = SecretString::from(std::mem::take(&mut form.confirm));
    let phone = form.phone.trim();
    let registration = Registration {
        email: form.email.clone(),
        username: form.username.clone(),
        name: form.name.clone(),
        lastname: form.lastname.clone(),
        phone: (!phone.is_empty()).then(|| phone.to_owned()),
        password,
        is_2fa: form.mailed_codes.is_some(),
    };
    // Every field's fault at once, each beside its field; then what only
    // registering can tell (a taken email or username, a limit).
    let mut faults = registration.faults();
    if registration.password.expose_secret() != confirm.expose_secret() {
        faults.push(domain::Error::PasswordMismatch);
    }
    let refused = match faults.is_empty() {
        true => match accounts.register(&client.0, registration).await {
            Ok(_) => {
                visitor.remember_name(&form.username);
                return redirect("/ui/login?done=registered");
            }
            Err(e) => vec![e],
        },
        false => faults,
    };
    let problems: Vec<Problem> = refused.into_iter().map(Problem::from).collect();
    let (by_field, other): (Vec<&Problem>, Vec<&Problem>) = problems.iter().partition(|p| field_of(p).is_some());
    let shown = RegisterPage {
        csrf: visitor.csrf_token(),
        form: &form,
        error: other.first().map(|p| sentence(p)),
        faults: by_field.iter().map(|p| (field_of(p).unwrap_or_default().to_owned(), render::reason(p))).collect(),
    };
    page_showing(problems.first(), &shown)
}

/// The form field a refusal is about: its own, or the confirmation's for a
/// mismatch, the email's or username's for one already taken.
fn field_of(p: &Problem) -> Option<&str> {
    match p.code.as_str() {
        "password_mismatch" => Some("confirm"),
        "email_taken" => Some("email"),
        "username_taken" => Some("username"),
        _ => p.field.as_deref(),
    }
}
