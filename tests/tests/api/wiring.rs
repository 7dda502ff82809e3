//! Local serving matches the deployed wiring: the watch router in Cargo.toml has exactly the
//! routes of template.yaml, every function binary exists as a crate, and every function follows
//! the one naming rule (README, "Layout").

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
                        greedy_as_api_gateway(path),
                        r["method"].as_str().unwrap().to_owned(),
                        r["function"].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
        })
        .collect();
    assert!(!from_template.is_empty());
    // Each path's other methods go to the catch-all's function, as API Gateway sends them to
    // `$default`: the router matches a path before its method and has no fallback.
    let mut paths: std::collections::BTreeMap<&str, BTreeSet<&str>> = Default::default();
    for (path, method, _) in &from_template {
        if path != "$default" {
            paths.entry(path).or_default().insert(method);
        }
    }
    let mut wanted = from_template.clone();
    for (path, methods) in paths {
        for other in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "TRACE"] {
            if !methods.contains(other) {
                wanted.insert((
                    path.to_owned(),
                    other.to_owned(),
                    "serve-fallback".to_owned(),
                ));
            }
        }
    }
    assert_eq!(from_cargo, wanted);
}

/// A router path's catch-all segment (`{*proxy}`) as API Gateway writes it (`{proxy+}`).
fn greedy_as_api_gateway(path: &str) -> String {
    match path.rsplit_once("/{*") {
        Some((head, tail)) => format!("{head}/{{{}+}}", tail.trim_end_matches('}')),
        None => path.to_owned(),
    }
}

/// The `$default` function answers a route's path with another method 405 and `Allow`, from
/// its own table of the routes: that table is template.yaml's.
#[test]
fn the_default_routes_table_is_the_templates_routes() {
    let from_template: BTreeSet<(String, String)> = template()
        .functions()
        .unwrap()
        .into_iter()
        .flat_map(|f| f.routes.into_iter().map(|r| (r.method, r.path)))
        .filter(|(_, path)| path != "$default")
        .collect();
    let table: BTreeSet<(String, String)> = serve_fallback::ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(table.len(), serve_fallback::ROUTES.len(), "no route twice");
    assert_eq!(table, from_template);
}

/// Functions deployed as their own binary instead of their domain's bootstrap: the queue
/// consumer, the only function with the messengers' HTTPS client and Secrets Manager, which
/// would otherwise make the messenger's HTTP functions load them at every cold start.
const OWN_BINARY: &[&str] = &["deliver-messages"];

#[test]
fn every_template_function_has_a_crate_and_its_domain_bootstrap_serves_it() {
    // functions/<domain>/<handler>/: one crate per Lambda (watch serves its binary locally),
    // grouped by domain; functions/<domain>/bootstrap/: the domain's deploy binary, which
    // `sam build` builds once for all the domain's functions and which runs `_HANDLER`
    // (except [`OWN_BINARY`], deployed as the function's own binary).
    let root = workspace_root().join("functions");
    let domains: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut served: BTreeSet<(String, String)> = BTreeSet::new();
    for f in template().functions().unwrap() {
        let found: Vec<&String> = domains
            .iter()
            .filter(|d| root.join(d).join(&f.binary).join("Cargo.toml").exists())
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{}: want exactly one crate functions/<domain>/{}, found {found:?}",
            f.logical_id,
            f.binary
        );
        let domain = found[0];
        let manifest =
            std::fs::read_to_string(root.join(domain).join(&f.binary).join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("name = \"{}\"", f.binary)),
            "{}: its crate's binary is named after its Handler",
            f.logical_id
        );
        if OWN_BINARY.contains(&f.binary.as_str()) {
            assert_eq!(f.bootstrap, f.binary, "{}: its own binary", f.logical_id);
            continue;
        }
        assert_eq!(
            f.bootstrap,
            format!("{domain}-bootstrap"),
            "{}: built as its domain's deploy binary",
            f.logical_id
        );
        served.insert((domain.clone(), f.binary.clone()));
    }
    // Each bootstrap serves exactly its domain's template functions, each by its own crate.
    for domain in &domains {
        let dir = root.join(domain).join("bootstrap");
        let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let arms: BTreeSet<(String, String)> = main
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .filter_map(|l| l.split_once("\" => "))
            .map(|(handler, call)| {
                let krate = handler.replace('-', "_");
                assert_eq!(call, format!("{krate},"), "{domain}: {handler}");
                assert!(
                    manifest.contains(&format!("{handler} = {{ path = \"../{handler}\" }}")),
                    "{domain}-bootstrap depends on the crate of {handler}"
                );
                (domain.clone(), handler.to_owned())
            })
            .collect();
        let want: BTreeSet<(String, String)> = served
            .iter()
            .filter(|(d, _)| d == domain)
            .cloned()
            .collect();
        assert_eq!(
            arms, want,
            "{domain}-bootstrap serves its domain's functions"
        );
        assert!(main.contains("lookout_http::bootstrap_main! {"));
        for (_, handler) in &want {
            assert!(main.contains(&format!("\"{handler}\"")));
        }
    }
}

