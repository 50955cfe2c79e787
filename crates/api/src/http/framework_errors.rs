//! Errors the framework raises outside the handlers (malformed bodies,
//! unknown routes, missing credentials, declared limits), as the same
//! problem details the domain's errors become.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};

use super::error::Problem;

/// Turns an error raised outside the handlers into problem details. Errors
/// that already carry our response (an [`ApiError`]) pass through unchanged.
pub fn problem_from_poem(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let problem = match status {
        StatusCode::UNAUTHORIZED => {
            Problem::new(status, "token_missing", "This route needs an `Authorization: Bearer <token>` header.")
        }
        StatusCode::NOT_FOUND => Problem::new(status, "not_found", "There is no such route."),
        StatusCode::METHOD_NOT_ALLOWED => {
            Problem::new(status, "method_not_allowed", "This route does not take that method.")
        }
        StatusCode::REQUEST_TIMEOUT => Problem::new(status, "request_timeout", err.to_string()),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(status, "payload_too_large", err.to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(status, "unsupported_media_type", err.to_string()),
        StatusCode::BAD_REQUEST if let Some(p) = limit_refused(&err) => p,
        s if s.is_client_error() => Problem::new(s, "bad_request", err.to_string()),
        _ => Problem::internal(&err),
    };
    problem.into_response()
}

/// A value refused by one of the limits the OpenAPI document declares (a
/// length, a range, a pattern), as the same `invalid_field` problem the
/// domain gives for its own checks, naming the field. Values of the wrong
/// type, unknown fields and malformed JSON stay `bad_request`.
fn limit_refused(err: &poem::Error) -> Option<Problem> {
    use poem_openapi::error::{ParseParamError, ParseRequestPayloadError};
    let (field, rule) = if let Some(e) = err.downcast_ref::<ParseParamError>() {
        (e.name.to_owned(), e.reason.strip_prefix("verification failed. ")?.to_owned())
    } else {
        let reason = &err.downcast_ref::<ParseRequestPayloadError>()?.reason;
        let (_, rest) = reason.split_once("field `")?;
        let (field, rest) = rest.split_once("` verification failed. ")?;
        (field.to_owned(), rest.to_owned())
    };
    let number = |r: &str| r.split(|c: char| !c.is_ascii_digit()).find(|n| !n.is_empty()).map(str::to_owned);
    let reason = match rule.split_once('(').map(|(name, _)| name) {
        Some("maxLength") => format!("must be at most {} characters", number(&rule)?),
        Some("minLength") => format!("must be at least {} characters", number(&rule)?),
        Some("maximum") => format!("must be at most {}", number(&rule)?),
        Some("minimum") => format!("must be at least {}", number(&rule)?),
        Some("pattern") => "is not in the expected form".to_owned(),
        _ => rule.clone(),
    };
    let mut p = Problem::new(StatusCode::BAD_REQUEST, "invalid_field", format!("{field} is invalid: {reason}"));
    p.field = Some(field);
    Some(p)
}
