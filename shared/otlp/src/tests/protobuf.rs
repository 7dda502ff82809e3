//! Binary protobuf requests: every field of the drafts, the bounds, malformed bodies.

use serde_json::json;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs as ProtoResourceLogs};

use super::support::{
    any, encode, full_record, kv, kvlist, record, request, s, SPAN_ID, TIME_MS, TIME_NS, TRACE_ID,
};
use crate::{decode_request, Format, Level, LogDraft, OtlpError, ResourceLogs, MAX_RECORDS};

fn decode(request: &ExportLogsServiceRequest) -> Result<Vec<ResourceLogs>, OtlpError> {
    decode_request(Format::Protobuf, None, &encode(request))
}

fn only_draft(request: &ExportLogsServiceRequest) -> LogDraft {
    let mut resources = decode(request).unwrap();
    assert_eq!(resources.len(), 1);
    let mut records = resources.remove(0).records;
    assert_eq!(records.len(), 1);
    records.remove(0)
}

#[test]
fn every_field_of_a_record_becomes_its_draft() {
    let resources = decode(&request(vec![full_record()])).unwrap();

    let expected = LogDraft {
        level: Level::Warn,
        body: "stock low for X-9".to_owned(),
        time_ms: Some(TIME_MS),
        trace_id: Some(TRACE_ID.to_owned()),
        span_id: Some(SPAN_ID.to_owned()),
        attributes: json!({
            "order.id": 42,
            "retry": true,
            "ratio": 0.25,
            "raw": "aGkh",
            "tags": ["a", -1],
            "http": {"status": 503},
            "resource.host.name": "web-1",
            "scope.name": "billing.jobs",
            "scope.version": "1.4.2",
        })
        .as_object()
        .unwrap()
        .clone(),
    };
    assert_eq!(
        resources,
        vec![ResourceLogs {
            service_name: Some("billing-api".to_owned()),
            records: vec![expected],
        }]
    );
}

#[test]
fn time_falls_back_to_the_observed_time_and_zero_is_absent() {
    let mut observed_only = record(9, "", Some(s("x")));
    observed_only.observed_time_unix_nano = TIME_NS;
    assert_eq!(
        only_draft(&request(vec![observed_only])).time_ms,
        Some(TIME_MS)
    );

    let neither = record(9, "", Some(s("x")));
    assert_eq!(only_draft(&request(vec![neither])).time_ms, None);
}

#[test]
fn empty_zero_and_misfit_ids_are_absent() {
    for (trace_id, span_id) in [
        (Vec::new(), Vec::new()),
        (vec![0; 16], vec![0; 8]),
        (vec![1; 15], vec![1; 9]),
    ] {
        let mut r = record(9, "", Some(s("x")));
        r.trace_id = trace_id;
        r.span_id = span_id;
        let draft = only_draft(&request(vec![r]));
        assert_eq!((draft.trace_id, draft.span_id), (None, None));
    }
}

#[test]
fn bodies_other_than_strings_are_compact_json() {
    let cases = [
        (None, ""),
        (Some(s("plain \"text\"")), "plain \"text\""),
        (Some(any(V::IntValue(5))), "5"),
        (Some(any(V::BoolValue(false))), "false"),
        (Some(any(V::BytesValue(vec![0xff]))), "/w=="),
        (
            Some(kvlist(vec![
                kv("event", s("login")),
                kv("user", any(V::IntValue(7))),
            ])),
            r#"{"event":"login","user":7}"#,
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            only_draft(&request(vec![record(9, "", body)])).body,
            expected
        );
    }
}

#[test]
fn the_service_name_is_taken_out_of_the_resource_and_may_be_missing() {
    let mut req = request(vec![record(9, "", Some(s("x")))]);
    let resource = req.resource_logs[0].resource.as_mut().unwrap();
    resource.attributes.retain(|kv| kv.key != "service.name");
    let resources = decode(&req).unwrap();
    assert_eq!(resources[0].service_name, None);
    assert_eq!(
        resources[0].records[0].attributes.get("resource.host.name"),
        Some(&json!("web-1"))
    );

    let mut req = request(vec![record(9, "", Some(s("x")))]);
    req.resource_logs[0].resource = None;
    req.resource_logs[0].scope_logs[0].scope = None;
    let draft = only_draft(&req);
    assert!(draft.attributes.is_empty(), "{:?}", draft.attributes);
}

