//! `register_app` and `update_app`: the code shown once and stored hashed, the links, the
//! conflicts; and the app admin's reads and deletes on the same store.

use serde_json::json;

use super::support::{app_in, World};
use crate::apps::{authenticate, authenticate_dsn, list_apps, register_app, update_app};
use crate::error::IncidentError;
use crate::input::{AppLinks, AppName};
use crate::store::apps::Apps;
use crate::store::memory::apps::MemoryApps;

fn name(s: &str) -> AppName {
    AppName::parse(s).unwrap()
}

#[tokio::test]
async fn a_registered_app_is_stored_with_its_code_hashed_and_shown_once() {
    let apps = MemoryApps::default();

    let created = register_app(
        &apps,
        app_in(json!({
            "name": "billing", "description": " Payments ", "log_user": "billing-svc",
            "log_process": "", "heartbeat_tenant": "acme", "heartbeat_app_id": "23"
        })),
    )
    .await
    .unwrap();

    let code = created.code.clone().unwrap();
    assert_eq!(code.len(), 32);
    assert!(code.chars().all(|c| c.is_ascii_hexdigit()));
    let view = &created.app;
    assert_eq!(
        (view.name.as_str(), view.description.as_str()),
        ("billing", "Payments")
    );
    let links = AppLinks {
        log_user: Some("billing-svc".into()),
        log_process: None, // an empty link is no link
        heartbeat_tenant: Some("acme".into()),
        heartbeat_app_id: Some("23".into()),
    };
    assert_eq!(view.links, links);
    assert_eq!(view.created_at, view.updated_at);
    let stored = apps.get(&name("billing")).await.unwrap().unwrap();
    assert_ne!(stored.code_sha256, code, "only its hash is kept");
    assert!(stored.accepts(&code));
    let listed = list_apps(&apps).await.unwrap().apps;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), &listed[0].links),
        ("billing", &created.app.links)
    );
    let app = authenticate(&apps, &name("billing"), &code).await;
    assert_eq!(app.unwrap().name, "billing");
}

#[tokio::test]
async fn a_taken_name_or_bad_settings_are_refused_and_the_stored_app_stays() {
    let apps = MemoryApps::default();
    register_app(
        &apps,
        app_in(json!({"name": "billing", "description": "first"})),
    )
    .await
    .unwrap();

    let taken = register_app(
        &apps,
        app_in(json!({"name": "billing", "description": "2nd"})),
    )
    .await;
    let rotate = register_app(&apps, app_in(json!({"name": "shop", "rotate_code": true}))).await;
    let half_link = register_app(
        &apps,
        app_in(json!({"name": "shop", "heartbeat_app_id": "23"})),
    )
    .await;
    let long = register_app(
        &apps,
        app_in(json!({"name": "shop", "description": "d".repeat(501)})),
    )
    .await;

    assert!(
        matches!(taken, Err(IncidentError::AppExists(ref n)) if n == "billing"),
        "{taken:?}"
    );
    for refused in [rotate, half_link, long] {
        assert!(
            matches!(refused, Err(IncidentError::Invalid(_))),
            "{refused:?}"
        );
    }
    let listed = apps.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].description, "first");
}

#[tokio::test]
async fn an_update_replaces_what_it_gives_clears_empty_links_and_keeps_the_code() {
    let world = World::default();
    let apps = &world.store.apps;
    let code = register_app(
        apps,
        app_in(json!({"name": "billing", "log_user": "billing-svc", "log_process": "api"})),
    )
    .await
    .unwrap()
    .code
    .unwrap();

    let updated = update_app(
        apps,
        app_in(json!({"name": "billing", "description": "Payments", "log_user": ""})),
    )
    .await
    .unwrap();

    let view = updated.app;
    assert_eq!(updated.code, None);
    assert_eq!(view.description, "Payments");
    assert_eq!(view.links.log_user, None, "cleared");
    assert_eq!(
        view.links.log_process.as_deref(),
        Some("api"),
        "not given: kept"
    );
    assert!(view.updated_at >= view.created_at);
    let stored = apps.get(&name("billing")).await.unwrap().unwrap();
    assert_eq!(stored.clone().view(), view);
    assert!(stored.accepts(&code), "the code still works");
}

#[tokio::test]
async fn a_rotated_code_replaces_the_old_one_for_reporting() {
    let world = World::default();
    let old = world.register("billing").await;

    let new_code = update_app(
        &world.store.apps,
        app_in(json!({"name": "billing", "rotate_code": true})),
    )
    .await
    .unwrap()
    .code;

    let new_code = new_code.unwrap();
    assert_ne!(new_code, old);
    let refused = world.report("billing", &old, "DB down", "error").await;
    assert!(
        matches!(refused, Err(IncidentError::BadCode)),
        "{refused:?}"
    );
    let accepted = world.report("billing", &new_code, "DB down", "error").await;
    assert!(!accepted.unwrap().grouped);
}

