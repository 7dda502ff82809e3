//! Request bodies as exporters send them: the format from `Content-Type`, `Content-Encoding`
//! undone within a bound.
//!
//! Inflating reads at most `MAX_DECODED_BYTES + 1` bytes, so a gzip bomb stops with
//! [`OtlpError::TooLarge`] after that many bytes, whatever it would expand to.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

use crate::error::OtlpError;

/// The largest body accepted as received (compressed or not).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// The largest body accepted once inflated.
pub const MAX_DECODED_BYTES: usize = 4 << 20;

/// The two encodings of OTLP/HTTP; answers use the request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Binary protobuf, `application/x-protobuf`.
    Protobuf,
    /// OTLP/JSON (protobuf's JSON mapping with hex ids), `application/json`.
    Json,
}

impl Format {
    /// The `Content-Type` of answers in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
            Self::Json => "application/json",
        }
    }
}

/// The format of a request from its `Content-Type`: `application/x-protobuf` (or
/// `application/protobuf`) and `application/json`, in any case, parameters such as
/// `; charset=utf-8` ignored. A missing or other type is [`OtlpError::UnsupportedMediaType`].
pub fn format_of(content_type: Option<&str>) -> Result<Format, OtlpError> {
    let essence = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Format::Protobuf),
        "application/json" => Ok(Format::Json),
        _ => Err(OtlpError::UnsupportedMediaType),
    }
}

/// `body` with its `Content-Encoding` undone, checked against both bounds.
///
/// Encodings: none, `""` and `identity` (the body itself, borrowed); `gzip` and `x-gzip` (the
/// one OTLP names; concatenated members too); `deflate` (zlib-wrapped, or raw deflate without a
/// zlib header), which the Python exporter offers. Case and surrounding spaces do not matter.
/// Any other coding, or a list of them, is [`OtlpError::Malformed`].
pub(crate) fn inflate<'a>(
    content_encoding: Option<&str>,
    body: &'a [u8],
) -> Result<Cow<'a, [u8]>, OtlpError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(OtlpError::TooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let coding = content_encoding
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match coding.as_str() {
        "" | "identity" => Ok(Cow::Borrowed(body)),
        "gzip" | "x-gzip" => read_bounded(MultiGzDecoder::new(body), "gzip").map(Cow::Owned),
        "deflate" if has_zlib_header(body) => {
            read_bounded(ZlibDecoder::new(body), "deflate").map(Cow::Owned)
        }
        "deflate" => read_bounded(DeflateDecoder::new(body), "deflate").map(Cow::Owned),
        other => Err(OtlpError::Malformed(format!(
            "unsupported Content-Encoding {other:?} (gzip or identity)"
        ))),
    }
}

/// All of `reader` if it yields at most [`MAX_DECODED_BYTES`]; never read past one byte more.
pub(crate) fn read_bounded(reader: impl Read, coding: &str) -> Result<Vec<u8>, OtlpError> {
    let limit = u64::try_from(MAX_DECODED_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| OtlpError::Malformed(format!("body is not valid {coding}: {e}")))?;
    if out.len() > MAX_DECODED_BYTES {
        return Err(OtlpError::TooLarge {
            limit: MAX_DECODED_BYTES,
        });
    }
    Ok(out)
}

/// Whether `data` starts with a zlib header (RFC 1950: deflate method, check bits valid).
fn has_zlib_header(data: &[u8]) -> bool {
    match data {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    }
}
