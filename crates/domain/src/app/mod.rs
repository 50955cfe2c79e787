//! Applications registered by admins to send one-time codes to their own
//! users and check them (the verification API): what an app is and what
//! it may set ([`settings`]), its API keys ([`api_key`]), and managing
//! both ([`registry`]).

pub mod api_key;
pub mod registry;
pub mod settings;

pub use api_key::{ApiKey, AppKey, AppKeys};
pub use registry::Apps;
pub use settings::{App, AppChanges, AppForm, AppId, AppPatch, Served};

#[cfg(test)]
mod tests;
