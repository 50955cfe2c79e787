//! Helpers shared by infra's tests, the black-box suite and the benchmark;
//! a dev-dependency only, so the authd binary holds none of it.

pub mod form;
pub mod listen;
pub mod smtp_sink;
pub mod testdb;
