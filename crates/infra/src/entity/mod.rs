//! SeaORM entities. They stay inside infra; the domain sees its own types.

pub mod audit_events;
pub mod otp_challenges;
pub mod sessions;
pub mod users;
