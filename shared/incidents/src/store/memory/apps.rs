//! [`Apps`] in memory.

use lookout_core::{time::Timestamp, BoxFuture};

use crate::error::IncidentError;
use crate::input::AppName;
use crate::records::App;
use crate::store::apps::Apps;
use crate::store::memory::state::{lock, Shared};

/// The apps in memory. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryApps {
    state: Shared,
}

impl MemoryApps {
    pub(crate) fn over(state: Shared) -> Self {
        Self { state }
    }
}

impl Apps for MemoryApps {
    fn get<'a>(&'a self, name: &'a AppName) -> BoxFuture<'a, Result<Option<App>, IncidentError>> {
        Box::pin(async move { Ok(lock(&self.state).apps.get(name.as_str()).cloned()) })
    }

    fn by_project(&self, project_id: u64) -> BoxFuture<'_, Result<Option<App>, IncidentError>> {
        Box::pin(async move {
            Ok(lock(&self.state)
                .apps
                .values()
                .find(|a| a.project_id() == Some(project_id))
                .cloned())
        })
    }

    fn insert<'a>(&'a self, app: &'a App) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(async move {
            let mut state = lock(&self.state);
            if state.apps.contains_key(&app.name) {
                return Err(IncidentError::AppExists(app.name.clone()));
            }
            let project = app.project_id();
            if project.is_some() && state.apps.values().any(|a| a.project_id() == project) {
                return Err(IncidentError::Changed("the project id is taken; retry"));
            }
            state.apps.insert(app.name.clone(), app.clone());
            Ok(())
        })
    }

    fn replace<'a>(
        &'a self,
        app: &'a App,
        previous: Timestamp,
    ) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(async move {
            let mut state = lock(&self.state);
            match state.apps.get_mut(&app.name) {
                Some(stored) if stored.updated_at == previous => {
                    *stored = app.clone();
                    Ok(())
                }
                _ => Err(IncidentError::Changed("the app changed meanwhile; retry")),
            }
        })
    }

    fn delete<'a>(&'a self, name: &'a AppName) -> BoxFuture<'a, Result<(), IncidentError>> {
        Box::pin(async move {
            match lock(&self.state).apps.remove(name.as_str()) {
                Some(_) => Ok(()),
                None => Err(IncidentError::AppNotFound(name.as_str().to_owned())),
            }
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<App>, IncidentError>> {
        Box::pin(async move { Ok(lock(&self.state).apps.values().cloned().collect()) })
    }
}
