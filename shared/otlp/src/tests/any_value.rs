//! `AnyValue` as JSON.

use serde_json::json;

use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
use opentelemetry_proto::tonic::common::v1::AnyValue;

use super::support::{any, array, kv, kvlist, s};
use crate::draft::any_value_json;

#[test]
fn scalars_convert_to_their_json_kinds() {
    for (value, expected) in [
        (s("text"), json!("text")),
        (any(V::BoolValue(true)), json!(true)),
        (any(V::IntValue(i64::MAX)), json!(i64::MAX)),
        (any(V::IntValue(-7)), json!(-7)),
        (any(V::DoubleValue(1.5)), json!(1.5)),
        (any(V::DoubleValue(f64::NAN)), json!("NaN")),
        (any(V::DoubleValue(f64::INFINITY)), json!("Infinity")),
        (any(V::DoubleValue(f64::NEG_INFINITY)), json!("-Infinity")),
        (
            any(V::BytesValue(vec![0, 1, 2, 253, 254, 255])),
            json!("AAEC/f7/"),
        ),
        (any(V::StringValueStrindex(3)), json!(null)),
        (AnyValue { value: None }, json!(null)),
    ] {
        assert_eq!(any_value_json(&value), expected, "{value:?}");
    }
}

#[test]
fn arrays_and_kvlists_convert_recursively_and_a_repeated_key_keeps_its_last_value() {
    let value = kvlist(vec![
        kv(
            "user",
            kvlist(vec![
                kv("id", any(V::IntValue(7))),
                kv("roles", array(vec![s("admin"), s("ops")])),
            ]),
        ),
        kv("empty", array(Vec::new())),
        kv("dup", s("first")),
        kv("dup", s("second")),
    ]);
    assert_eq!(
        any_value_json(&value),
        json!({
            "user": {"id": 7, "roles": ["admin", "ops"]},
            "empty": [],
            "dup": "second"
        })
    );
}
