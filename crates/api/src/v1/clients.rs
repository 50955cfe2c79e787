//! `/api/v1/clients`: administrators registering the OpenID Connect clients
//! that sign their users in through authd, changing them, rotating a
//! confidential client's secret. Administrators only.

use chrono::{DateTime, Utc};
use domain::oidc::{Client, ClientChanges, ClientForm, ClientId, Clients, IssuedSecret, StoredSecret};
use domain::page::Page;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::http::error::ApiResult;
use crate::http::security::AccessAuth;
use crate::http::state::Use;
use crate::v1::body_fields::{Omittable, Text};
use crate::v1::shared::{ApiTags, EventPageResponse, NoContent};
use crate::v1::words::{ClientTypeWord, IdTokenAlgWord, ScopeWord};

fn words(scopes: Vec<ScopeWord>) -> Vec<String> {
    scopes.into_iter().map(|s| s.as_str().to_owned()).collect()
}

/// A new client.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewClientBody {
    /// What the consent page calls it.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Text,
    /// Where a code may be sent, compared as exact strings: `https://…`,
    /// `http://` to 127.0.0.1, [::1] or localhost, or a native app's
    /// reversed-domain scheme (`com.example.app:/cb`); no fragment.
    #[oai(validator(min_items = 1, max_items = 10))]
    pub redirect_uris: Vec<String>,
    /// Where a logout may return to, the same way.
    #[oai(validator(max_items = 10))]
    pub post_logout_redirect_uris: Omittable<Vec<String>>,
    /// `confidential` (gets a secret) or `public` (a browser or native app: PKCE alone).
    #[oai(rename = "type")]
    pub kind: ClientTypeWord,
    /// The scopes it may ask for, `openid` among them (default: all).
    #[oai(validator(min_items = 1, max_items = 5))]
    pub scopes: Omittable<Vec<ScopeWord>>,
    /// Sign its users in without a consent page (a first-party app).
    pub skip_consent: Omittable<bool>,
    /// `RS256` (default) or `EdDSA`.
    pub id_token_signed_response_alg: Omittable<IdTokenAlgWord>,
}

/// Settings to change; absent fields stay as they are. A client's type never changes.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ClientPatchBody {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Omittable<Text>,
    #[oai(validator(min_items = 1, max_items = 10))]
    pub redirect_uris: Omittable<Vec<String>>,
    #[oai(validator(max_items = 10))]
    pub post_logout_redirect_uris: Omittable<Vec<String>>,
    #[oai(validator(min_items = 1, max_items = 5))]
    pub scopes: Omittable<Vec<ScopeWord>>,
    pub skip_consent: Omittable<bool>,
    pub id_token_signed_response_alg: Omittable<IdTokenAlgWord>,
}

