//! Codes that reach people: what a message says ([`message`], worded in
//! [`template`]), the outbox row that carries it ([`delivery`]) and the
//! courier that sends due rows through the [`Notifier`](crate::ports::Notifier)
//! port, retrying on a schedule ([`courier`]).

pub mod courier;
pub mod delivery;
pub mod message;
pub mod notice;
pub mod template;

pub use courier::Courier;
pub use delivery::{Delivery, DeliveryPolicy, DeliveryStatus, Settlement};
pub use message::{Channel, Link, Message, MessageKind, Receipt, SendFailure};
pub use notice::Notices;

#[cfg(test)]
mod tests;
