//! What a browser asks of the server's root: `/` (a person who typed the
//! host's name is led on: to the pages, or to the API explorers when the
//! pages are off) and `/favicon.ico` (authd's icon, compiled in).

use poem::http::{StatusCode, header};
use poem::{Response, handler};

/// authd's icon: a keyhole on the pages' accent colour (32 × 32, a PNG in an ICO).
const FAVICON: &[u8] = include_bytes!("../../static/favicon.ico");

/// 303 to `to`.
pub fn see_other(to: &'static str) -> Response {
    Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to).finish()
}

#[handler]
pub fn favicon() -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .content_type("image/x-icon")
        // The same for everyone: browsers may keep it a day.
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .body(FAVICON)
}