/// A registered client.
#[derive(Debug, Object)]
pub struct ClientBody {
    /// Its `client_id`.
    pub client_id: Uuid,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    #[oai(rename = "type")]
    pub kind: ClientTypeWord,
    pub scopes: Vec<ScopeWord>,
    pub skip_consent: bool,
    pub id_token_signed_response_alg: IdTokenAlgWord,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Client> for ClientBody {
    fn from(c: Client) -> Self {
        Self {
            client_id: c.id.0,
            name: c.name,
            redirect_uris: c.redirect_uris,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            kind: c.kind.into(),
            scopes: c.scopes.into_iter().map(Into::into).collect(),
            skip_consent: c.skip_consent,
            id_token_signed_response_alg: c.id_token_alg.into(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// One of a client's secrets, as an admin may see it: never the secret.
#[derive(Debug, Object)]
pub struct SecretBody {
    /// The secret's first characters, to tell secrets apart.
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// When it stops working; absent for the current secret.
    #[oai(skip_serializing_if_is_none)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<StoredSecret> for SecretBody {
    fn from(s: StoredSecret) -> Self {
        Self { hint: s.hint, created_at: s.created_at, expires_at: s.expires_at }
    }
}

/// A client with its secrets.
#[derive(Debug, Object)]
pub struct ClientDetailBody {
    #[oai(flatten)]
    pub client: ClientBody,
    /// Newest first, expired ones included; none for a public client.
    pub secrets: Vec<SecretBody>,
}

/// A newly registered client, with its secret when confidential.
#[derive(Debug, Object)]
pub struct CreatedClientBody {
    #[oai(flatten)]
    pub client: ClientBody,
    /// `authd_cs_…`, for a confidential client: shown this once and stored
    /// only as a hash. Sent by HTTP Basic or in the token request's body.
    #[oai(skip_serializing_if_is_none)]
    pub client_secret: Option<String>,
}

/// A new secret.
#[derive(Debug, Object)]
pub struct NewSecretBody {
    /// Shown this once and stored only as a hash.
    pub client_secret: String,
    /// When the secrets it replaces stop working.
    pub previous_secrets_expire_at: DateTime<Utc>,
}

impl From<IssuedSecret> for NewSecretBody {
    fn from(s: IssuedSecret) -> Self {
        Self { client_secret: s.key.expose().to_owned(), previous_secrets_expire_at: s.previous_until }
    }
}

/// A page of clients in registration order.
#[derive(Debug, Object)]
pub struct ClientPageBody {
    pub items: Vec<ClientBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<Uuid>,
}

#[derive(ApiResponse)]
pub enum CreatedClient {
    #[oai(status = 201)]
    Created(Json<CreatedClientBody>),
}

#[derive(ApiResponse)]
pub enum OneClient {
    #[oai(status = 200)]
    Ok(Json<ClientBody>),
}

#[derive(ApiResponse)]
pub enum ClientDetail {
    #[oai(status = 200)]
    Ok(Json<ClientDetailBody>),
}

#[derive(ApiResponse)]
pub enum ClientPage {
    #[oai(status = 200)]
    Ok(Json<ClientPageBody>),
}

#[derive(ApiResponse)]
pub enum NewSecret {
    #[oai(status = 201)]
    Created(Json<NewSecretBody>),
}

pub struct ClientsApi;

#[OpenApi(prefix_path = "/clients", tag = "ApiTags::Clients")]
impl ClientsApi {
    /// Register an OpenID Connect client
    ///
    /// A confidential client's secret is answered once; only a hash of it is stored.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        clients: Use<'_, Clients>,
        caller: AccessAuth,
        body: Json<NewClientBody>,
    ) -> ApiResult<CreatedClient> {
        let b = body.0;
        let form = ClientForm {
            name: b.name.into(),
            redirect_uris: b.redirect_uris,
            post_logout_redirect_uris: b.post_logout_redirect_uris.0.unwrap_or_default(),
            kind: b.kind.as_str().to_owned(),
            scopes: b.scopes.0.map(words),
            skip_consent: b.skip_consent.0.unwrap_or(false),
            id_token_alg: b.id_token_signed_response_alg.0.map(|a| a.as_str().to_owned()),
        };
        let (client, secret) = clients.create(&caller.0, form).await?;
        let client_secret = secret.map(|s| s.expose().to_owned());
        Ok(CreatedClient::Created(Json(CreatedClientBody { client: client.into(), client_secret })))
    }

    /// List OpenID Connect clients
    ///
    /// Keyset pages in registration order: pass `next_cursor` as `after`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        clients: Use<'_, Clients>,
        caller: AccessAuth,
        /// Page size, 1 to 100.
        #[oai(default = "crate::v1::shared::default_limit", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// `next_cursor` of the previous page.
        after: Query<Option<Uuid>>,
    ) -> ApiResult<ClientPage> {
        let Page { items, next } = clients.list(&caller.0, after.0.map(ClientId), limit.0).await?;
        Ok(ClientPage::Ok(Json(ClientPageBody {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor: next.map(|c| c.0),
        })))
    }

    /// Read an OpenID Connect client
    ///
    /// With its secrets' hints and lifetimes; never a secret.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, clients: Use<'_, Clients>, caller: AccessAuth, id: Path<Uuid>) -> ApiResult<ClientDetail> {
        let (client, secrets) = clients.get(&caller.0, ClientId(id.0)).await?;
        let secrets = secrets.into_iter().map(Into::into).collect();
        Ok(ClientDetail::Ok(Json(ClientDetailBody { client: client.into(), secrets })))
    }

    /// Change an OpenID Connect client
    #[oai(path = "/:id", method = "patch")]
    async fn patch(
        &self,
        clients: Use<'_, Clients>,
        caller: AccessAuth,
        id: Path<Uuid>,
        body: Json<ClientPatchBody>,
    ) -> ApiResult<OneClient> {
        let b = body.0;
        let changes = ClientChanges {
            name: b.name.into_string(),
            redirect_uris: b.redirect_uris.0,
            post_logout_redirect_uris: b.post_logout_redirect_uris.0,
            scopes: b.scopes.0.map(words),
            skip_consent: b.skip_consent.0,
            id_token_alg: b.id_token_signed_response_alg.0.map(|a| a.as_str().to_owned()),
        };
        Ok(OneClient::Ok(Json(clients.update(&caller.0, ClientId(id.0), changes).await?.into())))
    }

    /// Make a new client secret
    ///
    /// For a confidential client (409 `client_public` for a public one).
    /// Its other secrets keep working for the grace period
    /// (`AUTHD_APP_KEY_GRACE_SECONDS`, a day by default; the answer says
    /// until when), then stop.
    #[oai(path = "/:id/secret", method = "post")]
    async fn rotate_secret(
        &self,
        clients: Use<'_, Clients>,
        caller: AccessAuth,
        id: Path<Uuid>,
    ) -> ApiResult<NewSecret> {
        Ok(NewSecret::Created(Json(clients.rotate_secret(&caller.0, ClientId(id.0)).await?.into())))
    }

    /// Delete an OpenID Connect client
    ///
    /// Its secrets stop at once.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, clients: Use<'_, Clients>, caller: AccessAuth, id: Path<Uuid>) -> ApiResult<NoContent> {
        clients.delete(&caller.0, ClientId(id.0)).await?;
        Ok(NoContent::Done)
    }

    /// A client's events
    ///
    /// What it did for itself (its `client_credentials` tokens issued and
    /// revoked); newest first. Changes admins made are in their own
    /// histories. Pass `next_cursor` as `before` for older ones.
    #[oai(path = "/:id/events", method = "get")]
    async fn events(
        &self,
        clients: Use<'_, Clients>,
        caller: AccessAuth,
        id: Path<Uuid>,
        /// Page size, 1 to 100.
        #[oai(default = "crate::v1::shared::default_limit", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// `next_cursor` of the previous page.
        before: Query<Option<Uuid>>,
    ) -> ApiResult<EventPageResponse> {
        Ok(clients.events(&caller.0, ClientId(id.0), before.0, limit.0).await?.into())
    }
}
