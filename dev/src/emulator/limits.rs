//! The emulated services' text limits, written out here rather than taken from the adapters so
//! that a wrong limit there shows. Lengths are counted in UTF-16 code units, as Telegram counts
//! them, and the same for WhatsApp and Viber: their documents say "characters", and this is the
//! strictest reading (an emoji is two).

/// Telegram Bot API `sendMessage`: "1-4096 characters after entities parsing".
pub(crate) const TELEGRAM_MAX_TEXT: usize = 4096;
/// WhatsApp Cloud API text message: "Maximum length: 4096 characters".
pub(crate) const WHATSAPP_MAX_TEXT: usize = 4096;
/// Viber REST API `send_message` text: "Max length 7,000 characters".
pub(crate) const VIBER_MAX_TEXT: usize = 7000;

/// A text's length as the emulated services count it: UTF-16 code units.
pub(crate) fn text_len(text: &str) -> usize {
    text.encode_utf16().count()
}
