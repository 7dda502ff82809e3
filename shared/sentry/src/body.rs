//! Request bodies as SDKs send them: `Content-Encoding` undone within a bound.
//!
//! SDKs compress envelopes (the Python SDK gzips by default, the JavaScript SDK may use
//! brotli). Decompression reads at most `max_decoded + 1` bytes, so a zip bomb stops with
//! [`BodyError::TooLarge`] after that many bytes, whatever it would expand to.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

/// The largest body accepted as received (compressed or not).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The largest body accepted once decoded.
pub const MAX_DECODED_BYTES: usize = 4 * 1024 * 1024;

/// Buffer size of the brotli reader.
const BROTLI_BUFFER: usize = 4096;

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// A `Content-Encoding` other than identity, gzip, x-gzip, deflate and br.
    #[error("unsupported Content-Encoding {0:?}")]
    Unsupported(String),
    /// More than `limit` bytes, as received (identity) or once decoded.
    #[error("body larger than {limit} bytes once decoded")]
    TooLarge { limit: usize },
    /// Not valid data for its encoding (truncated, bad checksum, not compressed at all).
    #[error("body does not decode: {0}")]
    Corrupt(String),
}

/// `body` with its `Content-Encoding` undone, at most `max_decoded` bytes.
///
/// Encodings: none, `""` and `identity` (the body itself, borrowed), `gzip` and `x-gzip`
/// (concatenated members too), `deflate` (zlib-wrapped as HTTP says, or raw deflate when the
/// body has no zlib header, as some clients send), `br`. A list (`gzip, br`) is undone from
/// the last coding applied to the first. Case and surrounding spaces do not matter.
pub fn decode_body<'a>(
    content_encoding: Option<&str>,
    body: &'a [u8],
    max_decoded: usize,
) -> Result<Cow<'a, [u8]>, BodyError> {
    let codings: Vec<String> = content_encoding
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let mut data = Cow::Borrowed(body);
    for coding in codings.iter().rev() {
        let decoded = match coding.as_str() {
            "gzip" | "x-gzip" => read_bounded(MultiGzDecoder::new(&*data), max_decoded)?,
            "deflate" if has_zlib_header(&data) => {
                read_bounded(ZlibDecoder::new(&*data), max_decoded)?
            }
            "deflate" => read_bounded(DeflateDecoder::new(&*data), max_decoded)?,
            "br" => read_bounded(
                brotli_decompressor::Decompressor::new(&*data, BROTLI_BUFFER),
                max_decoded,
            )?,
            other => return Err(BodyError::Unsupported(other.to_owned())),
        };
        data = Cow::Owned(decoded);
    }
    if data.len() > max_decoded {
        return Err(BodyError::TooLarge { limit: max_decoded });
    }
    Ok(data)
}

/// All of `reader` if it holds at most `max` bytes; it is never read past `max + 1`.
fn read_bounded(reader: impl Read, max: usize) -> Result<Vec<u8>, BodyError> {
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Corrupt(e.to_string()))?;
    if out.len() > max {
        return Err(BodyError::TooLarge { limit: max });
    }
    Ok(out)
}

/// Whether `data` starts with a zlib header (RFC 1950: method 8, window ≤ 32 KiB, check bits).
fn has_zlib_header(data: &[u8]) -> bool {
    match data {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}
