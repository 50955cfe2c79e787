//! The black-box suite: the user's view of authd, over real HTTP.
//!
//! Each test starts its own `authd` on 127.0.0.1:0 with a fresh data dir and
//! database (SQLite by default; a fresh PostgreSQL database per server when
//! AUTHD_TEST_DATABASE_URL is set), or targets AUTHD_BASE_URL.

use test_support::form;
use test_support::listen;
use test_support::smtp_sink;
use test_support::testdb;

mod harness;
mod proxy;

mod admin;
mod apps;
mod auth;
mod browser;
mod browser_plain;
mod clients;
mod connections;
mod delivery;
mod email;
mod failover;
mod jwks;
mod malformed;
mod metrics;
mod oidc;
mod oidc_browser;
mod oidc_client_credentials;
mod oidc_logout;
mod otp;
mod outage;
mod overload;
mod pages;
mod passkeys;
mod phone;
mod reauthenticate;
mod reset;
mod retention;
mod second_factor_policy;
mod security;
mod sms_guard;
mod startup;
mod telemetry;
mod totp;
mod trusted_devices;
mod two_nodes;
mod users;
mod verifications;
