//! Building the node from the settings: the database, signing keys and
//! secrets, senders, the courier and purge workers, the HTTP server and its
//! shutdown, telemetry and the log sink. Every adapter is built here, once.

pub mod data_dir;
pub mod database;
mod http2;
pub mod log_sink;
pub mod node;
mod refuse;
pub mod secrets;
pub mod senders;
pub mod serve;
pub mod server;
pub mod signing;
pub mod telemetry;
pub mod worker;
