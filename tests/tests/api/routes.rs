//! The HTTP API as API Gateway sees it: template.yaml transformed by the SAM translator (what
//! `sam deploy` does), every route checked against HTTP API's route rules. A route API
//! Gateway would drop (SAM only warns: aws/serverless-application-model#1949) fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::OnceLock;

use lookout_dev::template::workspace_root;
use serde_json::Value;

use lookout_tests::support::template;

/// Why API Gateway (HTTP API) would refuse or drop `path`, if it would.
fn route_problem(path: &str) -> Option<String> {
    if path == "/$default" {
        return None;
    }
    if !path.starts_with('/') {
        return Some("must start with /".into());
    }
    if path.len() > 1 && path.ends_with('/') {
        return Some("must not end with / (HTTP API drops such routes)".into());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut names = BTreeSet::new();
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() {
            return Some("empty path segment (//)".into());
        }
        if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Some(format!("bad path variable {seg}"));
            }
            if greedy && i + 1 != segments.len() {
                return Some(format!("greedy variable {seg} must be the last segment"));
            }
            if !names.insert(name) {
                return Some(format!("path variable {name} used twice"));
            }
        } else if seg.contains(['{', '}'])
            || !seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c))
        {
            return Some(format!("invalid characters in segment {seg:?}"));
        }
    }
    None
}

