//! authd's HTTP face. `main.rs` only parses the command line and calls in
//! here. The rooms, and who may import whom:
//!
//! - [`config`]: the settings, one file per section; pure (imports `domain` only).
//! - [`http`]: the shared plumbing every route goes through: the layer,
//!   error mapping, extractors and security schemes, client address,
//!   metrics, health, JWKS.
//! - [`v1`]: the JSON API by capability; [`ui`]: the pages (the OpenID
//!   Connect authorization endpoint among them); [`oauth2`]: the OpenID
//!   Connect provider's endpoints for clients (token, userinfo, discovery).
//!   All three import `http` and `domain` only, never `infra` or `boot`.
//! - [`routes`]: the map of every URL.
//! - [`boot`]: building the node from the settings: database, keys,
//!   senders, workers, server and shutdown, telemetry. With `routes`, the
//!   only room that sees everything.

pub mod boot;
pub mod config;
pub mod http;
pub mod oauth2;
pub mod routes;
pub mod ui;
pub mod v1;