#[test]
fn resources_and_records_keep_their_order_and_empty_resources_are_left_out() {
    let mut req = request(vec![
        record(9, "", Some(s("one"))),
        record(17, "", Some(s("two"))),
    ]);
    let mut second = request(vec![record(5, "", Some(s("three")))])
        .resource_logs
        .remove(0);
    second.resource.as_mut().unwrap().attributes[0] = kv("service.name", s("worker"));
    req.resource_logs.push(ProtoResourceLogs::default());
    req.resource_logs.push(second);

    let resources = decode(&req).unwrap();
    /// A resource's service name and its records' bodies and levels.
    type Seen<'a> = (Option<&'a str>, Vec<(&'a str, Level)>);
    let seen: Vec<Seen<'_>> = resources
        .iter()
        .map(|r| {
            let records = r
                .records
                .iter()
                .map(|d| (d.body.as_str(), d.level))
                .collect();
            (r.service_name.as_deref(), records)
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                Some("billing-api"),
                vec![("one", Level::Info), ("two", Level::Error)]
            ),
            (Some("worker"), vec![("three", Level::Debug)]),
        ]
    );
}

#[test]
fn resource_and_scope_attributes_win_over_a_record_attribute_of_their_name() {
    let mut r = record(9, "", Some(s("x")));
    r.attributes = vec![kv("scope.name", s("forged")), kv("mine", s("kept"))];
    let draft = only_draft(&request(vec![r]));
    assert_eq!(
        draft.attributes.get("scope.name"),
        Some(&json!("billing.jobs"))
    );
    assert_eq!(draft.attributes.get("mine"), Some(&json!("kept")));
}

#[test]
fn an_empty_body_is_an_empty_request() {
    assert_eq!(decode_request(Format::Protobuf, None, b""), Ok(Vec::new()));
}

#[test]
fn more_records_than_the_bound_are_refused_and_the_bound_itself_passes() {
    let many = |n: usize| request(vec![record(9, "", Some(s("x"))); n]);

    let at_bound = decode(&many(MAX_RECORDS)).unwrap();
    assert_eq!(at_bound[0].records.len(), MAX_RECORDS);

    match decode(&many(MAX_RECORDS + 1)) {
        Err(OtlpError::Malformed(message)) => {
            assert!(message.contains("10001 log records"), "{message}");
            assert!(message.contains("at most 10000"), "{message}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn garbage_and_truncated_protobuf_are_malformed() {
    let valid = encode(&request(vec![full_record()]));
    let garbage: [&[u8]; 4] = [
        // wire type 7 does not exist
        &[0xff; 32],
        // a length that overflows a varint
        b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
        // field 1 announces 100 bytes, 3 follow
        b"\x0a\x64abc",
        b"{\"resourceLogs\":[]}",
    ];
    for body in garbage.into_iter().chain([&valid[..valid.len() - 7]]) {
        match decode_request(Format::Protobuf, None, body) {
            Err(OtlpError::Malformed(message)) => {
                assert!(message.starts_with("body is not protobuf"), "{message}")
            }
            other => panic!("expected Malformed for {body:?}, got {other:?}"),
        }
    }
}

#[test]
fn random_bytes_never_panic_and_fail_as_malformed() {
    // A fixed xorshift sequence: the same bytes on every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut malformed = 0;
    for len in 1..400 {
        let body: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        match decode_request(Format::Protobuf, None, &body) {
            Err(OtlpError::Malformed(_)) => malformed += 1,
            // A few short ones can happen to be valid (unknown fields are skipped).
            Ok(_) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        malformed > 390,
        "only {malformed} of 399 random bodies were refused"
    );
}

#[test]
fn deeply_nested_values_are_refused_not_overflowing_the_stack() {
    let mut value = s("leaf");
    for _ in 0..200 {
        value = kvlist(vec![kv("k", value)]);
    }
    let r = LogRecord {
        body: Some(value),
        ..LogRecord::default()
    };
    let body = encode(&request(vec![r]));
    assert!(matches!(
        decode_request(Format::Protobuf, None, &body),
        Err(OtlpError::Malformed(_))
    ));
}
