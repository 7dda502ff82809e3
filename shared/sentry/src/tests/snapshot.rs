//! The snapshot: its shape, what it never copies, and its bound on a huge event.

use serde_json::{json, Value};

use crate::incident::event_draft;
use crate::snapshot::MAX_SNAPSHOT_BYTES;
use crate::tests::support::event;

fn frames(n: usize, in_app: impl Fn(usize) -> bool, text: &str) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "filename": format!("f{i}.py"), "abs_path": format!("/srv/app/{text}/f{i}.py"),
                "function": format!("fn{i}"), "module": format!("m{i}"), "lineno": i, "colno": 1,
                "in_app": in_app(i), "context_line": text,
                "pre_context": [text, text, text, text, text, text, text],
                "post_context": [text, text, text, text, text, text, text],
                "vars": {"secret": "hunter2"}
            })
        })
        .collect()
}

fn len(v: &Value) -> usize {
    v.to_string().len()
}

#[test]
fn the_snapshot_has_the_events_context() {
    let e = event(json!({
        "event_id": "9ec79c33ec9942ab8353589fcb2e04dc",
        "timestamp": 1_700_000_000.25,
        "platform": "python", "release": "shop@1.4.2", "environment": "production",
        "server_name": "web-1", "transaction": "/invoices/{id}/pay", "logger": "shop.billing",
        "tags": {"tenant": "acme"},
        "user": {"id": "42", "email": "ada@example.com", "segment": {"plan": "pro"}},
        "request": {"method": "POST", "url": "https://shop.example.com/pay?x=1", "query_string": "x=1",
                    "headers": {"Host": "shop.example.com", "Cookie": "session=s3cr3t",
                                "authorization": "Bearer s3cr3t", "X-Api-Key": "s3cr3t"},
                    "cookies": "session=s3cr3t", "data": "{\"card\": \"4242\"}"},
        "exception": {"values": [{"type": "ValueError", "value": "bad", "module": "builtins",
                                  "mechanism": {"type": "django", "handled": false},
                                  "stacktrace": {"frames": frames(2, |_| true, "code")}}]},
        "breadcrumbs": {"values": [{"timestamp": 1_700_000_000, "type": "http", "category": "httplib",
                                    "level": "warning", "message": "GET /", "data": {"status_code": 500}}]},
        "sdk": {"name": "sentry.python", "version": "2.76.0"},
        "fingerprint": ["{{ default }}", "acme"]
    }));
    let s = event_draft(&e).snapshot;
    assert_eq!(s["event_id"], "9ec79c33ec9942ab8353589fcb2e04dc");
    assert_eq!(s["timestamp"], "2023-11-14T22:13:20.250Z");
    for (key, value) in [
        ("platform", "python"),
        ("release", "shop@1.4.2"),
        ("environment", "production"),
        ("server_name", "web-1"),
        ("transaction", "/invoices/{id}/pay"),
        ("logger", "shop.billing"),
    ] {
        assert_eq!(s[key], value, "{key}");
    }
    assert_eq!(s["tags"], json!({"tenant": "acme"}));
    assert_eq!(
        s["user"],
        json!({"id": "42", "email": "ada@example.com", "segment": {"plan": "pro"}})
    );
    assert_eq!(
        s["request"],
        json!({"method": "POST", "url": "https://shop.example.com/pay?x=1", "query_string": "x=1",
               "headers": {"Host": "shop.example.com", "Cookie": "[Filtered]",
                           "authorization": "[Filtered]", "X-Api-Key": "[Filtered]"}})
    );
    let x = &s["exceptions"][0];
    assert_eq!(
        (&x["type"], &x["value"], &x["module"]),
        (&json!("ValueError"), &json!("bad"), &json!("builtins"))
    );
    assert_eq!(x["mechanism"], json!({"type": "django", "handled": false}));
    let f = &x["frames"][1];
    assert_eq!(
        *f,
        json!({"filename": "f1.py", "abs_path": "/srv/app/code/f1.py", "function": "fn1", "module": "m1",
               "lineno": 1, "colno": 1, "in_app": true, "context_line": "code",
               "pre_context": vec!["code"; 5], "post_context": vec!["code"; 5]})
    );
    assert_eq!(
        s["breadcrumbs"],
        json!([{"timestamp": "2023-11-14T22:13:20.000Z", "type": "http", "category": "httplib",
                "level": "warning", "message": "GET /", "data": {"status_code": 500}}])
    );
    assert_eq!(
        s["sdk"],
        json!({"name": "sentry.python", "version": "2.76.0"})
    );
    assert_eq!(s["fingerprint"], json!(["{{ default }}", "acme"]));
    assert_eq!(s.get("truncated"), None);
    let text = s.to_string();
    assert!(
        !text.contains("s3cr3t") && !text.contains("4242") && !text.contains("hunter2"),
        "{text}"
    );
}

