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

/// Slack `chat.postMessage` / incoming webhook `text`: "truncated … at 40,000 characters";
/// webhooks refuse a longer one with `msg_too_long`.
pub(crate) const SLACK_MAX_TEXT: usize = 40_000;
/// Slack Block Kit: at most 50 blocks in a message.
pub(crate) const SLACK_MAX_BLOCKS: usize = 50;
/// Slack Block Kit header block: "Maximum length for the text in this field is 150 characters".
pub(crate) const SLACK_MAX_HEADER: usize = 150;
/// Slack Block Kit section block text: "Maximum length … is 3000 characters".
pub(crate) const SLACK_MAX_SECTION: usize = 3000;
/// Discord Execute Webhook `content`: "the message contents (up to 2000 characters)".
pub(crate) const DISCORD_MAX_CONTENT: usize = 2000;
/// Discord Execute Webhook: "embedded rich content (up to 10 embeds)".
pub(crate) const DISCORD_MAX_EMBEDS: usize = 10;
/// Discord embed limits: title 256, description 4096, 25 fields, field name 256, field value
/// 1024, footer text 2048, author name 256, and 6000 characters in all of those together.
pub(crate) const DISCORD_MAX_TITLE: usize = 256;
pub(crate) const DISCORD_MAX_DESCRIPTION: usize = 4096;
pub(crate) const DISCORD_MAX_FIELDS: usize = 25;
pub(crate) const DISCORD_MAX_FIELD_NAME: usize = 256;
pub(crate) const DISCORD_MAX_FIELD_VALUE: usize = 1024;
pub(crate) const DISCORD_MAX_FOOTER: usize = 2048;
pub(crate) const DISCORD_MAX_AUTHOR: usize = 256;
pub(crate) const DISCORD_MAX_EMBED_TOTAL: usize = 6000;

/// A length as Slack and Discord count it: characters (code points; Discord's API counts
/// Python string lengths, and Lookout's builders cut by characters).
pub(crate) fn char_len(text: &str) -> usize {
    text.chars().count()
}