#[tokio::test]
async fn updating_an_unknown_app_or_one_that_changed_meanwhile_is_refused() {
    let apps = MemoryApps::default();
    let unknown = update_app(&apps, app_in(json!({"name": "shop", "description": "x"}))).await;
    assert!(
        matches!(unknown, Err(IncidentError::AppNotFound(ref n)) if n == "shop"),
        "{unknown:?}"
    );

    register_app(&apps, app_in(json!({"name": "billing"})))
        .await
        .unwrap();
    let read = apps.get(&name("billing")).await.unwrap().unwrap();
    let mut mine = read.clone();
    mine.description = "mine".into();
    mine.updated_at = read.updated_at.plus_millis(1).unwrap();
    apps.replace(&mine, read.updated_at).await.unwrap();
    let mut theirs = read.clone();
    theirs.description = "theirs".into();

    // Written against the version read before `mine` was.
    let stale = apps.replace(&theirs, read.updated_at).await;

    assert!(matches!(stale, Err(IncidentError::Changed(_))), "{stale:?}");
    let stored = apps.get(&name("billing")).await.unwrap().unwrap();
    assert_eq!(stored.description, "mine");
}

#[tokio::test]
async fn apps_list_by_name_and_a_deleted_one_is_gone() {
    let apps = MemoryApps::default();
    for n in ["shop", "billing", "auth"] {
        register_app(&apps, app_in(json!({ "name": n })))
            .await
            .unwrap();
    }

    apps.delete(&name("shop")).await.unwrap();
    let again = apps.delete(&name("shop")).await;

    assert!(
        matches!(again, Err(IncidentError::AppNotFound(ref n)) if n == "shop"),
        "{again:?}"
    );
    let names: Vec<String> = list_apps(&apps)
        .await
        .unwrap()
        .apps
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["auth", "billing"]);
    assert_eq!(apps.get(&name("shop")).await.unwrap(), None);
}

/// The DSN's key and project id out of a DSN `scheme://key@host/project`.
fn dsn_parts(dsn: &str) -> (String, u64) {
    let (_, rest) = dsn.split_once("://").unwrap();
    let (key, rest) = rest.split_once('@').unwrap();
    let project = rest.rsplit('/').next().unwrap().parse().unwrap();
    (key.to_owned(), project)
}

#[tokio::test]
async fn a_registered_app_gets_a_dsn_shown_whole_once_and_by_its_hint_after() {
    let apps = MemoryApps::default();

    let created = register_app(&apps, app_in(json!({"name": "billing"})))
        .await
        .unwrap()
        .at("https://api.example.com");

    let dsn = created.app.dsn.clone().unwrap();
    let (key, project) = dsn_parts(&dsn);
    assert_eq!(key.len(), 32);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(
        (1_000_000_000..10_000_000_000).contains(&project),
        "{project}"
    );
    assert_eq!(dsn, format!("https://{key}@api.example.com/{project}"));
    let stored = apps.get(&name("billing")).await.unwrap().unwrap();
    let stored_dsn = stored.dsn.clone().unwrap();
    assert_ne!(stored_dsn.key_sha256, key, "only its hash is kept");
    assert_eq!(stored.project_id(), Some(project));
    let listed = list_apps(&apps).await.unwrap().at("http://127.0.0.1:9000");
    assert_eq!(
        listed.apps[0].dsn.as_deref(),
        Some(format!("http://{}****@127.0.0.1:9000/{project}", &key[..6]).as_str()),
        "listed by its hint only"
    );
    let found = authenticate_dsn(&apps, project, &key).await.unwrap();
    assert_eq!(found.name(), "billing");
    for (p, k) in [(project, "0".repeat(32)), (project + 1, key.clone())] {
        let refused = authenticate_dsn(&apps, p, &k).await;
        assert!(
            matches!(refused, Err(IncidentError::BadCode)),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_rotated_dsn_keeps_the_project_and_only_the_new_key_is_accepted() {
    let apps = MemoryApps::default();
    let created = register_app(&apps, app_in(json!({"name": "billing"})))
        .await
        .unwrap()
        .at("https://h");
    let (old_key, project) = dsn_parts(&created.app.dsn.unwrap());

    let rotated = update_app(
        &apps,
        app_in(json!({"name": "billing", "rotate_dsn": true})),
    )
    .await
    .unwrap()
    .at("https://h");

    assert_eq!(rotated.code, None, "the code stays");
    let (new_key, same_project) = dsn_parts(&rotated.app.dsn.unwrap());
    assert_eq!(same_project, project);
    assert_ne!(new_key, old_key);
    assert!(authenticate_dsn(&apps, project, &old_key).await.is_err());
    assert!(authenticate_dsn(&apps, project, &new_key).await.is_ok());
    let on_register =
        register_app(&apps, app_in(json!({"name": "shop", "rotate_dsn": true}))).await;
    assert!(
        matches!(on_register, Err(IncidentError::Invalid(_))),
        "{on_register:?}"
    );
}

#[test]
fn a_dsn_carries_the_origins_scheme_port_and_path_prefix() {
    use crate::records::format_dsn;
    assert_eq!(
        format_dsn("https://h.example", "k", 7),
        "https://k@h.example/7"
    );
    assert_eq!(
        format_dsn("http://127.0.0.1:9000/", "k", 7),
        "http://k@127.0.0.1:9000/7"
    );
    assert_eq!(
        format_dsn("https://h/prefix", "k", 7),
        "https://k@h/prefix/7"
    );
}
