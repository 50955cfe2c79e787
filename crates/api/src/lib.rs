//! authd's HTTP face: routes, configuration, telemetry and wiring. `main.rs`
//! only parses the command line and calls in here.

pub mod app;
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
pub mod request_log;
pub mod security;
pub mod senders;
pub mod server;
pub mod signing;
pub mod state;
pub mod telemetry;
pub mod ui;
pub mod v1;
pub mod worker;
