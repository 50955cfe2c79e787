//! `ClientRepo` over SQL. A client's redirect URIs are stored as a JSON
//! array of the exact strings registered; a secret is found among its
//! client's by `client_id` and compared in the domain in constant time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::oidc::{Client, ClientId, ClientKind, ClientPatch, IdTokenAlg, Scope, StoredSecret};
use domain::ports::ClientRepo;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::db::{Database, execute, internal, query_one, statement};
use crate::key_rows::KeyTable;

const COLUMNS: &str = "id, name, redirect_uris, post_logout_redirect_uris, kind, scopes, skip_consent, id_token_alg, \
     created_at, updated_at";

#[derive(Clone)]
pub struct SqlClientRepo {
    db: Database,
}

impl SqlClientRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn uris_text(uris: &[String]) -> String {
    serde_json::to_string(uris).expect("a list of strings serialises")
}

/// Scopes as the `scopes` columns keep them: their words, space-separated.
pub(crate) fn scopes_text(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

/// What [`scopes_text`] wrote.
pub(crate) fn scopes_from(text: &str) -> Result<Vec<Scope>> {
    text.split(' ').filter(|w| !w.is_empty()).map(|w| word(Scope::parse, w)).collect()
}

fn word<T>(parse: impl Fn(&str) -> Option<T>, w: &str) -> Result<T> {
    parse(w).ok_or_else(|| domain::Error::internal(format!("unknown word {w:?} in oidc_clients")))
}

fn client_from(row: &QueryResult) -> Result<Client> {
    let get = |col: &str| -> Result<String> { row.try_get("", col).map_err(internal) };
    let uris = |col: &str| -> Result<Vec<String>> { serde_json::from_str(&get(col)?).map_err(domain::Error::internal) };
    let scopes = get("scopes")?;
    Ok(Client {
        id: ClientId(row.try_get("", "id").map_err(internal)?),
        name: get("name")?,
        redirect_uris: uris("redirect_uris")?,
        post_logout_redirect_uris: uris("post_logout_redirect_uris")?,
        kind: word(ClientKind::parse, &get("kind")?)?,
        scopes: scopes_from(&scopes)?,
        skip_consent: row.try_get("", "skip_consent").map_err(internal)?,
        id_token_alg: word(IdTokenAlg::parse, &get("id_token_alg")?)?,
        created_at: row.try_get("", "created_at").map_err(internal)?,
        updated_at: row.try_get("", "updated_at").map_err(internal)?,
    })
}

/// `oidc_client_secrets`: a confidential client's secrets.
const SECRETS: KeyTable =
    KeyTable { table: "oidc_client_secrets", hash: "secret_hash", owner: "client_id", owners: "oidc_clients" };

#[async_trait]
impl ClientRepo for SqlClientRepo {
    async fn create(&self, c: &Client, secret: Option<&StoredSecret>) -> Result<()> {
        let txn = self.db.begin().await.map_err(internal)?;
        let sql = format!("INSERT INTO oidc_clients ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
        let values: Vec<Value> = vec![
            c.id.0.into(),
            c.name.clone().into(),
            uris_text(&c.redirect_uris).into(),
            uris_text(&c.post_logout_redirect_uris).into(),
            c.kind.as_str().into(),
            scopes_text(&c.scopes).into(),
            c.skip_consent.into(),
            c.id_token_alg.as_str().into(),
            c.created_at.into(),
            c.updated_at.into(),
        ];
        execute(&txn, &sql, values).await?;
        if let Some(s) = secret {
            SECRETS.insert(&txn, s).await?;
        }
        txn.commit().await.map_err(internal)
    }

    async fn get(&self, id: ClientId) -> Result<Option<Client>> {
        let sql = format!("SELECT {COLUMNS} FROM oidc_clients WHERE id = $1");
        query_one(&self.db, &sql, vec![id.0.into()]).await?.as_ref().map(client_from).transpose()
    }

    async fn list(&self, after: Option<ClientId>, limit: u32) -> Result<Vec<Client>> {
        let (filter, values): (&str, Vec<Value>) = match after {
            Some(c) => ("WHERE id > $2", vec![i64::from(limit).into(), c.0.into()]),
            None => ("", vec![i64::from(limit).into()]),
        };
        let sql = format!("SELECT {COLUMNS} FROM oidc_clients {filter} ORDER BY id LIMIT $1");
        let rows = self.db.query_all_raw(statement(&self.db, &sql, values)).await.map_err(internal)?;
        rows.iter().map(client_from).collect()
    }

    async fn update(&self, id: ClientId, p: &ClientPatch, now: DateTime<Utc>) -> Result<Option<Client>> {
        // Each setting from the patch or, unset, from the row as this
        // statement finds it: concurrent changes of other settings stay.
        let sql = format!(
            "UPDATE oidc_clients SET name = COALESCE($2, name), redirect_uris = COALESCE($3, redirect_uris), \
             post_logout_redirect_uris = COALESCE($4, post_logout_redirect_uris), scopes = COALESCE($5, scopes), \
             skip_consent = COALESCE($6, skip_consent), id_token_alg = COALESCE($7, id_token_alg), updated_at = $8 \
             WHERE id = $1 RETURNING {COLUMNS}"
        );
        let values: Vec<Value> = vec![
            id.0.into(),
            p.name.clone().into(),
            p.redirect_uris.as_deref().map(uris_text).into(),
            p.post_logout_redirect_uris.as_deref().map(uris_text).into(),
            p.scopes.as_deref().map(scopes_text).into(),
            p.skip_consent.into(),
            p.id_token_alg.map(|a| a.as_str().to_owned()).into(),
            now.into(),
        ];
        query_one(&self.db, &sql, values).await?.as_ref().map(client_from).transpose()
    }

    async fn delete(&self, id: ClientId) -> Result<bool> {
        // fk_oidc_client_secrets_client (ON DELETE CASCADE) removes its secrets.
        Ok(execute(&self.db, "DELETE FROM oidc_clients WHERE id = $1", vec![id.0.into()]).await? == 1)
    }

    async fn add_secret(&self, secret: &StoredSecret, others_until: DateTime<Utc>) -> Result<bool> {
        SECRETS.rotate(&self.db, secret, others_until).await
    }

    async fn with_secrets(&self, id: ClientId) -> Result<Option<(Client, Vec<StoredSecret>)>> {
        // One statement: the client's row once per secret (once, with NULL
        // secret columns, when it has none).
        let client = COLUMNS.split(", ").map(|c| format!("c.{}", c.trim())).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {client}, s.secret_hash, s.hint AS secret_hint, s.created_at AS secret_created_at, \
             s.expires_at AS secret_expires_at FROM oidc_clients c \
             LEFT JOIN oidc_client_secrets s ON s.client_id = c.id WHERE c.id = $1 \
             ORDER BY s.created_at DESC, s.secret_hash DESC"
        );
        let rows = self.db.query_all_raw(statement(&self.db, &sql, vec![id.0.into()])).await.map_err(internal)?;
        let Some(first) = rows.first() else { return Ok(None) };
        let mut secrets = Vec::with_capacity(rows.len());
        for row in &rows {
            let hash: Option<String> = row.try_get("", "secret_hash").map_err(internal)?;
            let Some(hash) = hash else { continue };
            secrets.push(StoredSecret {
                hash: hex::decode(hash).map_err(domain::Error::internal)?,
                owner: id,
                hint: row.try_get("", "secret_hint").map_err(internal)?,
                created_at: row.try_get("", "secret_created_at").map_err(internal)?,
                expires_at: row.try_get("", "secret_expires_at").map_err(internal)?,
            });
        }
        Ok(Some((client_from(first)?, secrets)))
    }

    async fn open_credentials_grant(&self, id: ClientId, fresh: Uuid) -> Result<Option<Uuid>> {
        let sql = "UPDATE oidc_clients SET credentials_grant = COALESCE(credentials_grant, $2) WHERE id = $1 \
                   RETURNING credentials_grant";
        let row = query_one(&self.db, sql, vec![id.0.into(), fresh.into()]).await?;
        row.map(|r| r.try_get("", "credentials_grant").map_err(internal)).transpose()
    }

    async fn credentials_grant(&self, id: ClientId) -> Result<Option<Uuid>> {
        let sql = "SELECT credentials_grant FROM oidc_clients WHERE id = $1";
        let row = query_one(&self.db, sql, vec![id.0.into()]).await?;
        Ok(row.map(|r| r.try_get::<Option<Uuid>>("", "credentials_grant").map_err(internal)).transpose()?.flatten())
    }

    async fn end_credentials_grant(&self, id: ClientId) -> Result<()> {
        let sql = "UPDATE oidc_clients SET credentials_grant = NULL WHERE id = $1";
        execute(&self.db, sql, vec![id.0.into()]).await.map(|_| ())
    }
}
