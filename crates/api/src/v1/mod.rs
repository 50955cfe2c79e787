//! The JSON API under `/api/v1`, one file per capability, each an
//! `#[OpenApi]` struct combined in `openapi.rs` (`service`). A route file imports the
//! plumbing (`crate::http::error`, `crate::http::security`, `crate::http::state`, …), the
//! domain, and the bodies several routes share ([`shared`], [`words`],
//! [`body_fields`]); never a sibling route file and never infra.

pub mod admin;
pub mod apps;
pub mod auth;
pub mod body_fields;
pub mod clients;
pub mod email;
pub mod fraud;
pub mod login_body;
pub mod openapi;
pub mod passkeys;
pub mod phone;
pub mod reauthenticate;
pub mod reset;
pub mod second_factors;
pub mod sessions;
pub mod shared;
pub mod trusted_devices;
pub mod users;
pub mod verifications;
pub mod words;
