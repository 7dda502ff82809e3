//! The HTTP API as API Gateway sees it: template.yaml transformed by the SAM translator (what
//! `sam deploy` does), every route checked against HTTP API's route rules. A route API
//! Gateway would drop (SAM only warns: aws/serverless-application-model#1949) fails here.

use std::collections::BTreeSet;
use std::process::Command;

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

fn transformed() -> Value {
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
