//! Content types, content encodings and the size bounds.

use std::io::repeat;
use std::time::{Duration, Instant};

use flate2::write::{DeflateEncoder, ZlibEncoder};
use flate2::Compression;
use std::io::Write;

use super::support::{encode, full_record, gzip, request};
use crate::body::{inflate, read_bounded};
use crate::{decode_request, format_of, Format, OtlpError, MAX_BODY_BYTES, MAX_DECODED_BYTES};

#[test]
fn content_types_name_the_format_whatever_their_case_and_parameters() {
    for (header, format) in [
        ("application/x-protobuf", Format::Protobuf),
        ("application/protobuf", Format::Protobuf),
        ("Application/X-Protobuf; charset=binary", Format::Protobuf),
        ("application/json", Format::Json),
        (" application/json ; charset=utf-8", Format::Json),
    ] {
        assert_eq!(format_of(Some(header)), Ok(format), "{header}");
    }
    for header in [
        None,
        Some(""),
        Some("text/plain"),
        Some("application/grpc"),
        Some("application/jsonx"),
    ] {
        assert_eq!(
            format_of(header),
            Err(OtlpError::UnsupportedMediaType),
            "{header:?}"
        );
    }
    assert_eq!(Format::Protobuf.content_type(), "application/x-protobuf");
    assert_eq!(Format::Json.content_type(), "application/json");
}

#[test]
fn gzip_x_gzip_deflate_and_identity_bodies_decode_alike() {
    let plain = encode(&request(vec![full_record()]));
    let expected = decode_request(Format::Protobuf, None, &plain).unwrap();
    assert_eq!(expected[0].records.len(), 1);

    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(&plain).unwrap();
    let mut raw = DeflateEncoder::new(Vec::new(), Compression::default());
    raw.write_all(&plain).unwrap();
    let bodies = [
        (Some("gzip"), gzip(&plain)),
        (Some(" GZIP "), gzip(&plain)),
        (Some("x-gzip"), gzip(&plain)),
        (Some("deflate"), zlib.finish().unwrap()),
        (Some("deflate"), raw.finish().unwrap()),
        (Some("identity"), plain.clone()),
        (Some(""), plain.clone()),
    ];
    for (coding, body) in bodies {
        assert_eq!(
            decode_request(Format::Protobuf, coding, &body),
            Ok(expected.clone()),
            "{coding:?}"
        );
    }
}

#[test]
fn unknown_encodings_and_corrupt_gzip_are_malformed() {
    let plain = encode(&request(vec![full_record()]));
    let zipped = gzip(&plain);
    let mut flipped = zipped.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    for (coding, body) in [
        ("br", zipped.clone()),
        ("gzip, br", zipped.clone()),
        ("compress", zipped.clone()),
        ("gzip", plain.clone()),
        ("gzip", zipped[..zipped.len() / 2].to_vec()),
        ("gzip", flipped),
    ] {
        assert!(
            matches!(
                decode_request(Format::Protobuf, Some(coding), &body),
                Err(OtlpError::Malformed(_))
            ),
            "{coding} with {} bytes",
            body.len()
        );
    }
}

#[test]
fn a_body_over_the_bound_as_received_is_too_large() {
    let body = vec![0_u8; MAX_BODY_BYTES + 1];
    for coding in [None, Some("gzip")] {
        assert_eq!(
            decode_request(Format::Protobuf, coding, &body),
            Err(OtlpError::TooLarge {
                limit: MAX_BODY_BYTES
            })
        );
    }
    assert_eq!(
        inflate(None, &body[..MAX_BODY_BYTES]).map(|b| b.len()),
        Ok(MAX_BODY_BYTES)
    );
}

#[test]
fn inflating_up_to_the_bound_passes_and_one_byte_more_is_too_large() {
    let exact = gzip(&vec![b'a'; MAX_DECODED_BYTES]);
    assert_eq!(
        inflate(Some("gzip"), &exact).map(|b| b.len()),
        Ok(MAX_DECODED_BYTES)
    );

    let over = gzip(&vec![b'a'; MAX_DECODED_BYTES + 1]);
    assert_eq!(
        inflate(Some("gzip"), &over).map(|b| b.len()),
        Err(OtlpError::TooLarge {
            limit: MAX_DECODED_BYTES
        })
    );
}

#[test]
fn a_gzip_bomb_of_50_mb_of_zeros_is_too_large() {
    let bomb = gzip(&vec![0_u8; 50 << 20]);
    assert!(bomb.len() < MAX_BODY_BYTES, "{} bytes", bomb.len());
    assert_eq!(
        decode_request(Format::Protobuf, Some("gzip"), &bomb),
        Err(OtlpError::TooLarge {
            limit: MAX_DECODED_BYTES
        })
    );
}

#[test]
fn a_gigabyte_bomb_stops_while_inflating() {
    // 1,000 gzip members of 1 MiB of zeros each: 1 GiB once inflated, under 1 MiB as sent.
    let member = gzip(&vec![0_u8; 1 << 20]);
    let bomb = member.repeat(MAX_BODY_BYTES / member.len());
    assert!(bomb.len() <= MAX_BODY_BYTES);

    let started = Instant::now();
    let result = decode_request(Format::Json, Some("gzip"), &bomb);
    assert_eq!(
        result,
        Err(OtlpError::TooLarge {
            limit: MAX_DECODED_BYTES
        })
    );
    // Inflating all of it would take far longer (and 1 GiB of memory).
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_endless_stream_is_cut_one_byte_past_the_bound() {
    // `repeat` never ends: only a bounded read returns at all.
    assert_eq!(
        read_bounded(repeat(0), "gzip"),
        Err(OtlpError::TooLarge {
            limit: MAX_DECODED_BYTES
        })
    );
}
