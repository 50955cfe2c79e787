//! `LoginFinisher` over SeaORM: the writes of a finished two-factor login in
//! one transaction, with the same statements the repositories use alone.
//! Dropping the transaction before its commit (a refused condition, a
//! failed write, the connection lost) rolls back whatever it had written.

use async_trait::async_trait;
use domain::Result;
use domain::otp::{Finished, FinishedLogin};
use domain::ports::LoginFinisher;

use crate::db::{Database, internal};

#[derive(Clone)]
pub struct SqlLoginFinisher {
    db: Database,
}

impl SqlLoginFinisher {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl LoginFinisher for SqlLoginFinisher {
    async fn finish(&self, l: &FinishedLogin) -> Result<Finished> {
        let tx = self.db.begin().await.map_err(internal)?;
        if !crate::otps::consume_challenge(&tx, l.challenge, l.now, l.max_attempts).await? {
            return Ok(Finished::ChallengeClosed);
        }
        if !crate::sessions::create_session(&tx, &l.session).await? {
            return Ok(Finished::UserInactive);
        }
        crate::throttle::clear_key(&tx, &l.throttle_key).await?;
        for event in &l.events {
            crate::audit::insert_event(&tx, event).await?;
        }
        tx.commit().await.map_err(internal)?;
        crate::audit::count_committed(&l.events);
        Ok(Finished::Done)
    }
}
