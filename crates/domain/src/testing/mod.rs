//! For tests only (`cfg(test)` or the `testing` feature; the authd binary
//! has neither): in-memory adapters ([`fakes`]), a whole domain on them
//! ([`world`]), and the contract every repository adapter keeps
//! ([`contract`]).

pub mod contract;
pub mod fakes;
pub mod world;
