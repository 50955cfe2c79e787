//! `/api/v1/auth/reauthenticate`: proving who one is again from a live
//! session, to renew its `auth_time` (and raise or set its `acr`) before a
//! sensitive change. The same factors, tries and lockout as a login.

use domain::assurance::{Factor, StepUp};
use domain::otp::Method;
use domain::token::TokenPair;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use secrecy::SecretString;
use serde_json::Value;

use crate::http::client_addr::ClientAddr;
use crate::http::error::ApiResult;
use crate::http::security::EnrolAuth;
use crate::http::state::Use;
use crate::v1::body_fields::Text;
use crate::v1::login_body::TokenPairBody;
use crate::v1::shared::{ApiTags, CodeStatusBody, OptionsBody, OptionsResponse, options};
use crate::v1::words::MethodWord;

/// What proves who the caller is: the password, a second factor (`otp`
/// with its `method`, or a passkey's `credential`), or both; or a sending
/// `method` alone, to be sent a code.
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct ReauthBody {
    /// The account's password.
    #[oai(validator(max_length = 1024))]
    pub password: Option<Text>,
    /// The second factor: `totp`, `recovery_code`, or the channel a code
    /// was sent on (`email`, `sms`, `whatsapp`). Alone, a sending method
    /// asks for a code (202).
    pub method: Option<MethodWord>,
    /// The code, with `method` (default: the code sent for this step-up,
    /// else the authenticator app's).
    #[oai(validator(max_length = 64))]
    pub otp: Option<Text>,
    /// What `PublicKeyCredential.toJSON()` returned for
    /// `navigator.credentials.get` with the options of
    /// `/auth/reauthenticate/passkey-options`.
    pub credential: Option<Value>,
}

#[derive(ApiResponse)]
pub enum ReauthResponse {
    /// Proved: the session's new pair (its `auth_time` now, `amr` and
    /// `acr` what was proved now). The refresh token presented before is
    /// spent: presenting it again ends the session, as any reused one does.
    #[oai(status = 200)]
    Ok(Json<TokenPairBody>),
    /// A code is on its way for this step-up.
    #[oai(status = 202)]
    Sent(Json<CodeStatusBody>),
}

pub struct ReauthApi;

#[OpenApi(prefix_path = "/auth/reauthenticate", tag = "ApiTags::Auth")]
impl ReauthApi {
    /// Prove who you are again
    ///
    /// With `{password}`: the session is proved now at `aal1`. With a
    /// second factor too (`{password, method, otp}` or `{password,
    /// credential}`), at `aal2`; a passkey alone is `aal2` as well, a code
    /// alone `aal1`. `{method}` alone, for `email`, `sms` or `whatsapp`,
    /// sends a code (202) under the usual cooldown. Wrong answers count
    /// against the account's lockout, as at login.
    #[oai(path = "/", method = "post")]
    async fn reauthenticate(
        &self,
        step_up: Use<'_, StepUp>,
        client: ClientAddr,
        caller: EnrolAuth,
        body: Json<ReauthBody>,
    ) -> ApiResult<ReauthResponse> {
        let b = body.0;
        let password = b.password.map(SecretString::from);
        let credential = b.credential.map(|c| c.to_string());
        let method = b.method.map(Method::from);
        let factor = match (&credential, &b.otp, method) {
            (Some(_), Some(_), _) => return Err(invalid("credential", "give a code or a passkey, not both").into()),
            (Some(c), None, _) => Some(Factor::Passkey(c)),
            (None, Some(code), method) => Some(Factor::Code { method, code: &code.0 }),
            (None, None, Some(m)) if password.is_none() && m.channel().is_some() => {
                let status = step_up.send_code(&caller.0, m).await?;
                return Ok(ReauthResponse::Sent(Json(status.into())));
            }
            (None, None, Some(_)) => return Err(invalid("otp", "the code is missing").into()),
            (None, None, None) => None,
        };
        let pair: TokenPair = step_up.reauthenticate(&client.0, &caller.0, password.as_ref(), factor).await?;
        Ok(ReauthResponse::Ok(Json(pair.into())))
    }

    /// Begin proving who you are again with a passkey
    ///
    /// Options for `navigator.credentials.get` listing the caller's
    /// passkeys; each call replaces the session's earlier ones.
    #[oai(path = "/passkey-options", method = "post")]
    async fn passkey_options(&self, step_up: Use<'_, StepUp>, caller: EnrolAuth) -> ApiResult<OptionsResponse> {
        let text = step_up.passkey_options(&caller.0).await?;
        Ok(OptionsResponse::Ok(Json(OptionsBody { options: options(&text)? })))
    }
}

fn invalid(field: &'static str, reason: &str) -> domain::Error {
    domain::Error::InvalidField { field, reason: reason.to_owned() }
}
