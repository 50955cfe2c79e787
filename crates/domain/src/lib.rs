//! authd's pure core: the rules of users, tokens and second factors, and the
//! use cases that combine them. Everything outside (storage, hashing,
//! signing, mail, time, randomness) comes in through the traits in
//! [`ports`], [`clock`] and [`rng`]; [`wiring`] builds the services on them.

pub mod account;
pub mod admin;
pub mod app;
pub mod assurance;
pub mod audit;
pub mod clock;
pub mod email;
pub mod error;
pub mod login;
pub mod notify;
pub mod oidc;
pub mod otp;
pub mod page;
pub mod passkey;
pub mod password;
pub mod phone;
pub mod policy;
pub mod ports;
pub mod prefixed_key;
pub mod random_token;
pub mod recovery_code;
pub mod reset;
pub mod retention;
pub mod rng;
pub mod session;
pub mod signing_key;
pub mod sms_guard;
pub mod subject;
pub mod throttle;
pub mod token;
pub mod totp;
pub mod trusted_device;
pub mod user;
pub mod verification;
pub mod wiring;
mod words;

/// In-memory adapters and the contract suites every adapter must pass.
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{Error, Result};
pub use policy::Policy;
pub use wiring::{Ports, Services};
