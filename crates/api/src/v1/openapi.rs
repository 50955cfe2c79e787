//! The JSON API as one OpenAPI service ([`service`]), and its document as
//! served at `/openapi.json`, saying two things
//! poem-openapi leaves out, and the methods of each path it describes:
//!
//! - request bodies that refuse unknown fields (`deny_unknown_fields`) get
//!   `additionalProperties: false`, so a client knows a typo is refused;
//! - the email fields of request bodies get `format: email`, which
//!   poem-openapi's validators cannot say (the domain's `Email::parse` is
//!   stricter still: a dotted domain, no spaces);
//! - a method a path does not have is answered 405 with an `Allow` header
//!   listing the ones it has (RFC 9110 §15.5.6).

use poem::http::HeaderValue;
use poem_openapi::OpenApiService;
use poem_openapi::types::Type;
use serde_json::Value;

use crate::http::layer::AllowedMethods;
use crate::v1::admin::{AdminApi, AdminPatchBody};
use crate::v1::apps::{AppPatchBody, AppsApi, NewAppBody};
use crate::v1::auth::{AuthApi, LogoutBody, OtpBody, RefreshBody, ResendRequest};
use crate::v1::clients::{ClientPatchBody, ClientsApi, NewClientBody};
use crate::v1::email::{EmailApi, EmailByCode, EmailByLink};
use crate::v1::fraud::FraudApi;
use crate::v1::passkeys::{AssertionBody, MyPasskeysApi, NewPasskeyBody, PasskeyLoginApi, RenameBody, SignInBody};
use crate::v1::phone::{PhoneApi, PhoneConfirmBody, PhoneVerifyBody};
use crate::v1::reauthenticate::{ReauthApi, ReauthBody};
use crate::v1::reset::{ResetApi, ResetByCode, ResetByLink, ResetRequestBody};
use crate::v1::second_factors::{ConfirmBody, SecondFactorsApi};
use crate::v1::sessions::MySessionsApi;
use crate::v1::shared::PasswordBody;
use crate::v1::trusted_devices::TrustedDevicesApi;
use crate::v1::users::{ChangePasswordBody, PatchMeBody, RegistrationBody, UsersApi};
use crate::v1::verifications::{CheckBody, NewVerificationBody, VerificationsApi};

/// Every operation of the API.
type Operations = (
    AuthApi,
    ReauthApi,
    ResetApi,
    EmailApi,
    UsersApi,
    MySessionsApi,
    TrustedDevicesApi,
    PhoneApi,
    SecondFactorsApi,
    MyPasskeysApi,
    PasskeyLoginApi,
    AdminApi,
    AppsApi,
    ClientsApi,
    FraudApi,
    VerificationsApi,
);

/// Every operation of the JSON API, in one OpenAPI service.
pub fn service() -> OpenApiService<Operations, ()> {
    OpenApiService::new((
        AuthApi,
        ReauthApi,
        ResetApi,
        EmailApi,
        UsersApi,
        MySessionsApi,
        TrustedDevicesApi,
        PhoneApi,
        SecondFactorsApi,
        MyPasskeysApi,
        PasskeyLoginApi,
        AdminApi,
        AppsApi,
        ClientsApi,
        FraudApi,
        VerificationsApi,
    ), "authd", env!("CARGO_PKG_VERSION"))
        .description(
            "Two-factor authentication service: password login, passkeys, authenticator apps, recovery codes and mailed one-time codes, access and refresh tokens.",
        )
        .server("/api/v1")
}

/// The request bodies declared `deny_unknown_fields`: every one but the
/// login's `Credentials`, which takes what an OAuth2 password grant sends.
fn strict_bodies() -> Vec<String> {
    [
        AdminPatchBody::name(),
        AppPatchBody::name(),
        NewAppBody::name(),
        NewClientBody::name(),
        ClientPatchBody::name(),
        LogoutBody::name(),
        OtpBody::name(),
        RefreshBody::name(),
        ResendRequest::name(),
        PhoneConfirmBody::name(),
        PhoneVerifyBody::name(),
        ConfirmBody::name(),
        ChangePasswordBody::name(),
        PasswordBody::name(),
        PatchMeBody::name(),
        RegistrationBody::name(),
        CheckBody::name(),
        NewVerificationBody::name(),
        EmailByLink::name(),
        EmailByCode::name(),
        ResetRequestBody::name(),
        ResetByLink::name(),
        ResetByCode::name(),
        NewPasskeyBody::name(),
        RenameBody::name(),
        AssertionBody::name(),
        SignInBody::name(),
        ReauthBody::name(),
    ]
    .into_iter()
    .map(|n| n.into_owned())
    .collect()
}

/// The request bodies' email fields: (schema, property).
fn email_fields() -> Vec<(String, &'static str)> {
    [
        RegistrationBody::name(),
        PatchMeBody::name(),
        AdminPatchBody::name(),
        EmailByCode::name(),
        ResetRequestBody::name(),
        ResetByCode::name(),
    ]
    .into_iter()
    .map(|n| (n.into_owned(), "email"))
    .collect()
}

/// The served document and, per path template, its `Allow` value.
pub struct Document {
    json: String,
    paths: Vec<(Vec<String>, HeaderValue)>,
}

