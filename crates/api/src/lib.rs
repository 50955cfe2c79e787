//! authd's HTTP face: routes, configuration, telemetry and wiring. `main.rs`
//! only parses the command line and calls in here.

pub mod admin_api;
pub mod app;
pub mod apps_api;
pub mod auth_api;
pub mod body_fields;
pub mod body_limit;
pub mod client_addr;
pub mod config;
pub mod data_dir;
pub mod database;
pub mod error;
pub mod health;
pub mod json_body;
pub mod log_sink;
pub mod metrics;
pub mod openapi_doc;
pub mod phone_api;
pub mod request_log;
pub mod second_factors_api;
pub mod security;
pub mod senders;
pub mod server;
pub mod sessions_api;
pub mod signing;
pub mod state;
pub mod telemetry;
pub mod ui;
pub mod users_api;
pub mod verifications_api;
pub mod words;
pub mod worker;
