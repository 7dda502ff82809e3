//! Apps that report incidents: registering one (its code and its Sentry DSN are generated and
//! shown once), changing one (description, links, a new code or DSN key), and checking a
//! reporter's code or a Sentry SDK's DSN key. Codes and keys are random, stored as SHA-256 and
//! compared in constant time.

use rand::RngCore;

use lookout_core::{auth::sha256_hex, time::Timestamp};

use crate::error::IncidentError;
use crate::input::{AppIn, AppLinks, AppName};
use crate::records::{App, AppList, AppWithCode, DsnKey};
use crate::store::apps::Apps;

/// `POST /admin/apps`: registers an app ([`IncidentError::AppExists`] if the name is taken)
/// and returns it with its code, shown this once.
pub async fn register_app(apps: &dyn Apps, mut input: AppIn) -> Result<AppWithCode, IncidentError> {
    if input.rotate_code || input.rotate_dsn {
        return Err(IncidentError::Invalid(
            "rotate_code and rotate_dsn belong to PUT /admin/apps".into(),
        ));
    }
    input.validate()?;
    let code = new_code();
    let now = Timestamp::now();
    let links = input.links;
    let app = App {
        name: input.name.as_str().to_owned(),
        description: input.description.unwrap_or_default(),
        code_sha256: sha256_hex(code.as_bytes()),
        links: AppLinks {
            log_user: links.log_user.filter(|v| !v.is_empty()),
            log_process: links.log_process.filter(|v| !v.is_empty()),
            heartbeat_tenant: links.heartbeat_tenant.filter(|v| !v.is_empty()),
            heartbeat_app_id: links.heartbeat_app_id.filter(|v| !v.is_empty()),
        },
        dsn: None,
        events_per_day: input.events_per_day.filter(|n| *n > 0),
        created_at: now,
        updated_at: now,
    };
    // A project id already taken (1 in 10^9 per app) is drawn again.
    let mut last = None;
    for _ in 0..PROJECT_ID_ATTEMPTS {
        let (dsn, key) = new_dsn();
        let app = App {
            dsn: Some(dsn),
            ..app.clone()
        };
        match apps.insert(&app).await {
            Ok(()) => {
                return Ok(AppWithCode {
                    app: app.view().with_key(key),
                    code: Some(code),
                })
            }
            Err(err @ IncidentError::Changed(_)) => last = Some(err),
            Err(err) => return Err(err),
        }
    }
    Err(last.unwrap_or(IncidentError::Changed("project id taken; retry")))
}

/// `PUT /admin/apps`: the fields given replace the stored ones (an empty link clears it);
/// `rotate_code` issues a new code and `rotate_dsn` a new DSN key (same project id; a new one
/// for an app that had no DSN), each returned with the app this once.
/// [`IncidentError::AppNotFound`] for an unknown app, [`IncidentError::Changed`] when it
/// changed meanwhile.
pub async fn update_app(apps: &dyn Apps, mut input: AppIn) -> Result<AppWithCode, IncidentError> {
    input.validate()?;
    let mut app = apps
        .get(&input.name)
        .await?
        .ok_or_else(|| IncidentError::AppNotFound(input.name.as_str().to_owned()))?;
    if let Some(d) = input.description {
        app.description = d;
    }
    let l = input.links;
    for (new, old) in [
        (l.log_user, &mut app.links.log_user),
        (l.log_process, &mut app.links.log_process),
        (l.heartbeat_tenant, &mut app.links.heartbeat_tenant),
        (l.heartbeat_app_id, &mut app.links.heartbeat_app_id),
    ] {
        if let Some(v) = new {
            *old = (!v.is_empty()).then_some(v);
        }
    }
    if let Some(n) = input.events_per_day {
        app.events_per_day = (n > 0).then_some(n);
    }
    let code = input.rotate_code.then(new_code);
    if let Some(c) = &code {
        app.code_sha256 = sha256_hex(c.as_bytes());
    }
    let key = if input.rotate_dsn {
        let (mut dsn, key) = new_dsn();
        if let Some(old) = &app.dsn {
            dsn.project_id = old.project_id;
        }
        app.dsn = Some(dsn);
        Some(key)
    } else {
        None
    };
    let previous = app.updated_at;
    app.updated_at = Timestamp::now();
    apps.replace(&app, previous).await?;
    let view = match key {
        Some(key) => app.view().with_key(key),
        None => app.view(),
    };
    Ok(AppWithCode { app: view, code })
}

/// `GET /admin/apps`: every app, by name, as the admin sees it (never its code; the DSN's key
/// by its first characters).
pub async fn list_apps(apps: &dyn Apps) -> Result<AppList, IncidentError> {
    let mut apps: Vec<_> = apps.list().await?.into_iter().map(App::view).collect();
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(AppList { apps })
}

/// The app whose DSN has project id `project_id` and public key `key`: what a Sentry SDK's
/// request names. [`IncidentError::BadCode`] for an unknown project or another key (they look
/// the same to the sender).
pub async fn authenticate_dsn(
    apps: &dyn Apps,
    project_id: u64,
    key: &str,
) -> Result<App, IncidentError> {
    match apps.by_project(project_id).await? {
        Some(app) if app.dsn.as_ref().is_some_and(|d| d.accepts(key)) => Ok(app),
        _ => Err(IncidentError::BadCode),
    }
}

/// The app named `name` when `code` is its code; [`IncidentError::BadCode`] otherwise (an
/// unknown app and a wrong code look the same to the reporter).
pub(crate) async fn authenticate(
    apps: &dyn Apps,
    name: &AppName,
    code: &str,
) -> Result<App, IncidentError> {
    match apps.get(name).await? {
        Some(app) if app.accepts(code) => Ok(app),
        _ => Err(IncidentError::BadCode),
    }
}

/// Times registering draws a new project id when the one drawn is taken.
const PROJECT_ID_ATTEMPTS: usize = 3;

fn new_code() -> String {
    let mut b = [0_u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A new DSN: a 10-digit project id (SDKs take only digits there) and a 32-hex-digit public
/// key, as Sentry's; the key is returned to be shown once.
fn new_dsn() -> (DsnKey, String) {
    let key = new_code();
    let project_id = 1_000_000_000 + rand::rng().next_u64() % 9_000_000_000;
    let dsn = DsnKey {
        project_id,
        key_sha256: sha256_hex(key.as_bytes()),
        key_hint: key[..6].to_owned(),
    };
    (dsn, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_accepts_its_code_only() {
        let code = new_code();
        assert_eq!(code.len(), 32);
        let app = App {
            name: "billing".into(),
            description: String::new(),
            code_sha256: sha256_hex(code.as_bytes()),
            links: AppLinks::default(),
            dsn: None,
            events_per_day: None,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        };
        assert!(app.accepts(&code));
        assert!(app.accepts(&format!(" {code}\n")), "trimmed as sent");
        assert!(!app.accepts(&new_code()));
        assert!(!app.accepts(""));
    }
}