#[test]
fn a_domains_functions_share_one_build_definition() {
    // `sam build` builds functions with equal CodeUri, Runtime, Architectures and Metadata once
    // (samcli's FunctionBuildDefinition ignores Handler for provided.* runtimes): one Metadata
    // block per domain means one cargo build per domain, not one per function (plus one per
    // function built as its own binary).
    let text = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    let mut blocks: std::collections::BTreeMap<String, String> = Default::default();
    let mut code_uris: std::collections::BTreeMap<String, String> = Default::default();
    let (mut resource, mut in_metadata) = (String::new(), false);
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if indent == 2 && line.trim_end().ends_with(':') {
            resource = line.trim().trim_end_matches(':').to_owned();
            in_metadata = false;
        } else if indent == 4 {
            in_metadata = line.trim() == "Metadata:";
        } else if let (6, Some(uri)) = (indent, line.trim().strip_prefix("CodeUri: ")) {
            code_uris.insert(resource.clone(), uri.to_owned());
        } else if in_metadata && indent > 4 {
            let block = blocks.entry(resource.clone()).or_default();
            block.push_str(line.trim());
            block.push('\n');
        }
    }
    let functions = template().functions().unwrap();
    let mut by_block: std::collections::BTreeMap<&str, BTreeSet<&str>> = Default::default();
    for f in &functions {
        let block = &blocks[&f.logical_id];
        assert_eq!(
            block,
            &format!(
                "BuildMethod: rust-cargolambda\nBuildProperties:\nBinary: {}\n",
                f.bootstrap
            ),
            "{}",
            f.logical_id
        );
        by_block.entry(block).or_default().insert(&f.bootstrap);
        // `sam build` runs `cargo lambda build --bin <Binary>` in CodeUri: in the binary's own
        // package, cargo builds that package's dependencies with that package's features. At
        // the workspace root it would select every member and unify their features (every
        // function would link every domain, and a change in one domain rebuild all nine).
        let uri = code_uris
            .get(&f.logical_id)
            .unwrap_or_else(|| panic!("{}: CodeUri at its binary's package", f.logical_id));
        let manifest = std::fs::read_to_string(workspace_root().join(uri).join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("{}: CodeUri {uri}: {e}", f.logical_id));
        assert!(
            manifest.contains(&format!("[[bin]]\nname = \"{}\"", f.bootstrap)),
            "{}: CodeUri {uri} is the package of the binary {}",
            f.logical_id,
            f.bootstrap
        );
    }
    let domains = std::fs::read_dir(workspace_root().join("functions"))
        .unwrap()
        .count();
    assert_eq!(
        by_block.len(),
        domains + OWN_BINARY.len(),
        "one build per domain and per own-binary function: {by_block:?}"
    );
}

