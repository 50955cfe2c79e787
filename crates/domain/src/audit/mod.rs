//! Security events: what can happen to an account ([`event`]) and the one
//! place events are written from ([`trail`]).

pub mod event;
pub mod trail;

pub use event::{AuditEvent, Detail, EventKind};
pub use trail::Audit;
