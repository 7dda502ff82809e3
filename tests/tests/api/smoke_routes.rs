//! The operator's smoke test (`scripts/smoke.py`) covers every route of template.yaml: its
//! `ROUTES` (the routes it calls, and fails a run without calling) equal the template's
//! `HttpApi` routes, but `$default`, which it exercises through `//send_logs` and `/api/apps/`.

use std::collections::BTreeSet;
use std::process::Command;

use lookout_dev::template::workspace_root;

use lookout_tests::support::template;

/// `scripts/smoke.py`'s `ROUTES`, as Python reads the module (no parsing of its text here).
fn smoke_routes() -> Vec<(String, String)> {
    let out = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
        .current_dir(workspace_root())
        // -B: no __pycache__ in scripts/; -I: nothing from the environment or user site.
        .args([
            "-B",
            "-I",
            "-c",
            "import json, sys; sys.path.insert(0, 'scripts'); import smoke; \
             print(json.dumps(smoke.ROUTES))",
        ])
        .output()
        .expect("python3 (scripts/smoke.py needs Python 3.11)");
    assert!(
        out.status.success(),
        "importing scripts/smoke.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let routes: Vec<(String, String)> = serde_json::from_slice(&out.stdout)
        .expect("smoke.ROUTES is a list of (METHOD, path) pairs");
    assert!(!routes.is_empty(), "smoke.ROUTES is empty");
    routes
}

#[test]
fn the_smoke_test_calls_exactly_the_template_routes() {
    let from_template: BTreeSet<(String, String)> = template()
        .functions()
        .unwrap()
        .into_iter()
        .flat_map(|f| f.routes.into_iter().map(|r| (r.method, r.path)))
        .filter(|(_, path)| path != "$default")
        .collect();
    assert!(
        !from_template.is_empty(),
        "template.yaml has no HttpApi routes"
    );

    let listed = smoke_routes();
    let from_smoke: BTreeSet<(String, String)> = listed.iter().cloned().collect();
    assert_eq!(
        from_smoke.len(),
        listed.len(),
        "a route twice in scripts/smoke.py's ROUTES: {listed:?}"
    );
    for (method, path) in &from_smoke {
        assert!(
            method == &method.to_uppercase() && path.starts_with('/'),
            "scripts/smoke.py ROUTES entry ({method:?}, {path:?}): want (\"METHOD\", \"/path\") \
             in template path syntax"
        );
    }

    let show = |routes: Vec<&(String, String)>| {
        routes
            .iter()
            .map(|(m, p)| format!("{m} {p}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing = show(from_template.difference(&from_smoke).collect());
    let extra = show(from_smoke.difference(&from_template).collect());
    assert!(
        missing.is_empty(),
        "template.yaml routes the smoke test does not call (add a checked call to \
         scripts/smoke.py and its entry to ROUTES): {missing}"
    );
    assert!(
        extra.is_empty(),
        "scripts/smoke.py ROUTES entries template.yaml has no HttpApi event for (a removed or \
         renamed route: drop or fix its call and entry): {extra}"
    );
}
