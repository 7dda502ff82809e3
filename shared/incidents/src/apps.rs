//! Apps that report incidents: registering one (its code is generated and shown once),
//! changing one (description, links, a new code), and checking a reporter's code. Codes are
//! random, stored as SHA-256 and compared in constant time.

use rand::RngCore;

use lookout_core::{auth::sha256_hex, time::Timestamp};

use crate::error::IncidentError;
use crate::input::{AppIn, AppLinks, AppName};
use crate::records::{App, AppView, AppWithCode};
use crate::store::apps::Apps;

/// `POST /admin/apps`: registers an app ([`IncidentError::AppExists`] if the name is taken)
/// and returns it with its code, shown this once.
pub async fn register_app(apps: &dyn Apps, mut input: AppIn) -> Result<AppWithCode, IncidentError> {
    if input.rotate_code {
        return Err(IncidentError::Invalid(
            "rotate_code belongs to PUT /admin/apps".into(),
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
        created_at: now,
        updated_at: now,
    };
    apps.insert(&app).await?;
    Ok(AppWithCode {
        app: app.view(),
        code,
    })
}

/// `PUT /admin/apps`: the fields given replace the stored ones (an empty link clears it), and
/// `rotate_code` issues a new code, returned with the app. [`IncidentError::AppNotFound`] for
/// an unknown app, [`IncidentError::Changed`] when it changed meanwhile.
pub async fn update_app(
    apps: &dyn Apps,
    mut input: AppIn,
) -> Result<(AppView, Option<String>), IncidentError> {
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
    let code = input.rotate_code.then(new_code);
    if let Some(c) = &code {
        app.code_sha256 = sha256_hex(c.as_bytes());
    }
    let previous = app.updated_at;
    app.updated_at = Timestamp::now();
    apps.replace(&app, previous).await?;
    Ok((app.view(), code))
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

fn new_code() -> String {
    let mut b = [0_u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
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
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        };
        assert!(app.accepts(&code));
        assert!(app.accepts(&format!(" {code}\n")), "trimmed as sent");
        assert!(!app.accepts(&new_code()));
        assert!(!app.accepts(""));
    }
}
