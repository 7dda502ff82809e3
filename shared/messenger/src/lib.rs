//! Messenger broadcast (seed 003): contacts, sends and deliveries ([`broadcast`]), and the
//! Telegram / WhatsApp / Viber adapters ([`messenger`]).

pub mod broadcast;
pub mod messenger;
