//! The IAM check (`devstack iam-check`) against the real template.yaml: requests each function
//! makes are allowed, and a template with one permission removed — the kind of bug moto hid —
//! is caught, by action *and* by resource.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use lookout_dev::iam::{check, function_roles, local_policy, Record};
use lookout_dev::template::{workspace_root, Template};
use serde_json::json;

fn real() -> (Template, PathBuf) {
    let path = workspace_root().join("template.yaml");
    (Template::load(&path).unwrap(), path)
}

/// template.yaml with `from` replaced by `to` (exactly once), as a file of its own.
fn mutated(from: &str, to: &str) -> (Template, PathBuf) {
    let text = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    let text = text.replacen(from, to, 1);
    let dir = workspace_root().join("target/iam-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.yaml", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, &text).unwrap();
    (Template::parse(&text).unwrap(), path)
}

fn record(role: &str, service: &str, action: &str, params: serde_json::Value) -> Record {
    serde_json::from_value(json!({
        "role": format!("lookout-fn-{role}"), "service": service, "action": action,
        "path": "/", "params": params
    }))
    .unwrap()
}

fn idempotent_send() -> Vec<Record> {
    vec![
        record(
            "send-messages",
            "dynamodb",
            "PutItem",
            json!({"TableName": "t1-MessengerTable"}),
        ),
        record(
            "send-messages",
            "dynamodb",
            "GetItem",
            json!({"TableName": "t1-MessengerTable"}),
        ),
        record(
            "send-messages",
            "dynamodb",
            "Query",
            json!({"TableName": "t1-MessengerTable"}),
        ),
    ]
}

fn admin_mail(role: &str) -> Record {
    record(
        role,
        "ses",
        "SendEmail",
        json!({"FromEmailAddress": "lookout@mail.example.org",
               "Destination": {"ToAddresses": ["ops@example.net"]}}),
    )
}

#[test]
fn the_template_allows_what_the_functions_do() {
    let (tpl, path) = real();
    let mut records = idempotent_send();
    records.push(admin_mail("scan-silent-apps"));
    records.push(record(
        "deliver-messages",
        "secretsmanager",
        "GetSecretValue",
        json!({"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:t1-MessengerSecret-AbCdEf"}),
    ));
    let report = check(&tpl, &path, &records).unwrap();
    assert!(report.refused.is_empty(), "{:#?}", report.refused);
}

/// Failure 2 of issue #12: PUT /api/contacts with an Idempotency-Key was refused by IAM.
#[test]
fn the_idempotent_send_needs_put_get_and_query() {
    let (tpl, path) = mutated(
        "Action: [dynamodb:BatchGetItem, dynamodb:BatchWriteItem, dynamodb:PutItem, dynamodb:GetItem, dynamodb:Query, dynamodb:UpdateItem]",
        "Action: [dynamodb:BatchGetItem, dynamodb:BatchWriteItem, dynamodb:UpdateItem]",
    );
    let report = check(&tpl, &path, &idempotent_send()).unwrap();
    for action in ["PutItem", "GetItem", "Query"] {
        assert!(
            report
                .refused
                .iter()
                .any(|r| r.starts_with("send-messages: dynamodb:") && r.contains(action)),
            "{action}: {:#?}",
            report.refused
        );
    }
    // And moto, which checks actions only, refuses it too: the local role lacks them.
    let roles = function_roles(&tpl, &path).unwrap();
    let send = roles.iter().find(|r| r.binary == "send-messages").unwrap();
    let policy = local_policy(send).to_string();
    assert!(!policy.contains("dynamodb:PutItem"), "{policy}");
}

/// moto checks actions, not resources: a grant on the wrong table passes moto but not here.
#[test]
fn a_grant_on_another_resource_is_refused() {
    let (tpl, path) = mutated(
        "              Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem]
              Resource: !GetAtt TrackerTable.Arn",
        "              Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem]
              Resource: !GetAtt LogsTable.Arn",
    );
    let records = vec![record(
        "add-event",
        "dynamodb",
        "UpdateItem",
        json!({"TableName": "t9-TrackerTable"}),
    )];
    let report = check(&tpl, &path, &records).unwrap();
    assert!(
        report
            .refused
            .iter()
            .any(|r| r.contains("add-event: dynamodb:UpdateItem") && r.contains("t9-TrackerTable")),
        "{:#?}",
        report.refused
    );
    let (tpl, path) = real();
    assert!(check(&tpl, &path, &records).unwrap().refused.is_empty());
}

