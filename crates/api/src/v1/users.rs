//! `/api/v1/users`: registration and the caller's own account.

use crate::http::state::Use;
use domain::account::{Accounts, Registration};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use secrecy::SecretString;

use crate::http::client_addr::ClientAddr;
use crate::http::error::ApiResult;
use crate::http::security::{AccessAuth, EnrolAuth};
use crate::v1::body_fields::{Omittable, Text};
use crate::v1::shared::{ApiTags, NoContent, OneUser, PasswordBody, UserBody, profile_patch_body};

/// A new account.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RegistrationBody {
    /// Up to 254 characters; stored lower-cased.
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: Text,
    /// 3 to 32 of `a-z 0-9 . _ -`, starting with a letter or digit; stored lower-cased.
    #[oai(validator(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"))]
    pub username: Text,
    /// 1 to 100 characters, not only spaces, no control characters.
    #[oai(validator(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"
    ))]
    pub name: Text,
    /// 1 to 100 characters, not only spaces, no control characters.
    #[oai(validator(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"
    ))]
    pub lastname: Text,
    /// 8 to 128 characters, not common or guessable.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: Text,
    /// Optional, in international form (`+14155550132`); unverified until
    /// a code sent to it is confirmed.
    #[oai(validator(max_length = 32, pattern = r"^\+"))]
    pub phone: Omittable<Text>,
    /// Ask for a second factor at every login (a sent code, unless an
    /// authenticator app is set up).
    #[oai(default)]
    pub is_2fa: bool,
}

profile_patch_body! {
    /// Fields to change; absent or null fields stay as they are, except
    /// `phone`, which `null` removes.
    pub struct PatchMeBody {
        /// The current password: required when `is_2fa` goes from true to
        /// false, or `email` or `phone` changes (`password_required`
        /// otherwise). Other fields need none.
        #[oai(validator(max_length = 1024))]
        pub password: Omittable<Text>,
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ChangePasswordBody {
    #[oai(validator(max_length = 1024))]
    pub current_password: Text,
    /// The new password: 8 to 128 characters, not common or guessable.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: Text,
    /// The new password again.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub confirm_password: Text,
}

#[derive(Debug, Object)]
pub struct MessageBody {
    pub message: String,
}

#[derive(ApiResponse)]
pub enum CreatedUser {
    /// The account exists.
    #[oai(status = 201)]
    Created(Json<UserBody>),
}

#[derive(ApiResponse)]
pub enum Message {
    #[oai(status = 200)]
    Ok(Json<MessageBody>),
}

pub struct UsersApi;

#[OpenApi(prefix_path = "/users", tag = "ApiTags::Users")]
impl UsersApi {
    /// Create an account
    #[oai(path = "/registration", method = "post")]
    async fn register(
        &self,
        accounts: Use<'_, Accounts>,
        client: ClientAddr,
        body: Json<RegistrationBody>,
    ) -> ApiResult<CreatedUser> {
        let b = body.0;
        let user = accounts
            .register(
                &client.0,
                Registration {
                    email: b.email.into(),
                    username: b.username.into(),
                    name: b.name.into(),
                    lastname: b.lastname.into(),
                    phone: b.phone.into_string(),
                    password: SecretString::from(b.password),
                    is_2fa: b.is_2fa,
                },
            )
            .await?;
        Ok(CreatedUser::Created(Json(user.into())))
    }

    /// The caller's account
    #[oai(path = "/me", method = "get")]
    async fn me(&self, accounts: Use<'_, Accounts>, caller: EnrolAuth) -> ApiResult<OneUser> {
        Ok(OneUser::Ok(Json(accounts.me(&caller.0).await?.into())))
    }

    /// Change the caller's profile
    ///
    /// Switching the second factor off or changing the email or phone also
    /// needs the current `password`: an access token alone cannot weaken
    /// the login it came from.
    #[oai(path = "/me", method = "patch")]
    async fn patch_me(
        &self,
        accounts: Use<'_, Accounts>,
        caller: EnrolAuth,
        body: Json<PatchMeBody>,
    ) -> ApiResult<OneUser> {
        let mut b = body.0;
        let password = b.password.0.take().map(SecretString::from);
        let changes = b.take_profile(password);
        Ok(OneUser::Ok(Json(accounts.update_me(&caller.0, changes).await?.into())))
    }

    /// Delete the caller's account
    ///
    /// Needs the password. Every session and pending code of the account goes with it.
    #[oai(path = "/me", method = "delete")]
    async fn delete_me(
        &self,
        accounts: Use<'_, Accounts>,
        caller: AccessAuth,
        body: Json<PasswordBody>,
    ) -> ApiResult<NoContent> {
        accounts.delete_me(&caller.0, &SecretString::from(body.0.password)).await?;
        Ok(NoContent::Done)
    }

    /// Change the caller's password
    ///
    /// Every other session of the account is revoked; this one stays.
    #[oai(path = "/change-password", method = "post")]
    async fn change_password(
        &self,
        accounts: Use<'_, Accounts>,
        caller: AccessAuth,
        body: Json<ChangePasswordBody>,
    ) -> ApiResult<Message> {
        let b = body.0;
        accounts
            .change_password(
                &caller.0,
                &SecretString::from(b.current_password),
                &SecretString::from(b.password),
                &SecretString::from(b.confirm_password),
            )
            .await?;
        Ok(Message::Ok(Json(MessageBody { message: "Password updated".into() })))
    }
}
