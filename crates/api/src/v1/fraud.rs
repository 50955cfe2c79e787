//! `/api/v1/fraud/blocks`: the destination prefixes the SMS guard blocked
//! because their codes were not being used, and lifting one. Administrators
//! only.

use chrono::{DateTime, Utc};
use domain::ports::PrefixBlock;
use domain::sms_guard::PrefixBlocks;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::http::error::ApiResult;
use crate::http::security::AccessAuth;
use crate::http::state::Use;
use crate::v1::shared::{ApiTags, NoContent};

/// A prefix texted codes do not go to until `until`.
#[derive(Debug, Object)]
pub struct PrefixBlockBody {
    /// `+`, the calling code and the first national digits (`+2376712`).
    pub prefix: String,
    /// ISO 3166 alpha-2; empty for a number of no country.
    pub country: String,
    pub until: DateTime<Utc>,
    /// How many times it was blocked, this time included: each block lasts
    /// twice the one before.
    pub strikes: u32,
}

impl From<PrefixBlock> for PrefixBlockBody {
    fn from(b: PrefixBlock) -> Self {
        Self { prefix: b.prefix, country: b.country, until: b.until, strikes: b.strikes }
    }
}

/// The blocked prefixes, the longest-lasting first.
#[derive(Debug, Object)]
pub struct PrefixBlockListBody {
    pub items: Vec<PrefixBlockBody>,
}

#[derive(ApiResponse)]
pub enum PrefixBlockList {
    #[oai(status = 200)]
    Ok(Json<PrefixBlockListBody>),
}

pub struct FraudApi;

#[OpenApi(prefix_path = "/fraud", tag = "ApiTags::Admin")]
impl FraudApi {
    /// Blocked SMS prefixes
    ///
    /// Destination prefixes whose codes were sent but not checked (SMS
    /// pumping): no texted code goes to them until their block ends.
    #[oai(path = "/blocks", method = "get")]
    async fn blocks(&self, blocks: Use<'_, PrefixBlocks>, caller: AccessAuth) -> ApiResult<PrefixBlockList> {
        let items = blocks.list(&caller.0).await?.into_iter().map(Into::into).collect();
        Ok(PrefixBlockList::Ok(Json(PrefixBlockListBody { items })))
    }

    /// Lift a prefix's block
    ///
    /// `prefix` with or without its `+` (`%2B2376712` or `2376712`). Its
    /// strikes stay: a prefix blocked again is blocked for longer.
    #[oai(path = "/blocks/:prefix", method = "delete")]
    async fn lift(
        &self,
        blocks: Use<'_, PrefixBlocks>,
        caller: AccessAuth,
        /// `+`, or not, and 2 to 12 digits.
        #[oai(validator(pattern = r"^\+?[0-9]{2,12}$"))]
        prefix: Path<String>,
    ) -> ApiResult<NoContent> {
        blocks.lift(&caller.0, &prefix.0).await?;
        Ok(NoContent::Done)
    }
}
