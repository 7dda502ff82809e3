//! JSON shapes every input reader checks.

/// True when the body's first non-whitespace byte opens a JSON object. Checked before
/// deserialising: serde would also read a struct from a positional array (`[23, "OK"]` as
/// `{"app_id": 23, "message": "OK"}`), which no client means.
pub fn starts_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}
