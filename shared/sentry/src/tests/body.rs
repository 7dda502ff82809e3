//! Bodies: each encoding round trips, the bounds hold, zip bombs stop early.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use crate::body::{decode_body, BodyError, MAX_BODY_BYTES, MAX_DECODED_BYTES};
use crate::tests::support::{brotli, gzip, raw_deflate, zlib};

const ENVELOPE: &[u8] = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\"}\n{\"message\":\"hi\"}\n";

#[test]
fn identity_bodies_are_borrowed_as_they_are() {
    for encoding in [None, Some(""), Some("identity"), Some(" Identity ")] {
        let out = decode_body(encoding, ENVELOPE, MAX_DECODED_BYTES).unwrap();
        assert!(matches!(out, Cow::Borrowed(_)), "{encoding:?}");
        assert_eq!(&*out, ENVELOPE);
    }
}

#[test]
fn each_encoding_round_trips() {
    let cases = [
        ("gzip", gzip(ENVELOPE)),
        ("x-gzip", gzip(ENVELOPE)),
        ("GZIP", gzip(ENVELOPE)),
        ("deflate", zlib(ENVELOPE)),
        ("deflate", raw_deflate(ENVELOPE)),
        ("br", brotli(ENVELOPE)),
        ("br, gzip", gzip(&brotli(ENVELOPE))),
        ("identity, gzip", gzip(ENVELOPE)),
    ];
    for (encoding, body) in cases {
        let out = decode_body(Some(encoding), &body, MAX_DECODED_BYTES).unwrap();
        assert_eq!(&*out, ENVELOPE, "{encoding}");
    }
}

#[test]
fn the_bound_is_inclusive() {
    let data = vec![b'x'; 1000];
    for (encoding, body) in [
        ("identity", data.clone()),
        ("gzip", gzip(&data)),
        ("deflate", zlib(&data)),
        ("br", brotli(&data)),
    ] {
        assert_eq!(
            decode_body(Some(encoding), &body, 1000).unwrap().len(),
            1000
        );
        assert_eq!(
            decode_body(Some(encoding), &body, 999),
            Err(BodyError::TooLarge { limit: 999 }),
            "{encoding}"
        );
    }
}

#[test]
fn unknown_encodings_are_unsupported() {
    assert_eq!(
        decode_body(Some("zstd"), ENVELOPE, MAX_DECODED_BYTES),
        Err(BodyError::Unsupported("zstd".to_owned()))
    );
    assert_eq!(
        decode_body(Some("gzip, compress"), ENVELOPE, MAX_DECODED_BYTES),
        Err(BodyError::Unsupported("compress".to_owned()))
    );
}

#[test]
fn corrupt_bodies_are_corrupt() {
    let whole = gzip(ENVELOPE);
    let truncated = &whole[..whole.len() / 2];
    for (encoding, body) in [
        ("gzip", ENVELOPE),
        ("gzip", truncated),
        ("deflate", b"\x78\x9c\xff\xff\xff".as_slice()),
        ("br", ENVELOPE),
    ] {
        let err = decode_body(Some(encoding), body, MAX_DECODED_BYTES).unwrap_err();
        assert!(matches!(err, BodyError::Corrupt(_)), "{encoding}: {err:?}");
    }
}

/// 50 MiB of zeros as 50 gzip members of 1 MiB each (a body under 100 KiB): decoding stops
/// after the bound, quickly, without holding more than it.
#[test]
fn a_gzip_bomb_stops_at_the_bound() {
    let member = gzip(&vec![0u8; 1024 * 1024]);
    let bomb: Vec<u8> = member.repeat(50);
    assert!(bomb.len() < MAX_BODY_BYTES);
    let started = Instant::now();
    let err = decode_body(Some("gzip"), &bomb, MAX_DECODED_BYTES).unwrap_err();
    assert_eq!(
        err,
        BodyError::TooLarge {
            limit: MAX_DECODED_BYTES
        }
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn deflate_and_brotli_bombs_stop_at_the_bound() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    for (encoding, bomb) in [("deflate", zlib(&zeros)), ("br", brotli(&zeros))] {
        assert!(bomb.len() < MAX_BODY_BYTES, "{encoding}");
        let err = decode_body(Some(encoding), &bomb, MAX_DECODED_BYTES).unwrap_err();
        assert_eq!(
            err,
            BodyError::TooLarge {
                limit: MAX_DECODED_BYTES
            },
            "{encoding}"
        );
    }
}

#[test]
fn errors_read_well() {
    assert_eq!(
        BodyError::TooLarge { limit: 10 }.to_string(),
        "body larger than 10 bytes once decoded"
    );
    assert_eq!(
        BodyError::Unsupported("zstd".to_owned()).to_string(),
        "unsupported Content-Encoding \"zstd\""
    );
}
