//! The shared plumbing of every route: the layer each request goes through,
//! error mapping, extractors and security schemes, the client's address,
//! metrics, health and the JWKS.

pub mod body_limit;
pub mod client_addr;
pub mod csrf;
pub mod error;
pub mod explorers;
pub mod framework_errors;
pub mod health;
pub mod json_body;
pub mod jwks;
pub mod layer;
pub mod metrics;
pub mod per_address;
pub mod request_log;
pub mod security;
pub mod start;
pub mod state;
