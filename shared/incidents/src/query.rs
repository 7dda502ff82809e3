//! Query strings of the admin GET routes. HTTP, not the domain's: it moves to the edge crate
//! with the error mapping.

use lambda_http::aws_lambda_events::query_map::QueryMap;

use lookout_core::AppError;

/// Query-string parameters of a GET route, rejecting unknown names (400).
pub fn query_params<'a>(
    params: &'a QueryMap,
    known: &[&str],
) -> Result<impl Fn(&str) -> Option<&'a str> + 'a, AppError> {
    for (name, _) in params.iter() {
        if !known.contains(&name) {
            return Err(AppError::validation(format!(
                "unknown query parameter {name:?}; known: {}",
                known.join(", ")
            )));
        }
    }
    Ok(move |k: &str| params.first(k).map(str::trim).filter(|v| !v.is_empty()))
}