/// `sam build` runs cargo once per deploy binary, in that binary's package (its CodeUri), so
/// each run resolves its own features: a third-party crate two of them build with different
/// features is compiled twice, and everything above it too (a cold build took 783 s instead of
/// ~550). `shared/deploy-deps` asks for the union; every deploy build resolves each
/// third-party crate alike.
#[test]
fn every_deploy_build_compiles_the_shared_dependencies_alike() {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join("template.yaml")).unwrap();
    let packages: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("      CodeUri: "))
        .collect();
    assert!(packages.len() >= 9, "{packages:?}");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // crate -> its features -> the deploy packages that build it so
    let mut seen: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, Vec<&str>>,
    > = Default::default();
    for package in &packages {
        let out = std::process::Command::new(&cargo)
            .current_dir(root.join(package))
            .args(["tree", "--locked", "-e", "normal,build", "--prefix", "none"])
            .args(["-f", "{p}|{f}", "--target", "aarch64-unknown-linux-gnu"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "cargo tree in {package}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in stdout.lines().filter(|l| !l.contains(" (/")) {
            let line = line.replace(" (*)", "").replace(" (proc-macro)", "");
            let (krate, features) = line.split_once('|').unwrap_or((&line, ""));
            let builds = seen.entry(krate.to_owned()).or_default();
            let at = builds.entry(features.to_owned()).or_default();
            if !at.contains(package) {
                at.push(package);
            }
        }
    }
    assert!(seen.len() > 150, "{} crates", seen.len());
    let differing: Vec<_> = seen.iter().filter(|(_, builds)| builds.len() > 1).collect();
    assert!(
        differing.is_empty(),
        "built with different features by different deploy binaries (add the union to \
         shared/deploy-deps/Cargo.toml): {differing:#?}"
    );
}

/// `GET /openapi.json` describes exactly the routes API Gateway has: one operation per
/// template route (the `$default` route is the operation marked `x-lookout-route`), each with
/// a unique operationId and the statuses it answers.
#[test]
fn the_openapi_document_lists_exactly_the_template_routes() {
    let doc: serde_json::Value = serde_json::from_str(serve_openapi::DOCUMENT).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let from_template: BTreeSet<(String, String)> = template()
        .functions()
        .unwrap()
        .into_iter()
        .flat_map(|f| f.routes.into_iter().map(|r| (r.method, r.path)))
        .collect();
    let mut from_doc = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                continue;
            }
            // The `$default` route serves several paths (the seed's `/api/apps/`, Sentry's), and
            // a greedy route (`/ping/{proxy+}`) the several forms OpenAPI lists one by one.
            let route = match op.get("x-lookout-route").and_then(|v| v.as_str()) {
                Some("$default") => ("ANY".to_owned(), "$default".to_owned()),
                Some(other) => match other.split_once(' ') {
                    Some((m, p)) if m == method.to_uppercase() && p.ends_with("+}") => {
                        (m.to_owned(), p.to_owned())
                    }
                    _ => panic!("{method} {path}: unknown x-lookout-route {other}"),
                },
                None => (method.to_uppercase(), path.clone()),
            };
            assert!(
                from_doc.insert(route.clone()) || route.1 == "$default" || route.1.ends_with("+}"),
                "{route:?} twice in openapi.json"
            );
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(!id.is_empty(), "{method} {path}: no operationId");
            assert!(ids.insert(id.clone()), "operationId {id} twice");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses
                    .keys()
                    .any(|s| s.starts_with('2') || s.starts_with('3')),
                "{method} {path}: no success response"
            );
        }
    }
    let missing: Vec<_> = from_template.difference(&from_doc).collect();
    let extra: Vec<_> = from_doc.difference(&from_template).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "openapi.json vs template.yaml: missing {missing:?}, not in the template {extra:?}"
    );
}

/// Every function that stores, sends or delivers a tenant's message knows all of the admin's
/// channels (`Reserved::ENV`, which an admin channel added later joins), so none of them lets
/// a tenant's message reach one of the admin's chats.
#[test]
fn every_function_that_handles_tenant_messages_knows_every_admin_channel() {
    use lookout_messenger::Reserved;
    let functions = template().functions().unwrap();
    for name in ["create-contacts", "send-messages", "deliver-messages"] {
        let f = functions
            .iter()
            .find(|f| f.binary == name)
            .unwrap_or_else(|| panic!("{name} is no longer in template.yaml: update this test"));
        for var in Reserved::ENV {
            assert!(
                f.env.contains_key(var),
                "{name}: no {var} in its environment"
            );
        }
    }
}

