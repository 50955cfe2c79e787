//! `AuthorizationRepo` over SQL: `oidc_requests`, `oidc_consents` and
//! `oidc_codes` (migration 23). A code is redeemed by one conditional
//! `UPDATE … RETURNING`, so one of any number of concurrent redemptions
//! gets it; the others find it used, which is a replay.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::assurance::{Amr, Assurance};
use domain::oidc::code::{CodeGrant, Redemption};
use domain::oidc::{AuthorizeRequest, ClientId, CodeChallenge, Consent, Prompt, Scope};
use domain::ports::AuthorizationRepo;
use domain::user::UserId;
use sea_orm::{QueryResult, Value};
use uuid::Uuid;

use crate::clients::{scopes_from, scopes_text};
use crate::db::{Database, execute, internal, query_one};
use crate::sessions::amr_column;

const REQUEST_COLUMNS: &str = "client_id, redirect_uri, scopes, state, nonce, code_challenge, prompt, max_age, \
     wants_aal2, login_hint, created_at";
const CODE_COLUMNS: &str = "code_hash, client_id, user_id, browser_session, redirect_uri, scopes, nonce, \
     code_challenge, amr, auth_time, created_at, expires_at";

#[derive(Clone)]
pub struct SqlAuthorizationRepo {
    db: Database,
}

impl SqlAuthorizationRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// `prompt` as its column keeps it: the words set, space-separated.
fn prompt_text(p: Prompt) -> String {
    [(p.none, "none"), (p.login, "login"), (p.consent, "consent")]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, w)| *w)
        .collect::<Vec<_>>()
        .join(" ")
}

fn prompt_from(text: &str) -> Prompt {
    let has = |w: &str| text.split(' ').any(|x| x == w);
    Prompt { none: has("none"), login: has("login"), consent: has("consent") }
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, col: &str) -> Result<T> {
    row.try_get("", col).map_err(internal)
}

fn request_from(row: &QueryResult) -> Result<AuthorizeRequest> {
    let max_age: Option<i64> = get(row, "max_age")?;
    Ok(AuthorizeRequest {
        client_id: ClientId(get(row, "client_id")?),
        redirect_uri: get(row, "redirect_uri")?,
        scopes: scopes_from(&get::<String>(row, "scopes")?)?,
        state: get(row, "state")?,
        nonce: get(row, "nonce")?,
        challenge: CodeChallenge::stored(get(row, "code_challenge")?),
        prompt: prompt_from(&get::<String>(row, "prompt")?),
        max_age: max_age.map(|a| a.max(0) as u64),
        wants_aal2: get(row, "wants_aal2")?,
        login_hint: get(row, "login_hint")?,
        created_at: get(row, "created_at")?,
    })
}

fn code_from(row: &QueryResult) -> Result<CodeGrant> {
    let hash: String = get(row, "code_hash")?;
    let amr: String = get(row, "amr")?;
    Ok(CodeGrant {
        hash: hex::decode(hash).map_err(domain::Error::internal)?,
        client_id: ClientId(get(row, "client_id")?),
        user_id: UserId(get(row, "user_id")?),
        browser_session: get(row, "browser_session")?,
        redirect_uri: get(row, "redirect_uri")?,
        scopes: scopes_from(&get::<String>(row, "scopes")?)?,
        nonce: get(row, "nonce")?,
        challenge: CodeChallenge::stored(get(row, "code_challenge")?),
        // A code is never due a second factor: no code is issued to such a session.
        assurance: Assurance {
            amr: Amr::from_words(amr.split(' ')),
            auth_time: get(row, "auth_time")?,
            second_factor_due: false,
        },
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

#[async_trait]
impl AuthorizationRepo for SqlAuthorizationRepo {
    async fn save_request(&self, id: Uuid, r: &AuthorizeRequest, expires_at: DateTime<Utc>) -> Result<()> {
        let sql = format!(
            "INSERT INTO oidc_requests (id, {REQUEST_COLUMNS}, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        let values: Vec<Value> = vec![
            id.into(),
            r.client_id.0.into(),
            r.redirect_uri.clone().into(),
            scopes_text(&r.scopes).into(),
            r.state.clone().into(),
            r.nonce.clone().into(),
            r.challenge.as_str().to_owned().into(),
            prompt_text(r.prompt).into(),
            r.max_age.map(|a| i64::try_from(a).unwrap_or(i64::MAX)).into(),
            r.wants_aal2.into(),
            r.login_hint.clone().into(),
            r.created_at.into(),
            expires_at.into(),
        ];
        execute(&self.db, &sql, values).await.map(|_| ())
    }

    async fn request(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<AuthorizeRequest>> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM oidc_requests WHERE id = $1 AND expires_at > $2");
        query_one(&self.db, &sql, vec![id.into(), now.into()]).await?.as_ref().map(request_from).transpose()
    }

    async fn drop_request(&self, id: Uuid) -> Result<bool> {
        Ok(execute(&self.db, "DELETE FROM oidc_requests WHERE id = $1", vec![id.into()]).await? > 0)
    }

    async fn consent(&self, user: UserId, client: ClientId) -> Result<Option<Consent>> {
        let sql = "SELECT scopes, granted_at FROM oidc_consents WHERE user_id = $1 AND client_id = $2";
        let Some(row) = query_one(&self.db, sql, vec![user.0.into(), client.0.into()]).await? else { return Ok(None) };
        Ok(Some(Consent {
            scopes: scopes_from(&get::<String>(&row, "scopes")?)?,
            granted_at: get(&row, "granted_at")?,
        }))
    }

    async fn grant_consent(&self, user: UserId, client: ClientId, scopes: &[Scope], now: DateTime<Utc>) -> Result<()> {
        let sql = "INSERT INTO oidc_consents (user_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at";
        let values = vec![user.0.into(), client.0.into(), scopes_text(scopes).into(), now.into()];
        execute(&self.db, sql, values).await.map(|_| ())
    }

    async fn insert_code(&self, c: &CodeGrant) -> Result<()> {
        let sql = format!(
            "INSERT INTO oidc_codes ({CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        let values: Vec<Value> = vec![
            hex::encode(&c.hash).into(),
            c.client_id.0.into(),
            c.user_id.0.into(),
            c.browser_session.into(),
            c.redirect_uri.clone().into(),
            scopes_text(&c.scopes).into(),
            c.nonce.clone().into(),
            c.challenge.as_str().to_owned().into(),
            amr_column(c.assurance.amr).into(),
            c.assurance.auth_time.into(),
            c.created_at.into(),
            c.expires_at.into(),
        ];
        execute(&self.db, &sql, values).await.map(|_| ())
    }

    async fn redeem_code(&self, hash: &[u8], now: DateTime<Utc>, session: Uuid) -> Result<Redemption> {
        let hash = hex::encode(hash);
        let sql = format!(
            "UPDATE oidc_codes SET used_at = $2, issued_session = $3 \
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING {CODE_COLUMNS}"
        );
        if let Some(row) = query_one(&self.db, &sql, vec![hash.clone().into(), now.into(), session.into()]).await? {
            return Ok(Redemption::Redeemed(code_from(&row)?));
        }
        let sql =
            "SELECT client_id, user_id, issued_session FROM oidc_codes WHERE code_hash = $1 AND used_at IS NOT NULL";
        Ok(match query_one(&self.db, sql, vec![hash.into()]).await? {
            Some(row) => Redemption::Replayed {
                client_id: ClientId(get(&row, "client_id")?),
                user_id: UserId(get(&row, "user_id")?),
                issued_session: get(&row, "issued_session")?,
            },
            None => Redemption::Unknown,
        })
    }
}