impl Document {
    /// From poem-openapi's document (`spec`), whose paths are under `base`.
    pub fn new(spec: &str, base: &str) -> anyhow::Result<Self> {
        let mut doc: Value = serde_json::from_str(spec)?;
        for name in strict_bodies() {
            let schema = doc
                .pointer_mut(&format!("/components/schemas/{name}"))
                .and_then(Value::as_object_mut)
                .ok_or_else(|| anyhow::anyhow!("the OpenAPI document has no schema {name}"))?;
            schema.insert("additionalProperties".into(), Value::Bool(false));
        }
        for (name, field) in email_fields() {
            let property = doc
                .pointer_mut(&format!("/components/schemas/{name}/properties/{field}"))
                .and_then(Value::as_object_mut)
                .ok_or_else(|| anyhow::anyhow!("the OpenAPI document has no {name}.{field}"))?;
            property.insert("format".into(), Value::String("email".into()));
        }
        let mut paths = Vec::new();
        for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
            let mut methods: Vec<String> =
                ops.as_object().into_iter().flatten().map(|(m, _)| m.to_uppercase()).collect();
            methods.sort();
            let segments = format!("{base}{path}").split('/').map(str::to_owned).collect();
            paths.push((segments, HeaderValue::from_str(&methods.join(", "))?));
        }
        Ok(Self { json: serde_json::to_string(&doc)?, paths })
    }

    /// The document, as JSON.
    pub fn json(&self) -> &str {
        &self.json
    }
}

impl AllowedMethods for Document {
    /// The methods `path` has, if the document describes it; a `{param}`
    /// segment matches any one segment, and a literal match wins over it
    /// (`/users/me` over `/users/{id}`).
    fn allow(&self, path: &str) -> Option<&HeaderValue> {
        let wanted: Vec<&str> = path.split('/').collect();
        let param = |s: &String| s.starts_with('{');
        self.paths
            .iter()
            .filter(|(segments, _)| {
                segments.len() == wanted.len()
                    && segments.iter().zip(&wanted).all(|(s, w)| s.as_str() == *w || (param(s) && !str::is_empty(w)))
            })
            .min_by_key(|(segments, _)| segments.iter().filter(|s| param(s)).count())
            .map(|(_, allow)| allow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Document {
        Document::new(&service().spec(), "/api/v1").unwrap()
    }

    #[test]
    fn bodies_that_refuse_unknown_fields_say_so_and_the_login_form_does_not() {
        let doc: Value = serde_json::from_str(document().json()).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["RegistrationBody"]["additionalProperties"], false);
        assert_eq!(schemas["AdminPatchBody"]["additionalProperties"], false);
        assert!(schemas["Credentials"].get("additionalProperties").is_none());
    }

    #[test]
    fn the_document_says_what_the_server_refuses_emails_null_fields_words_and_search_length() {
        let doc: Value = serde_json::from_str(document().json()).unwrap();
        let schemas = &doc["components"]["schemas"];
        for body in ["RegistrationBody", "PatchMeBody", "AdminPatchBody"] {
            assert_eq!(schemas[body]["properties"]["email"]["format"], "email", "{body}");
        }
        for body in ["PatchMeBody", "AdminPatchBody"] {
            // `null` removes the phone, and the document says it may be null.
            assert_eq!(schemas[body]["properties"]["phone"]["nullable"], true, "{body}");
        }
        for (body, field) in [("NewAppBody", "ttl_seconds"), ("AppPatchBody", "code_length"), ("PatchMeBody", "name")] {
            let property = &schemas[body]["properties"][field];
            assert!(property.get("nullable").is_none(), "{body}.{field} is not nullable: {property}");
            assert!(!schemas[body]["required"].as_array().into_iter().flatten().any(|r| r == field), "optional");
        }
        let words = |name: &str| schemas[name]["enum"].clone();
        assert_eq!(words("MethodWord"), serde_json::json!(["totp", "recovery_code", "email", "sms", "whatsapp"]));
        assert_eq!(words("PhoneChannelWord"), serde_json::json!(["sms", "whatsapp"]));
        let to = &schemas["NewVerificationBody"]["properties"]["to"]["pattern"];
        assert!(to.is_string(), "the destination's form is stated");
        let q =
            doc["paths"]["/users"]["get"]["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "q").cloned();
        assert_eq!(q.unwrap()["schema"]["maxLength"], 100);
    }

    #[test]
    fn verifications_have_their_own_tag_and_take_an_api_key_in_a_header_or_as_a_bearer() {
        let doc: Value = serde_json::from_str(document().json()).unwrap();
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(
            (schemes["AppKey"]["type"].as_str(), schemes["AppKey"]["in"].as_str()),
            (Some("apiKey"), Some("header"))
        );
        assert_eq!(schemes["AppKey"]["name"], "X-API-Key");
        assert_eq!(schemes["AppBearer"]["scheme"], "bearer");
        let send = &doc["paths"]["/verifications"]["post"];
        assert_eq!(send["tags"], serde_json::json!(["Verifications"]));
        assert_eq!(send["security"], serde_json::json!([{"AppKey": []}, {"AppBearer": []}]));
        assert_eq!(doc["paths"]["/apps"]["post"]["tags"], serde_json::json!(["Apps"]));
        assert_eq!(doc["paths"]["/apps"]["post"]["security"], serde_json::json!([{"AccessToken": []}]));
    }

    #[test]
    fn allow_lists_the_methods_of_the_matching_path_template() {
        let doc = document();
        let allow = |p| doc.allow(p).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(allow("/api/v1/users/me").as_deref(), Some("DELETE, GET, PATCH"));
        assert_eq!(allow("/api/v1/users/0b6f2d9c-5d1e-4f7a-9e1c-2a3b4c5d6e7f").as_deref(), Some("DELETE, GET, PATCH"));
        assert_eq!(allow("/api/v1/auth/token").as_deref(), Some("POST"));
        assert_eq!(allow("/api/v1/users//events"), None, "an empty segment is no id");
        assert_eq!(allow("/api/v1/nowhere"), None);
    }
}