/// Every body limit stays at or under 3.5 MiB: API Gateway puts the body into the Lambda event
/// JSON-escaped or base64-encoded, and a bigger body could exceed Lambda's 6 MB invoke payload
/// and never reach the function's 413 (#30). `parse_json` caps any limit asked of it too.
#[test]
fn every_body_limit_fits_lambdas_invoke_payload() {
    use lookout_http::{DEFAULT_BODY_LIMIT, MAX_BODY_LIMIT};
    assert_eq!(MAX_BODY_LIMIT, 3_670_016);
    for (name, limit) in [
        ("default", DEFAULT_BODY_LIMIT),
        ("report-incident", report_incident::BODY_LIMIT),
        ("add-event", add_event::BODY_LIMIT),
        ("record-heartbeat", record_heartbeat::BODY_LIMIT),
        ("serve-fallback", serve_fallback::BODY_LIMIT),
        ("record-signal", record_signal::BODY_LIMIT),
        ("send-logs", lookout_logs::MAX_BODY_BYTES),
        ("contacts", lookout_messenger::BODY_LIMIT),
    ] {
        assert!(limit <= MAX_BODY_LIMIT, "{name}: a body limit of {limit}");
    }
    // A limit asked for above the cap is the cap.
    let big = "x".repeat(MAX_BODY_LIMIT);
    let req = lookout_tests::support::request("/x", &[], &format!(r#"{{"a":"{big}"}}"#));
    let status = match lookout_http::parse_json::<serde_json::Value>(&req, 10 << 20) {
        Ok(_) => 200,
        Err(err) => err.status().as_u16(),
    };
    assert_eq!(
        status, 413,
        "a body over 3.5 MiB is refused whatever limit is asked"
    );
}

/// The messenger consumer knows the messenger queue's `maxReceiveCount` (its last receive
/// records a retry as failed instead), and it exceeds the most attempts a delivery may have.
#[test]
fn the_messenger_consumer_knows_its_queues_receive_limit() {
    let tpl = template();
    let queue = tpl
        .resources_of("AWS::SQS::Queue")
        .into_iter()
        .find(|(id, _)| id == "MessengerQueue")
        .expect("MessengerQueue")
        .1;
    let max_receives = queue["RedrivePolicy"]["maxReceiveCount"].as_u64().unwrap();
    let deliver = tpl
        .functions()
        .unwrap()
        .into_iter()
        .find(|f| f.binary == "deliver-messages")
        .unwrap();
    let env = deliver.env["MESSENGER_MAX_RECEIVES"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(env.parse::<u64>().unwrap(), max_receives);
    // RetryPolicy allows up to 20 attempts; busy and failed receives come on top.
    assert!(max_receives > 20, "{max_receives}");
}

/// The verbs a function's name starts with (after `admin-`): README, "Layout".
const VERBS: &[&str] = &[
    "add", "apply", "create", "delete", "deliver", "end", "get", "issue", "list", "query",
    "record", "register", "report", "revoke", "scan", "send", "serve", "start", "update",
];

/// `create-contacts` → `CreateContacts`.
fn pascal_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// How a function's lib.rs declares `Deps`: the lines (outside comments) that name it.
fn deps_declarations(lib: &str) -> Vec<&str> {
    lib.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//"))
        .filter(|l| {
            l.contains("struct Deps")
                || l.contains("type Deps")
                || l.contains("enum Deps")
                || (l.contains("use ") && (l.ends_with("::Deps;") || l.ends_with(" as Deps;")))
        })
        .collect()
}

/// One naming rule (#32), checked on every function template.yaml defines: its name is
/// `[admin-]<verb>-<noun>[-<noun>...]` (lowercase, hyphenated, a verb of [`VERBS`]), its
/// logical ID is the name in PascalCase + `Function` and its log group that + `Logs`; it starts
/// with `admin-` exactly when every route of it needs the admin token (it reads
/// `ADMIN_TOKEN_SHA256` and all its routes are `/admin/...`; `query-logs` reads the token too
/// but also takes a user's); and its crate declares `Deps` the one way: its own `pub struct
/// Deps` or a shared crate's type re-exported by `pub use`, built by `serve()` with
/// `Deps::from_env()`.
#[test]
fn every_function_follows_the_naming_rule() {
    use lookout_dev::template::ref_target;
    let tpl = template();
    let properties: std::collections::BTreeMap<String, _> = tpl
        .resources_of("AWS::Serverless::Function")
        .into_iter()
        .collect();
    let root = workspace_root().join("functions");
    let functions = tpl.functions().unwrap();
    assert!(functions.len() > 30, "{} functions", functions.len());
    let mut problems: Vec<String> = Vec::new();
    for f in &functions {
        let name = f.binary.as_str();
        let words: Vec<&str> = name.split('-').collect();
        if words.iter().any(|w| {
            w.is_empty()
                || !w
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        }) {
            problems.push(format!("{name}: not lowercase words joined by '-'"));
        }
        let admin_prefixed = words.first() == Some(&"admin");
        let rest = if admin_prefixed {
            &words[1..]
        } else {
            &words[..]
        };
        if !matches!(rest, [verb, _, ..] if VERBS.contains(verb)) {
            problems.push(format!(
                "{name}: not [admin-]<verb>-<noun>... with a verb of {VERBS:?}"
            ));
        }

        let logical_id = format!("{}Function", pascal_case(name));
        if f.logical_id != logical_id {
            problems.push(format!(
                "{name}: logical ID {}, want {logical_id}",
                f.logical_id
            ));
        }
        let log_group = ref_target(&properties[&f.logical_id]["LoggingConfig"]["LogGroup"]);
        let want_logs = format!("{logical_id}Logs");
        if log_group.as_deref().ok() != Some(want_logs.as_str())
            || tpl.resource_type(&want_logs).as_deref() != Some("AWS::Logs::LogGroup")
        {
            problems.push(format!(
                "{name}: log group {log_group:?}, want the AWS::Logs::LogGroup {want_logs}"
            ));
        }

        let reads_admin_token = f.env.contains_key("ADMIN_TOKEN_SHA256");
        let admin_routes =
            !f.routes.is_empty() && f.routes.iter().all(|r| r.path.starts_with("/admin/"));
        if admin_routes && !reads_admin_token {
            problems.push(format!(
                "{name}: every route is /admin/... but it does not read ADMIN_TOKEN_SHA256"
            ));
        }
        let admin_only = admin_routes && reads_admin_token;
        if admin_prefixed != admin_only {
            problems.push(format!(
                "{name}: every route needs the admin token: {admin_only}, named admin-: {admin_prefixed}"
            ));
        }

        let Some(lib) = std::fs::read_dir(&root)
            .unwrap()
            .map(|d| d.unwrap().path().join(name).join("src/lib.rs"))
            .find(|p| p.exists())
        else {
            problems.push(format!("{name}: no functions/<domain>/{name}/src/lib.rs"));
            continue;
        };
        let lib = std::fs::read_to_string(lib).unwrap();
        let decls = deps_declarations(&lib);
        let one_way = match decls.as_slice() {
            ["pub struct Deps {"] => lib.contains("    pub async fn from_env() -> Result<Self, "),
            [decl] => decl.starts_with("pub use lookout_"),
            _ => false,
        };
        if !one_way || !lib.contains("let deps = Deps::from_env().await?;") {
            problems.push(format!(
                "{name}: Deps is not its own `pub struct Deps` (with `pub async fn from_env()`) \
                 or a shared crate's `pub use lookout_...` built by `Deps::from_env()` in \
                 serve(): {decls:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
