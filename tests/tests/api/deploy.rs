//! The deploy runbook and its tools (#29): docs/deploy.md reads top to bottom, the deploy config
//! is checked before anything is built (an empty admin token refused by the script and by the
//! template's Rules), SAM reads the parameter file the script writes, the account's Lambda
//! concurrency quota is checked against the stack's reservations, and the restore script
//! copies every item of a table (against moto).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use lookout_core::auth::sha256_hex;
use lookout_dev::moto;
use lookout_dev::template::workspace_root;
use lookout_tests::support::template;

/// The deploy tools' Python (scripts/deploy_tools.sh; `make test` makes it through
/// scripts/sam_validate.sh before any test runs): the SAM CLI, PyYAML and boto3.
fn deploy_python() -> PathBuf {
    // Made (or waited for, while another process installs it) as the deploy makes it.
    static TOOLS: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    TOOLS.get_or_init(|| {
        let out = Command::new("bash")
            .current_dir(workspace_root())
            .args(["-c", ". scripts/deploy_tools.sh && ensure_deploy_tools"])
            .output()
            .unwrap();
        assert!(out.status.success(), "the deploy tools: {}", text(&out));
    });
    workspace_root().join(".local/venv-sam/bin/python")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A directory outside the repository, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("lookout-deploy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// A config with this token file content and these extra `parameters` lines.
    fn config(&self, token: &str, extra: &str) -> PathBuf {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let token_file = self.write(&format!("admin-token-{id}"), token);
        self.write(
            &format!("deploy-{id}.yaml"),
            &format!(
                "stack: lookout\nregion: eu-west-1\nadmin_token_file: {}\nparameters:\n  \
                 AdminEmail: ops@example.com\n  SenderEmail: lookout@example.com\n{extra}",
                token_file.display()
            ),
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn check_config(config: &Path, params_out: &Path) -> Output {
    Command::new(deploy_python())
        .current_dir(workspace_root())
        .arg("scripts/deploy_config.py")
        .arg("check")
        .arg(config)
        .arg("--params-out")
        .arg(params_out)
        .output()
        .unwrap()
}

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn the_deploy_config_is_checked_against_the_template_before_anything_is_built() {
    let dir = Scratch::new();
    let params = dir.0.join("parameters.yaml");

    // A good config: the template's parameters, the token's SHA-256 computed from its file (a
    // trailing newline is not part of the token), YAML booleans and mappings as CloudFormation
    // wants them.
    let good = dir.config(
        &format!("{TOKEN}\n"),
        "  CreateSenderIdentity: false\n  AdminAlertContacts: {\"telegram\": \"-100123\"}\n",
    );
    let out = check_config(&good, &params);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("STACK=lookout") && stdout.contains("REGION=eu-west-1"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&sha256_hex(TOKEN.as_bytes())),
        "the hash is not printed: {stdout}"
    );
    let written: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(&params).unwrap()).unwrap();
    assert_eq!(written["AdminTokenSha256"], sha256_hex(TOKEN.as_bytes()));
    assert_eq!(written["CreateSenderIdentity"], "false");
    assert_eq!(written["AdminAlertContacts"], r#"{"telegram":"-100123"}"#);
    assert_eq!(written["AdminEmail"], "ops@example.com");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&params).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the parameter file holds the hash: private");
    }

    // SAM itself reads that file as the parameter overrides (`file://`), unchanged.
    let sam = Command::new(deploy_python())
        .arg("-c")
        .arg(
            "import json,sys; from samcli.cli.types import CfnParameterOverridesType as T; \
             print(json.dumps(T().convert('file://' + sys.argv[1], None, None)))",
        )
        .arg(&params)
        .output()
        .unwrap();
    assert!(sam.status.success(), "{}", text(&sam));
    let read: BTreeMap<String, String> = serde_json::from_slice(&sam.stdout).unwrap();
    assert_eq!(read, written, "what sam deploy would pass");

    // Each refusal: exit 2, the reason named, no parameter file written.
    let cases: [(&str, PathBuf, &str); 7] = [
        ("an empty token", dir.config("", ""), "empty admin token is refused"),
        ("a lone newline", dir.config("\n", ""), "empty admin token is refused"),
        ("a short token", dir.config("secret", ""), "use at least 32"),
        (
            "a token with a space",
            dir.config(&format!("{TOKEN} x"), ""),
            "whitespace",
        ),
        (
            "a bad value",
            dir.config(TOKEN, "  LogLevel: verbose\n  ReservedConcurrencyHeartbeats: 900\n"),
            "parameters.LogLevel: 'verbose' is not one of error, warn, info, debug, trace",
        ),
        (
            "an unknown parameter",
            dir.config(TOKEN, "  AdminTokenHash: x\n"),
            "parameters.AdminTokenHash: template.yaml has no such parameter",
        ),
        (
            "the hash given directly",
            dir.config(TOKEN, "  AdminTokenSha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"),
            "give admin_token_file instead",
        ),
    ];
    for (what, config, reason) in cases {
        let _ = std::fs::remove_file(&params);
        let out = check_config(&config, &params);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        assert!(
            text(&out).contains(reason),
            "{what}: expected {reason:?} in {}",
            text(&out)
        );
        assert!(!params.exists(), "{what}: nothing written");
    }

    // A missing address is named; so is a config or a token file inside the repository.
    let no_sender = dir.write(
        "no-sender.yaml",
        &format!(
            "region: eu-west-1\nadmin_token_file: {}\nparameters:\n  AdminEmail: ops@example.com\n",
            dir.write("token2", TOKEN).display()
        ),
    );
    let out = check_config(&no_sender, &params);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("parameters.SenderEmail: missing"),
        "{}",
        text(&out)
    );

    let inside = workspace_root().join(format!("target/deploy-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(&inside, std::fs::read_to_string(&good).unwrap()).unwrap();
    let out = check_config(&inside, &params);
    let _ = std::fs::remove_file(&inside);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("is inside the repository; keep the deploy config outside it"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_deploy_stops_at_an_empty_admin_token_before_it_builds() {
    let dir = Scratch::new();
    let config = dir.config("", "");
    let out = Command::new("bash")
        .current_dir(workspace_root())
        .args([
            "scripts/deploy.sh",
            "--dry-run",
            "--allow-dirty",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("empty admin token is refused"), "{all}");
    assert!(!all.contains("sam build"), "stopped before building: {all}");
    assert!(
        !all.contains("sam validate"),
        "stopped before the template checks: {all}"
    );

    // And with no config at all it says where to write one.
    let out = Command::new("bash")
        .current_dir(workspace_root())
        .args(["scripts/deploy.sh", "--dry-run", "--config"])
        .arg(dir.0.join("absent.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("docs/deploy.md, step 2"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_template_refuses_an_empty_admin_token_hash_as_cloudformation_would() {
    let tpl = template();
    let with = |pairs: &[(&str, &str)]| {
        let mut params = tpl.parameter_defaults();
        params.insert("AdminEmail".into(), "ops@example.com".into());
        params.insert("SenderEmail".into(), "lookout@example.com".into());
        params.insert("AdminTokenSha256".into(), sha256_hex(TOKEN.as_bytes()));
        for (k, v) in pairs {
            params.insert((*k).into(), (*v).into());
        }
        tpl.rule_violations(&params).unwrap()
    };
    assert_eq!(
        with(&[]),
        Vec::<String>::new(),
        "a real token's hash passes"
    );
    for empty in [sha256_hex(b""), sha256_hex(b"\n")] {
        let failed = with(&[("AdminTokenSha256", &empty)]);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(failed[0].starts_with("AdminTokenIsNotEmpty:"), "{failed:?}");
    }
    // The other rule still holds.
    let failed = with(&[("ReservedConcurrencyMessenger", "1")]);
    assert_eq!(failed.len(), 1, "{failed:?}");
}

#[test]
fn the_deploy_checks_the_accounts_lambda_concurrency_against_the_reservations() {
    let dir = Scratch::new();
    let config = dir.config(TOKEN, "");
    let run = |config: &Path, limit: u32| {
        Command::new(deploy_python())
            .current_dir(workspace_root())
            .arg("scripts/deploy_config.py")
            .arg("concurrency")
            .arg(config)
            .arg("--account-limit")
            .arg(limit.to_string())
            .output()
            .unwrap()
    };
    // 171 reserved at the defaults (three heartbeat functions at 50, the $default route 10,
    // scanner 2, consumers 2, 5 and 2) plus the 100 AWS keeps unreserved.
    let out = run(&config, 271);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("the stack reserves 171"),
        "{}",
        text(&out)
    );
    for limit in [10, 270] {
        let out = run(&config, limit);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        let said = text(&out);
        assert!(
            said.contains(&format!("quota in the region is {limit}")),
            "{said}"
        );
        assert!(
            said.contains("L-B99A9384") && said.contains("ReservedConcurrency"),
            "{said}"
        );
    }
    // With the reservations off, a new account's 10 is enough to deploy.
    let none = dir.config(
        TOKEN,
        "  ReservedConcurrencyHeartbeats: 0\n  ReservedConcurrencyFallback: 0\n  \
         ReservedConcurrencyScanner: 0\n  ReservedConcurrencyAppEvents: 0\n  \
         ReservedConcurrencyMessenger: 0\n  ReservedConcurrencyAlerts: 0\n",
    );
    let out = run(&none, 100);
    assert!(out.status.success(), "{}", text(&out));
}

/// A line of a `sh` block of the runbook, with where it is.
struct Line {
    number: usize,
    section: String,
    text: String,
}

fn runbook() -> (Vec<String>, Vec<Line>) {
    let doc = std::fs::read_to_string(workspace_root().join("docs/deploy.md")).unwrap();
    let (mut headings, mut lines) = (Vec::new(), Vec::new());
    let (mut in_sh, mut heredoc): (bool, Option<String>) = (false, None);
    for (i, line) in doc.lines().enumerate() {
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            continue;
        }
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            if let Some(h) = line.strip_prefix("## ") {
                headings.push(h.to_owned());
            }
            continue;
        }
        if let Some((_, after)) = line.split_once("<<") {
            heredoc = Some(after.trim().trim_matches('\'').to_owned());
        }
        if line.trim_start().starts_with('#') {
            continue;
        }
        lines.push(Line {
            number: i + 1,
            section: headings.last().cloned().unwrap_or_default(),
            text: line.split(" #").next().unwrap_or_default().to_owned(),
        });
    }
    (headings, lines)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Shell variables the line assigns (`X=…`, `export X=…`, `A=1 B=2`, `for x in`).
fn assigned(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut assignment_position = true;
    let mut words = line.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let name = word.split_once('=').map(|(n, _)| n).unwrap_or_default();
        let is_assignment = assignment_position
            && !name.is_empty()
            && name.chars().all(is_name_char)
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if is_assignment {
            out.push(name.to_owned());
        }
        if word == "for" {
            if let Some(name) = words.peek() {
                out.push((*name).to_owned());
            }
        }
        assignment_position =
            is_assignment || matches!(word, "export" | "do" | "then") || word.ends_with(';');
    }
    out
}

/// The `<Key>`s of the line's `output <Key>` calls (the runbook's function), not `--output`.
fn output_calls(line: &str) -> Vec<String> {
    line.match_indices("output ")
        .filter(|(n, _)| {
            line[..*n]
                .chars()
                .last()
                .is_none_or(|c| !is_name_char(c) && c != '-')
        })
        .map(|(n, _)| {
            line[n + 7..]
                .chars()
                .take_while(|c| is_name_char(*c))
                .collect()
        })
        .collect()
}

/// Shell variables the line reads (`$X`, `${X…}`), not positional ones.
fn used(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let name: String = rest
            .trim_start_matches('{')
            .chars()
            .take_while(|c| is_name_char(*c))
            .collect();
        if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(name);
        }
    }
    out
}

/// The line with its `<placeholder>`s (no space inside) taken out.
fn without_placeholders(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        match rest[open..].find('>') {
            Some(close) if !rest[open..open + close].contains(' ') => {
                out.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out + rest
}

#[test]
fn the_runbook_reads_top_to_bottom() {
    let (headings, lines) = runbook();
    let tpl = template();
    let outputs: BTreeSet<String> = tpl.output_names().into_iter().collect();
    assert!(outputs.contains("ApiUrl"), "{outputs:?}");

    // The first-deploy steps, in this order.
    let steps = [
        "Prerequisites",
        "config, outside the repository",
        "Deploy",
        "API URL",
        "SES and SNS",
        "secret",
        "Smoke test, with the production token",
    ];
    for (i, step) in steps.iter().enumerate() {
        let heading = headings
            .get(i)
            .unwrap_or_else(|| panic!("no step {}", i + 1));
        assert!(
            heading.starts_with(&format!("{}. ", i + 1)) && heading.contains(step),
            "step {} should be about {step:?}, is {heading:?}",
            i + 1
        );
    }

    // The deploy, then everything that reads the stack; each variable set before it is read.
    let deploy = lines
        .iter()
        .position(|l| l.text.starts_with("make deploy") || l.text.contains("scripts/deploy.sh"))
        .expect("a deploy command");
    assert!(
        lines[deploy].section.starts_with("3. "),
        "{}",
        lines[deploy].section
    );
    let mut defined: BTreeSet<String> = ["HOME", "PATH"].map(String::from).into();
    let mut functions = BTreeSet::new();
    let mut problems = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let at = format!("docs/deploy.md:{} ({})", line.number, line.section);
        let calls = output_calls(&line.text);
        let reads_stack = line.text.contains("describe-stack") || !calls.is_empty();
        if reads_stack && i < deploy {
            problems.push(format!(
                "{at}: reads the stack before the deploy: {}",
                line.text
            ));
        }
        if let Some(name) = line.text.trim().strip_suffix("() {").or_else(|| {
            line.text
                .split_once("() {")
                .map(|(n, _)| n.trim())
                .filter(|n| n.chars().all(is_name_char))
        }) {
            functions.insert(name.to_owned());
        }
        // `output <Key>`: a function defined above, of an output the template has.
        for key in calls {
            if !functions.contains("output") {
                problems.push(format!("{at}: `output` used before it is defined"));
            }
            if !outputs.contains(&key) {
                problems.push(format!("{at}: template.yaml has no output {key:?}"));
            }
        }
        if let Some((_, q)) = line.text.split_once("OutputKey=='") {
            let key: String = q.chars().take_while(|c| is_name_char(*c)).collect();
            if key != "$1" && !key.is_empty() && !outputs.contains(&key) {
                problems.push(format!("{at}: template.yaml has no output {key:?}"));
            }
        }
        let assigns = assigned(&line.text);
        for name in used(&line.text) {
            // Read on the line that assigns it (`X=$(… $X …)` aside): fine when assigned first.
            let assigned_here_first = assigns.contains(&name)
                && line.text.find(&format!("{name}=")) < line.text.find(&format!("${name}"));
            if !defined.contains(&name) && !assigned_here_first {
                problems.push(format!("{at}: ${name} is read before it is set"));
            }
        }
        defined.extend(assigns);
        // Nothing is written into the repository: every redirection goes under ~ or nowhere.
        let code = without_placeholders(&line.text);
        for (n, _) in code.match_indices('>') {
            let target = code[n + 1..].trim_start_matches('>').trim_start();
            let ok = target.starts_with('~')
                || target.starts_with("$HOME")
                || target.starts_with("/dev/null")
                || target.starts_with('&')
                || code[..n].ends_with('-')
                || code[..n].ends_with('>');
            if !ok {
                problems.push(format!(
                    "{at}: writes {target:?} into the working directory"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The smoke test runs against the API with the production token from its file.
    let smoke = lines
        .iter()
        .position(|l| l.text.contains("scripts/smoke.sh"))
        .expect("the smoke test");
    assert!(
        lines[smoke].section.starts_with("7. "),
        "{}",
        lines[smoke].section
    );
    assert!(
        lines[smoke].text.contains("\"$API\""),
        "{}",
        lines[smoke].text
    );
    let token = lines[..smoke]
        .iter()
        .rev()
        .find(|l| l.text.contains("LOOKOUT_ADMIN_TOKEN="))
        .expect("LOOKOUT_ADMIN_TOKEN set before the smoke test");
    assert!(
        token.text.contains("~/.config/lookout/admin-token"),
        "the production token, from the deploy config's token file: {}",
        token.text
    );
}

#[test]
fn the_runbook_documents_every_template_parameter_and_output() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/deploy.md")).unwrap();
    let tpl = template();
    let missing: Vec<String> = tpl
        .parameter_names()
        .into_iter()
        .chain(tpl.output_names())
        .filter(|name| name != "AdminTokenSha256" && !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "not in docs/deploy.md: {missing:?}");
}

#[tokio::test]
async fn the_restore_script_copies_every_item_of_a_table() {
    let endpoint = moto::endpoint().expect("moto_server");
    let ddb = aws_sdk_dynamodb::Client::new(&moto::sdk_config(&endpoint).await);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (source, target, other) = (
        format!("copy-src-{id}"),
        format!("copy-dst-{id}"),
        format!("copy-other-{id}"),
    );
    for (table, sort) in [(&source, "sk"), (&target, "sk"), (&other, "other")] {
        ddb.create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(sort)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(sort)
                    .key_type(KeyType::Range)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    // More than a batch of 25, with a large attribute so the scan takes several pages.
    let blob = "x".repeat(30_000);
    for n in 0..80 {
        ddb.put_item()
            .table_name(&source)
            .item("pk", AttributeValue::S(format!("app#{}", n % 7)))
            .item("sk", AttributeValue::S(format!("{n:04}")))
            .item("n", AttributeValue::N(n.to_string()))
            .item("blob", AttributeValue::S(blob.clone()))
            .send()
            .await
            .unwrap();
    }
    // One item already in the target with a key from the source (overwritten), one not (kept).
    for (sk, n) in [("0003", "-1"), ("zzzz", "-2")] {
        ddb.put_item()
            .table_name(&target)
            .item("pk", AttributeValue::S("app#3".into()))
            .item("sk", AttributeValue::S(sk.into()))
            .item("n", AttributeValue::N(n.into()))
            .send()
            .await
            .unwrap();
    }
    let copy = |from: &str, to: &str| {
        Command::new(deploy_python())
            .current_dir(workspace_root())
            .envs(moto::client_env(&endpoint))
            .args(["scripts/copy_table.py", from, to])
            .output()
            .unwrap()
    };
    let out = copy(&source, &target);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("copied 80 items from {source} to {target}")));

    let items = lookout_tests::support::scan_all(&ddb, &target).await;
    assert_eq!(items.len(), 81, "80 copied and the one only the target had");
    let mut seen = BTreeSet::new();
    for item in &items {
        let sk = item["sk"].as_s().unwrap().clone();
        let n = item["n"].as_n().unwrap().clone();
        if sk == "zzzz" {
            assert_eq!(n, "-2");
            continue;
        }
        assert_eq!(
            n.parse::<usize>().unwrap(),
            sk.parse::<usize>().unwrap(),
            "{sk}"
        );
        assert_eq!(item["blob"].as_s().unwrap().len(), 30_000);
        seen.insert(sk);
    }
    assert_eq!(seen.len(), 80);

    // Tables with other keys are refused, nothing written.
    let out = copy(&source, &other);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("different key schemas"));
    assert!(lookout_tests::support::scan_all(&ddb, &other)
        .await
        .is_empty());
}

#[test]
fn every_dead_letter_queue_and_every_function_log_is_looked_after() {
    use lookout_dev::template::getatt_parts;
    let tpl = template();
    // Dead-letter queues: the targets of every queue's RedrivePolicy, and of the scheduler's
    // dead-letter config; each has an alarm on its depth (to the alarm topic).
    let alarmed: BTreeSet<String> = tpl
        .resources_of("AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, p)| {
            p["AlarmActions"]
                .as_sequence()
                .is_some_and(|a| !a.is_empty())
        })
        .flat_map(|(_, p)| {
            p["Dimensions"]
                .as_sequence()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|d| d["Name"].as_str() == Some("QueueName"))
                .filter_map(|d| {
                    getatt_parts(&lookout_dev::template::intrinsic(&d["Value"])?.1.clone()).ok()
                })
                .map(|(id, _)| id)
                .collect::<Vec<_>>()
        })
        .collect();
    let dead_letter: BTreeSet<String> = tpl
        .resources_of("AWS::SQS::Queue")
        .into_iter()
        .filter_map(|(_, p)| {
            let target = p.get("RedrivePolicy")?.get("deadLetterTargetArn")?;
            getatt_parts(lookout_dev::template::intrinsic(target)?.1).ok()
        })
        .map(|(id, _)| id)
        .collect();
    assert!(dead_letter.len() >= 2, "{dead_letter:?}");
    let unwatched: Vec<&String> = dead_letter.difference(&alarmed).collect();
    assert!(
        unwatched.is_empty(),
        "dead-letter queues without an alarm: {unwatched:?}"
    );

    // Every function logs into a log group of the stack with the retention parameter.
    let groups: BTreeMap<String, _> = tpl
        .resources_of("AWS::Logs::LogGroup")
        .into_iter()
        .collect();
    for function in tpl.functions().unwrap() {
        let props = &tpl
            .resources_of("AWS::Serverless::Function")
            .into_iter()
            .find(|(id, _)| *id == function.logical_id)
            .unwrap()
            .1;
        let group = lookout_dev::template::ref_target(&props["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|_| panic!("{} has no LoggingConfig.LogGroup", function.logical_id));
        let retention = &groups[&group]["RetentionInDays"];
        assert_eq!(
            lookout_dev::template::ref_target(retention).ok().as_deref(),
            Some("CloudWatchLogRetentionDays"),
            "{group}"
        );
    }
}