#[test]
fn strings_are_cut_and_lists_bounded() {
    let long = "x".repeat(10_000);
    let tags: serde_json::Map<String, Value> = (0..80)
        .map(|i| (format!("tag{i:02}"), json!(long)))
        .collect();
    let crumbs: Vec<Value> = (0..70)
        .map(|i| json!({"timestamp": 1_700_000_000 + i, "message": format!("crumb {i}")}))
        .collect();
    let exceptions: Vec<Value> = (0..14)
        .map(|i| json!({"type": format!("E{i}"), "value": long}))
        .collect();
    let e = event(
        json!({"message": long, "tags": tags, "breadcrumbs": crumbs, "exception": exceptions}),
    );
    let s = event_draft(&e).snapshot;
    assert!(len(&s) <= MAX_SNAPSHOT_BYTES);
    assert_eq!(s["tags"].as_object().unwrap().len(), 50);
    assert!(s["tags"]["tag00"].as_str().unwrap().len() <= 200);
    let xs = s["exceptions"].as_array().unwrap();
    assert_eq!(xs.len(), 10);
    assert_eq!(xs[0]["type"], "E4");
    assert_eq!(xs[9]["type"], "E13", "the primary exception is kept, last");
    assert!(xs[9]["value"].as_str().unwrap().len() <= 2048);
    assert!(xs[9]["value"].as_str().unwrap().ends_with('…'));
    let crumbs = s["breadcrumbs"].as_array().unwrap();
    assert_eq!(crumbs.len(), 50);
    assert_eq!(crumbs[0]["message"], "crumb 20");
    assert_eq!(crumbs[49]["message"], "crumb 69");
}

#[test]
fn long_stacks_keep_in_app_frames_then_the_innermost() {
    // 120 frames; in-app: every 10th (12 of them).
    let e = event(
        json!({"exception": {"values": [{"type": "E", "stacktrace": {"frames": frames(120, |i| i % 10 == 0, "c")}}]}}),
    );
    let s = event_draft(&e).snapshot;
    let kept: Vec<u64> = s["exceptions"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["lineno"].as_u64().unwrap())
        .collect();
    assert_eq!(kept.len(), 50);
    assert!(kept.windows(2).all(|w| w[0] < w[1]), "in Sentry's order");
    for i in (0..120).step_by(10) {
        assert!(kept.contains(&i), "in-app frame {i}");
    }
    assert!(kept.contains(&119) && !kept.contains(&1));
}

/// About the most an SDK can send within the decoded body bound, every list long, every
/// string past the field bound, every frame in-app: the snapshot still fits (down to its last
/// resorts: only the primary exception, strings of 256 bytes).
#[test]
fn a_huge_event_fits_the_snapshot_bound() {
    let text = "y".repeat(2100);
    let frame = |i: usize| {
        json!({"filename": text, "abs_path": text, "function": format!("{i}{text}"), "module": text,
               "lineno": i, "in_app": true, "context_line": text, "pre_context": [text],
               "post_context": [text], "vars": {"secret": "hunter2"}})
    };
    let exceptions: Vec<Value> = (0..12)
        .map(|i| {
            json!({"type": format!("E{i}{text}"), "value": text, "module": text,
                   "mechanism": {"type": text, "handled": true},
                   "stacktrace": {"frames": (0..24).map(frame).collect::<Vec<_>>()}})
        })
        .collect();
    let crumbs: Vec<Value> = (0..60)
        .map(|i| {
            json!({"timestamp": 1_700_000_000 + i, "type": text, "category": text,
                        "message": text, "data": {"blob": text, "nested": [text, text]}})
        })
        .collect();
    let tags: serde_json::Map<String, Value> = (0..60)
        .map(|i| (format!("{i}{text}"), json!(text)))
        .collect();
    let headers: serde_json::Map<String, Value> =
        (0..60).map(|i| (format!("H{i}"), json!(text))).collect();
    let user: serde_json::Map<String, Value> = (0..60)
        .map(|i| (format!("u{i}"), json!([text, text])))
        .collect();
    let body = json!({
        "message": text, "release": text, "environment": text, "server_name": text,
        "transaction": text, "logger": text, "platform": text, "tags": tags, "user": user,
        "request": {"url": format!("https://example.com/{text}"), "method": text, "query_string": text, "headers": headers},
        "exception": {"values": exceptions}, "breadcrumbs": {"values": crumbs},
        "sdk": {"name": text, "version": text},
        "fingerprint": vec![text.clone(); 30]
    });
    assert!(
        len(&body) < 2 * crate::body::MAX_DECODED_BYTES,
        "{} bytes",
        len(&body)
    );
    let e = event(body);
    let s = event_draft(&e).snapshot;
    assert!(len(&s) <= MAX_SNAPSHOT_BYTES, "{} bytes", len(&s));
    assert_eq!(s["truncated"], true);
    assert_eq!(s["event_id"], e.event_id.as_simple().to_string());
    let xs = s["exceptions"].as_array().unwrap();
    assert_eq!(xs.len(), 1);
    assert!(
        xs[0]["type"].as_str().unwrap().starts_with("E11"),
        "the primary stays"
    );
    assert!(!xs[0]["frames"].as_array().unwrap().is_empty());
    assert!(!s.to_string().contains("hunter2"));
}

#[test]
fn breadcrumbs_go_first_when_the_bound_is_reached() {
    let text = "z".repeat(2000);
    let crumbs: Vec<Value> = (0..50)
        .map(|i| json!({"timestamp": 1_700_000_000 + i, "message": format!("{i} {text}"), "data": {"d": text}}))
        .collect();
    let e = event(json!({
        "exception": {"values": [{"type": "E", "stacktrace": {"frames": frames(3, |_| true, "ctx")}}]},
        "breadcrumbs": crumbs
    }));
    let s = event_draft(&e).snapshot;
    assert!(len(&s) <= MAX_SNAPSHOT_BYTES);
    assert_eq!(s["truncated"], true);
    let crumbs = s["breadcrumbs"].as_array().unwrap();
    assert!(!crumbs.is_empty() && crumbs.len() < 50);
    assert!(
        crumbs.last().unwrap()["message"]
            .as_str()
            .unwrap()
            .starts_with("49 "),
        "the newest stay"
    );
    assert_eq!(
        s["exceptions"][0]["frames"][0]["context_line"], "ctx",
        "frames keep their context"
    );
}