/// `$default` stays as it is; variables become `{}` so `/a/{x}` and `/a/{y}` collide.
fn route_shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// template.yaml as SAM transforms it (what CloudFormation deploys), once per test binary:
/// the transform is a Python subprocess, and this file and `deployer_policy` both read it.
pub(crate) fn transformed() -> &'static Value {
    static CFN: OnceLock<Value> = OnceLock::new();
    CFN.get_or_init(|| {
        let out = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
            .current_dir(workspace_root())
            .args([
                "scripts/sam_transform.py",
                "template.yaml",
                "--param",
                "AdminEmail=admin@example.org",
                "--param",
                "SenderEmail=lookout@example.org",
            ])
            .output()
            .expect("python3 with aws-sam-translator (scripts/bootstrap.sh)");
        assert!(
            out.status.success(),
            "the SAM transform failed or warned (a deploy with FailOnWarnings would fail):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    })
}

#[test]
fn route_rules_refuse_what_api_gateway_refuses() {
    for bad in [
        "/api/apps/",
        "api/apps",
        "//send_logs",
        "/a/{x+}/b",
        "/a/{}",
        "/a/{x}/{x}",
        "/a b",
    ] {
        assert!(route_problem(bad).is_some(), "{bad} should be refused");
    }
    for good in [
        "/api/apps",
        "/console/{asset}",
        "/$default",
        "/a/{proxy+}",
        "/admin/api_keys",
    ] {
        assert_eq!(route_problem(good), None, "{good}");
    }
}

#[test]
fn every_http_api_route_is_valid_as_sam_and_api_gateway_see_it() {
    let cfn = transformed();
    let api = &cfn["Resources"]["LookoutApi"];
    assert_eq!(api["Type"], "AWS::ApiGatewayV2::Api");
    assert_eq!(
        api["Properties"]["FailOnWarnings"],
        Value::Bool(true),
        "the HTTP API must fail the deploy on warnings instead of dropping routes"
    );
    let paths = api["Properties"]["Body"]["paths"].as_object().unwrap();
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for (path, methods) in paths {
        if let Some(p) = route_problem(path) {
            problems.push(format!("{path}: {p}"));
        }
        for method in methods.as_object().unwrap().keys() {
            if !seen.insert((method.clone(), route_shape(path))) {
                problems.push(format!("{method} {path}: duplicate route"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // Every route of every function survived the transform, and nothing else appeared.
    let from_template: BTreeSet<(String, String)> = template()
        .functions()
        .unwrap()
        .into_iter()
        .flat_map(|f| f.routes)
        .map(|r| {
            let path = if r.path == "$default" {
                "/$default".to_owned()
            } else {
                r.path
            };
            (path, r.method.to_lowercase())
        })
        .collect();
    let transformed: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, methods)| {
            methods.as_object().unwrap().keys().map(move |m| {
                let m = if m == "x-amazon-apigateway-any-method" {
                    "any".to_owned()
                } else {
                    m.clone()
                };
                (path.clone(), m)
            })
        })
        .collect();
    assert_eq!(transformed, from_template);
    assert!(
        paths["/$default"]["x-amazon-apigateway-any-method"]["isDefaultRoute"] == Value::Bool(true),
        "the $default route serves the seed clients' non-canonical paths"
    );
}

/// Route throttles as API Gateway gets them (the stage of the transformed template): every
/// route has a steady and a burst limit, each named route exists, the heartbeat routes have
/// the largest share, and the sum over all routes stays under the account-level 10,000/s, so
/// a flood on any one route is cut at its own limit and cannot starve the heartbeats.
#[test]
fn every_route_is_throttled_and_heartbeats_have_capacity_of_their_own() {
    let cfn = transformed();
    let resources = cfn["Resources"].as_object().unwrap();
    let stages: Vec<&Value> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Stage")
        .collect();
    assert_eq!(stages.len(), 1, "one stage");
    let stage = &stages[0]["Properties"];
    // At the parameters' defaults (the heartbeat routes' limits are parameters).
    let params = params_at(cfn, "Default");
    let limits = |v: &Value| -> (f64, f64) {
        let at = |name: &str| resolve(cfn, &v[name], &params).map_or(0.0, |x| number(&x) as f64);
        (at("ThrottlingRateLimit"), at("ThrottlingBurstLimit"))
    };
    let default = limits(&stage["DefaultRouteSettings"]);
    assert!(default.0 > 0.0 && default.1 >= default.0, "{default:?}");

    // The route keys API Gateway will have ("METHOD /path", "$default").
    let paths = resources["LookoutApi"]["Properties"]["Body"]["paths"]
        .as_object()
        .unwrap();
    let keys: BTreeSet<String> = paths
        .iter()
        .flat_map(|(path, methods)| {
            methods.as_object().unwrap().keys().map(move |m| {
                if path == "/$default" {
                    "$default".to_owned()
                } else {
                    let m = if m == "x-amazon-apigateway-any-method" {
                        "ANY".to_owned()
                    } else {
                        m.to_uppercase()
                    };
                    format!("{m} {path}")
                }
            })
        })
        .collect();
    let named = stage["RouteSettings"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for key in named.keys() {
        // A key that is not a route fails the deploy ("Unable to find Route by key").
        assert!(
            keys.contains(key),
            "route settings for {key:?}, not a route: {keys:?}"
        );
    }
    let effective = |key: &str| named.get(key).map_or(default, limits);
    let heartbeat = ["POST /api/apps", "POST /api/apps/{signal}", "$default"];
    for key in heartbeat {
        let (rate, burst) = effective(key);
        assert!(
            named.contains_key(key) && rate >= 5.0 * default.0 && burst >= rate,
            "{key}: {rate}/{burst} against the default {default:?}"
        );
    }
    let total: f64 = keys.iter().map(|k| effective(k).0).sum();
    assert!(
        total <= 10_000.0,
        "the routes' steady limits add up to {total}/s, over the account's 10,000/s"
    );
    for (key, v) in &named {
        let (rate, burst) = limits(v);
        assert!(rate > 0.0 && burst >= rate, "{key}: {rate}/{burst}");
    }
    assert!(
        keys.len() >= 30 && named.len() >= 7,
        "{} routes, {} named",
        keys.len(),
        named.len()
    );
}

/// The account's default concurrency limit, and what AWS keeps unreserved of it.
const ACCOUNT_CONCURRENCY: i64 = 1000;
const KEPT_UNRESERVED: i64 = 100;

/// A property of the transformed template resolved with the parameters `params` (template
/// defaults unless given): `Ref` to a parameter or `AWS::NoValue`, and `Fn::If` on the
/// template's `!Not [!Equals [...]]` conditions. `None`: no value.
fn resolve(cfn: &Value, v: &Value, params: &BTreeMap<String, String>) -> Option<Value> {
    if let Some(name) = v.get("Ref").and_then(Value::as_str) {
        if name == "AWS::NoValue" {
            return None;
        }
        return Some(Value::String(
            params
                .get(name)
                .cloned()
                .unwrap_or_else(|| panic!("no parameter {name}")),
        ));
    }
    if let Some(args) = v.get("Fn::If").and_then(Value::as_array) {
        let cond = &cfn["Conditions"][args[0].as_str().unwrap()];
        let eq = &cond["Fn::Not"][0]["Fn::Equals"];
        let a = resolve(cfn, &eq[0], params).unwrap();
        let b = resolve(cfn, &eq[1], params).unwrap();
        let holds = a.as_str().map(str::to_owned) != b.as_str().map(str::to_owned);
        return resolve(cfn, &args[if holds { 1 } else { 2 }], params);
    }
    Some(v.clone())
}

/// Every parameter of the template at its `pick` (`MaxValue`, say), else its `Default`.
fn params_at(cfn: &Value, pick: &str) -> BTreeMap<String, String> {
    cfn["Parameters"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, p)| {
            let v = p.get(pick).or_else(|| p.get("Default"));
            let v = match v {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            (k.clone(), v)
        })
        .collect()
}

fn number(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_i64().unwrap(),
    }
}

/// The watching path (heartbeats, the scanner, the app-events and messenger consumers) has
/// concurrency reserved, so a flood of ingestion or queries cannot throttle it (#30); the
/// reservations, at their defaults and at their maxima, leave AWS's 100 unreserved of the
/// default account limit; the queue consumers poll with no more concurrency than they have
/// reserved; and 0 reserves none.
#[test]
fn the_watching_path_has_reserved_concurrency_within_the_account_limit() {
    let cfn = transformed();
    let params_at = |pick: &str| params_at(cfn, pick);
    let watching = [
        "RecordHeartbeatFunction",
        "ServeFallbackFunction",
        "RecordSignalFunction",
        "RecordPingFunction",
        "ScanSilentAppsFunction",
        "ApplyAppTransitionsFunction",
        "DeliverMessagesFunction",
    ];
    let reserved = |params: &BTreeMap<String, String>| -> BTreeMap<String, i64> {
        cfn["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::Lambda::Function")
            .filter_map(|(id, r)| {
                let v = &r["Properties"]["ReservedConcurrentExecutions"];
                if v.is_null() {
                    return None;
                }
                resolve(cfn, v, params).map(|n| (id.clone(), number(&n)))
            })
            .collect()
    };
    for pick in ["Default", "MaxValue"] {
        let params = params_at(pick);
        let got = reserved(&params);
        for f in watching {
            assert!(
                got.get(f).is_some_and(|n| *n > 0),
                "{f}: nothing reserved at {pick}: {got:?}"
            );
        }
        let sum: i64 = got.values().sum();
        assert!(
            sum <= ACCOUNT_CONCURRENCY - KEPT_UNRESERVED,
            "at the parameters' {pick}s {sum} executions are reserved ({got:?}): over the {} \
             an account of the default limit may reserve",
            ACCOUNT_CONCURRENCY - KEPT_UNRESERVED
        );
        // Each queue consumer polls with at most its reservation.
        for (id, r) in cfn["Resources"].as_object().unwrap() {
            if r["Type"] != "AWS::Lambda::EventSourceMapping" {
                continue;
            }
            let function = r["Properties"]["FunctionName"]["Ref"].as_str().unwrap();
            let max = resolve(
                cfn,
                &r["Properties"]["ScalingConfig"]["MaximumConcurrency"],
                &params,
            )
            .map(|v| number(&v))
            .unwrap_or_else(|| panic!("{id}: no maximum concurrency"));
            assert!(
                max >= 2,
                "{id}: SQS needs a maximum concurrency of 2 or more"
            );
            assert!(
                got.get(function).is_some_and(|n| max <= *n),
                "{id}: polls with {max}, {function} reserves {:?}",
                got.get(function)
            );
        }
    }
    // 0 reserves none (accounts with a low limit), and the consumers then poll as before.
    let mut none = params_at("Default");
    for p in [
        "ReservedConcurrencyHeartbeats",
        "ReservedConcurrencyFallback",
        "ReservedConcurrencyScanner",
        "ReservedConcurrencyAppEvents",
        "ReservedConcurrencyMessenger",
        "ReservedConcurrencyAlerts",
    ] {
        none.insert(p.into(), "0".into());
    }
    assert!(reserved(&none).is_empty());
    // A reservation of 1 for a consumer is refused by the template's rules.
    let rules = cfn["Rules"].to_string();
    for p in [
        "ReservedConcurrencyAppEvents",
        "ReservedConcurrencyMessenger",
        "ReservedConcurrencyAlerts",
    ] {
        assert!(rules.contains(p), "no rule refuses {p} = 1");
    }
}
