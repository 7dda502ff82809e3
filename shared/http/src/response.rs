//! What a function answers: JSON bodies, secrets marked no-store, redirects, and the error
//! mapping applied to a handler's result.

use lambda_http::{
    http::{
        header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION},
        HeaderValue, StatusCode,
    },
    Body, Response,
};
use serde::Serialize;

use crate::error::AppError;

/// A JSON response with the given status.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    let (status, body) = match serde_json::to_vec(value) {
        Ok(bytes) => (status, bytes),
        Err(err) => {
            tracing::error!(error = %err, "response serialisation failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"error":"internal","message":"internal server error"}"#.to_vec(),
            )
        }
    };
    let mut resp = Response::new(Body::Binary(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A JSON response that carries a secret (an API key, an app code, a log token): also
/// `Cache-Control: no-store`, so no cache or proxy between the API and the client keeps it.
pub fn secret_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    let mut resp = json_response(status, value);
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// 200 with a JSON body.
pub fn ok<T: Serialize + ?Sized>(value: &T) -> Response<Body> {
    json_response(StatusCode::OK, value)
}

/// 308 Permanent Redirect to `location` (method and body are kept by the client), with a
/// JSON body saying where.
pub fn permanent_redirect(location: &str) -> Response<Body> {
    #[derive(serde::Serialize)]
    struct Moved<'a> {
        error: &'static str,
        message: String,
        location: &'a str,
    }
    let mut resp = json_response(
        StatusCode::PERMANENT_REDIRECT,
        &Moved {
            error: "moved",
            message: format!("use {location}"),
            location,
        },
    );
    if let Ok(value) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(LOCATION, value);
    }
    resp
}

/// Runs an endpoint body and maps its error to the JSON error response. Expected failures are
/// `Ok` responses for the runtime; only a broken runtime contract would be an `Err`.
pub async fn respond<F>(fut: F) -> Result<Response<Body>, lambda_http::Error>
where
    F: std::future::Future<Output = Result<Response<Body>, AppError>>,
{
    // On the heap (one allocation per request): a handler's state, its AWS requests', is
    // large in unoptimised builds, and tests await handlers on 2 MiB thread stacks.
    Ok(Box::pin(fut).await.unwrap_or_else(AppError::into_response))
}

/// The reply marked `Cache-Control: no-store`, so no cache or proxy between the API and the
/// client keeps it: what an authenticated read returns is a tenant's or the admin's data.
pub fn no_store(mut resp: Response<Body>) -> Response<Body> {
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// [`respond`] for an authenticated `GET` (an API key, a log user's token or the admin token):
/// every reply, the data and the errors alike, is [`no_store`]. Public routes (the console,
/// `openapi.json`, the badge) set their own caching instead.
pub async fn respond_no_store<F>(fut: F) -> Result<Response<Body>, lambda_http::Error>
where
    F: std::future::Future<Output = Result<Response<Body>, AppError>>,
{
    respond(fut).await.map(no_store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn authenticated_reads_are_no_store_whatever_they_answer() {
        let data = respond_no_store(async { Ok(ok(&serde_json::json!({"a": 1}))) })
            .await
            .unwrap();
        let denied = respond_no_store(async { Err(AppError::Unauthorized("no key".into())) })
            .await
            .unwrap();
        for (resp, status) in [(data, 200), (denied, 401)] {
            assert_eq!(resp.status().as_u16(), status);
            assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
            assert_eq!(resp.headers()[CONTENT_TYPE], "application/json");
        }
        let plain = respond(async { Ok(ok(&1)) }).await.unwrap();
        assert!(plain.headers().get(CACHE_CONTROL).is_none());
    }

    #[test]
    fn a_redirect_says_where_in_its_header_and_body() {
        let resp = permanent_redirect("/api/apps");
        assert_eq!(resp.status().as_u16(), 308);
        assert_eq!(resp.headers()[LOCATION], "/api/apps");
        let body: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
        assert_eq!(body["location"], "/api/apps");
    }
}
