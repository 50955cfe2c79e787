//! authd's pure core: the rules of users, tokens and second factors, and the use
//! cases that combine them. Everything outside (storage, hashing, signing, mail,
//! time, randomness) comes in through the traits in [`ports`].

pub mod account;
pub mod admin;
pub mod audit;
pub mod error;
pub mod login;
pub mod otp;
pub mod password;
pub mod ports;
pub mod service;
pub mod session;
pub mod throttle;
pub mod token;
pub mod user;

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod usecase_tests;

pub use error::{Error, Result};
pub use service::{AuthService, Policy, Ports};