/// Failure 3 of issue #12, and #30: SES checks the identity the sender (and, in the sandbox,
/// each recipient) was verified as: the address, its domain or a parent domain. A policy naming
/// the address and its own domain refuses `lookout@mail.example.org` verified through
/// `example.org`; the template grants any identity for mail from `SenderEmail`.
#[test]
fn ses_needs_sender_and_recipient_by_address_domain_and_parent_domain() {
    let now = r#"              Action: [ses:SendEmail]
              Resource: !Sub "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
              Condition:
                StringEquals:
                  ses:FromAddress: !Ref SenderEmail
      Events:
        EveryMinute:"#;
    let before = r#"              Action: [ses:SendEmail]
              Resource:
                - !Sub "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderEmail}"
                - !Sub
                  - "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${Domain}"
                  - Domain: !Select [1, !Split ["@", !Ref SenderEmail]]
                - !Sub "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${AdminEmail}"
                - !Sub
                  - "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${Domain}"
                  - Domain: !Select [1, !Split ["@", !Ref AdminEmail]]
      Events:
        EveryMinute:"#;
    let (tpl, path) = mutated(now, before);
    let report = check(&tpl, &path, &[admin_mail("scan-silent-apps")]).unwrap();
    let refused: Vec<&String> = report.refused.iter().collect();
    assert!(
        refused
            .iter()
            .any(|r| r.ends_with("identity/example.org (not in its policy in template.yaml)")),
        "the parent domain: {refused:#?}"
    );
    // The template as it is allows every identity the mail may be verified through.
    let (tpl, path) = real();
    let report = check(&tpl, &path, &[admin_mail("scan-silent-apps")]).unwrap();
    assert!(report.refused.is_empty(), "{:#?}", report.refused);
    // A statement with a condition the check does not understand is refused, not ignored.
    let (tpl, path) = mutated(now, &now.replace("StringEquals:", "StringLike:"));
    assert!(check(&tpl, &path, &[admin_mail("scan-silent-apps")]).is_err());
}

/// Failure 4 of issue #12: no messenger token is a parameter, an environment variable or a
/// default; the functions get the secret's ARN and may read only that secret.
#[test]
fn messenger_tokens_are_in_secrets_manager_only() {
    let (tpl, path) = real();
    let text = std::fs::read_to_string(&path).unwrap();
    for gone in [
        "TelegramBotToken",
        "WhatsAppAccessToken",
        "ViberAuthToken",
        "TELEGRAM_BOT_TOKEN",
        "WHATSAPP_ACCESS_TOKEN",
        "VIBER_AUTH_TOKEN",
    ] {
        assert!(!text.contains(gone), "{gone} is still in template.yaml");
    }
    for f in tpl.functions().unwrap() {
        for name in f.env.keys() {
            assert!(
                !name.contains("TOKEN") || name == "ADMIN_TOKEN_SHA256",
                "{}: {name} looks like a secret in the environment",
                f.logical_id
            );
        }
    }
    let deliver = tpl
        .functions()
        .unwrap()
        .into_iter()
        .find(|f| f.binary == "deliver-messages")
        .unwrap();
    assert!(deliver.env.contains_key("MESSENGER_SECRET_ARN"));
    // Another secret of the account is refused.
    let report = check(
        &tpl,
        &path,
        &[record(
            "deliver-messages",
            "secretsmanager",
            "GetSecretValue",
            json!({"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-db-password-AbCdEf"}),
        )],
    )
    .unwrap();
    assert_eq!(report.refused.len(), 1, "{:#?}", report.refused);
}

/// Failure 3 of issue #12, the rest: no address SES could never verify is a default (the
/// deploy asks), and the stack can reuse an SES identity that already exists.
#[test]
fn admin_addresses_are_asked_and_the_sender_identity_can_be_reused() {
    let (tpl, _) = real();
    let defaults = tpl.parameter_defaults();
    for p in ["AdminEmail", "SenderEmail"] {
        assert!(tpl.parameter_names().contains(&p.to_owned()), "{p}");
        assert!(!defaults.contains_key(p), "{p} must have no default");
    }
    assert_eq!(
        tpl.resource_condition("AdminMailSender").as_deref(),
        Some("CreateSenderIdentity")
    );
    let mut params = defaults.clone();
    params.insert("AdminEmail".into(), "ops@example.net".into());
    params.insert("SenderEmail".into(), "lookout@mail.example.org".into());
    assert!(tpl.conditions(&params).unwrap()["CreateSenderIdentity"]);
    params.insert("CreateSenderIdentity".into(), "false".into());
    assert!(!tpl.conditions(&params).unwrap()["CreateSenderIdentity"]);
}
