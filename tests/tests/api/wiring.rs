//! Local serving matches the deployed wiring: the watch router in Cargo.toml has exactly the
//! routes of template.yaml, and every function binary exists as a crate.

use std::collections::BTreeSet;

use lookout_dev::template::workspace_root;

use lookout_tests::support::template;

#[test]
fn watch_router_equals_template_routes() {
    let from_template: BTreeSet<(String, String, String)> = template()
        .functions()
        .unwrap()
        .into_iter()
        .flat_map(|f| {
            f.routes
                .into_iter()
                .map(move |r| (r.path, r.method, f.binary.clone()))
        })
        .collect();

    let cargo: toml::Table = std::fs::read_to_string(workspace_root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let router = &cargo["workspace"]["metadata"]["lambda"]["watch"]["router"];
    let from_cargo: BTreeSet<(String, String, String)> = router
        .as_table()
        .unwrap()
        .iter()
        .flat_map(|(path, routes)| match routes {
            // A function for every method: the catch-all is API Gateway's `$default` route.
            toml::Value::String(function) => {
                assert_eq!(path, "/{*path}", "only the catch-all takes every method");
                vec![("$default".to_owned(), "ANY".to_owned(), function.clone())]
            }
            _ => routes
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        path.clone(),
                        r["method"].as_str().unwrap().to_owned(),
                        r["function"].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
        })
        .collect();
    assert!(!from_template.is_empty());
    assert_eq!(from_cargo, from_template);
}

#[test]
fn every_template_function_has_a_crate_with_that_binary() {
    // functions/<domain>/<binary>/: one crate per Lambda, grouped by domain.
    let domains: Vec<std::path::PathBuf> = std::fs::read_dir(workspace_root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    for f in template().functions().unwrap() {
        let found: Vec<std::path::PathBuf> = domains
            .iter()
            .map(|d| d.join(&f.binary).join("Cargo.toml"))
            .filter(|m| m.exists())
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{}: want exactly one crate functions/<domain>/{}, found {found:?}",
            f.logical_id,
            f.binary
        );
        let manifest = &found[0];
        let text = std::fs::read_to_string(manifest)
            .unwrap_or_else(|_| panic!("{} has no crate at {}", f.logical_id, manifest.display()));
        assert!(
            text.contains(&format!("name = \"{}\"", f.binary)),
            "{}",
            manifest.display()
        );
    }
}
