//! Adapters for the domain's ports: SeaORM repositories (PostgreSQL and
//! SQLite), the argon2id hasher, the JWT codec (HS256, or EdDSA with rotated keys), the keyed OTP hasher,
//! the delivery outbox and message senders, the system clock and the OS random source.

pub mod apps;
pub mod audit;
pub mod authorizations;
mod bounded_map;
pub mod clients;
pub mod clock;
pub mod csrf;
pub mod db;
mod entity;
pub mod hasher;
pub mod id_tokens;
pub mod jws;
pub mod jwt;
mod jwt_crypto;
mod key_rows;
pub mod keyed_hash;
mod keys;
pub mod login_finish;
pub mod notify;
pub mod otps;
pub mod outbox;
pub mod passkeys;
pub mod purge;
pub mod pushed_users;
pub mod recovery_codes;
pub mod revocation;
pub mod revocation_listener;
pub mod rng;
pub mod sealer;
pub mod sessions;
pub mod signing_keys;
pub mod sms_guard;
pub mod throttle;
pub mod totp;
pub mod trusted_devices;
pub mod user_memory;
pub mod users;
pub mod verified_tokens;
pub mod webauthn;

pub use db::{Database, connect};
