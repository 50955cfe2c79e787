//! [`Direct<T>`]: a JSON answer written straight from `T`'s serde
//! `Serialize`, documented with `T`'s OpenAPI schema. poem-openapi's
//! `Json<T>` first builds a `serde_json::Value` tree (a map per object) and
//! then writes it: for a page of 50 users that was a quarter of the request's
//! CPU in perf. A type answered this way derives both, and its test checks
//! that the two give the same JSON (`v1::admin::tests`).

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::Serialize;

const CONTENT_TYPE: &str = "application/json; charset=utf-8";

pub struct Direct<T>(pub T);

impl<T: Type> Payload for Direct<T> {
    const CONTENT_TYPE: &'static str = CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Serialize + Send> IntoResponse for Direct<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder().content_type(CONTENT_TYPE).body(body),
            // Only a map with non-string keys fails, and no answer has one.
            Err(e) => {
                tracing::error!(error = %e, "an answer could not be written as JSON");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl<T: Type + Serialize + Send> ApiResponse for Direct<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType { content_type: CONTENT_TYPE, schema: T::schema_ref() }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// `DateTime<Utc>` as poem-openapi writes it (`to_rfc3339`, `+00:00`), for
/// `#[serde(serialize_with)]`.
pub fn rfc3339<S: serde::Serializer>(at: &chrono::DateTime<chrono::Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339())
}
