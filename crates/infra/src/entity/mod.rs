//! SeaORM entities. They stay inside infra; the domain sees its own types.

pub mod otp_challenges;
pub mod sessions;
pub mod users;
