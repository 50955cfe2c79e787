//! For tests only (`cfg(test)` or the `testing` feature; the authd binary
//! has neither): the in-memory database ([`fakes`]), stand-ins for the other
//! ports ([`doubles`]), a whole domain on them ([`world`]), and the contract
//! every repository adapter keeps ([`contract`]).

pub mod contract;
pub mod doubles;
pub mod fakes;
pub mod webauthn;
pub mod world;
