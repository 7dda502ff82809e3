//! JSON in, JSON out.

use lambda_http::{
    http::{
        header::{CONTENT_TYPE, IF_NONE_MATCH},
        HeaderValue, StatusCode,
    },
    Body, Request, Response,
};
use serde::{de::DeserializeOwned, Serialize};

use crate::AppError;

/// Largest body any JSON endpoint reads (API Gateway's payload limit for Lambda is 6 MB;
/// we stop well below it). Endpoints with bigger or smaller needs pass their own limit.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The largest body any endpoint reads, whatever limit it asks for: 3.5 MiB. Lambda's invoke
/// payload is 6 MB, and API Gateway puts the body into the event JSON-escaped or base64-encoded
/// (4/3 of it): a 5 MiB body could exceed the invoke limit and never reach the function's 413.
pub const MAX_BODY_LIMIT: usize = 3 * 1024 * 1024 + 512 * 1024;

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
    resp.headers_mut().insert(
        lambda_http::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    resp
}

/// 200 with a JSON body.
pub fn ok<T: Serialize + ?Sized>(value: &T) -> Response<Body> {
    json_response(StatusCode::OK, value)
}

/// The request body as bytes (API Gateway delivers text or base64-decoded binary).
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Parses the body as JSON into `T`; any failure is a 400 with serde's explanation.
pub fn parse_json<T: DeserializeOwned>(req: &Request, limit: usize) -> Result<T, AppError> {
    let limit = limit.min(MAX_BODY_LIMIT);
    let bytes = body_bytes(req);
    if bytes.len() > limit {
        return Err(AppError::PayloadTooLarge(format!(
            "request body is {} bytes, the limit is {limit}",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::validation("request body must be a JSON object"));
    }
    if !starts_object(bytes) {
        return Err(AppError::validation(
            "invalid JSON body: expected a JSON object",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|err| AppError::Validation(format!("invalid JSON body: {err}")))
}

/// True when the body's first non-whitespace byte opens a JSON object. Checked before
/// deserialising: serde would also read a struct from a positional array (`[23, "OK"]` as
/// `{"app_id": 23, "message": "OK"}`), which no client means.
pub fn starts_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// A header's value as text, if present and valid UTF-8.
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The canonical form of a request path: repeated slashes collapsed and trailing slashes
/// dropped (`//send_logs` → `/send_logs`, `/api/apps/` → `/api/apps`, `/` stays `/`). API
/// Gateway HTTP API routes are canonical, so a request in another form reaches no route.
pub fn canonical_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
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
        resp.headers_mut()
            .insert(lambda_http::http::header::LOCATION, value);
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
    resp.headers_mut().insert(
        lambda_http::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
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

/// Whether the request's `If-None-Match` names `etag` (weak or strong) or is `*`: the client's
/// copy is current, a `304`.
pub fn etag_matches(req: &Request, etag: &str) -> bool {
    req.headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|tag| {
                let tag = tag.trim().trim_start_matches("W/");
                tag == etag || tag == "*"
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
    }

    fn req(body: &str) -> Request {
        Request::new(Body::Text(body.to_owned()))
    }

    #[test]
    fn canonical_paths() {
        assert_eq!(canonical_path("//send_logs"), "/send_logs");
        assert_eq!(canonical_path("/api/apps/"), "/api/apps");
        assert_eq!(canonical_path("/api//apps//"), "/api/apps");
        assert_eq!(canonical_path("/api/apps"), "/api/apps");
        assert_eq!(canonical_path("/"), "/");
        assert_eq!(canonical_path("//"), "/");
        assert_eq!(canonical_path(""), "/");
    }

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
            assert_eq!(
                resp.headers()[lambda_http::http::header::CACHE_CONTROL],
                "no-store"
            );
            assert_eq!(resp.headers()[CONTENT_TYPE], "application/json");
        }
        let plain = respond(async { Ok(ok(&1)) }).await.unwrap();
        assert!(plain
            .headers()
            .get(lambda_http::http::header::CACHE_CONTROL)
            .is_none());
    }

    #[test]
    fn parse_json_explains_what_is_wrong() {
        let err = parse_json::<Thing>(&req("{}"), 100).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("missing field `name`"), "{err}");
        let err = parse_json::<Thing>(&req(""), 100).unwrap_err();
        assert_eq!(err.status(), 400);
        // A struct is never read from a positional array.
        let err = parse_json::<Thing>(&req(r#" ["x"]"#), 100).unwrap_err();
        assert_eq!(err.to_string(), "invalid JSON body: expected a JSON object");
        let err = parse_json::<Thing>(&req(r#"{"name":"x"}"#), 5).unwrap_err();
        assert_eq!(err.status(), 413);
    }
}
