//! Keyset pages: how many rows a list may ask for, and how `limit + 1`
//! fetched rows become a page and the cursor of the next one. Every list of
//! the API (users, events, applications) pages this way.

use crate::error::{Error, Result};

/// Largest page a list returns.
pub const MAX_PAGE: u32 = 100;

/// One page and where the next one starts, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// Accepts a page size of 1 to [`MAX_PAGE`].
pub(crate) fn check_limit(limit: u32) -> Result<u32> {
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(Error::InvalidField { field: "limit", reason: format!("must be between 1 and {MAX_PAGE}") })
    }
}

/// Splits `limit + 1` fetched rows into a page and the cursor of its last item.
pub(crate) fn page<T, C>(mut rows: Vec<T>, limit: u32, cursor: impl Fn(&T) -> C) -> Page<T, C> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(&cursor) } else { None };
    Page { items: rows, next }
}
