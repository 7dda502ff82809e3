//! Who sends: the DSN's public key from the request, the project from the path, DSNs.
//!
//! An SDK configured with `<scheme>://<public key>@<host>/<project id>` posts to
//! `<scheme>://<host>/api/<project id>/envelope/` and names its key in `X-Sentry-Auth`
//! (`Sentry sentry_key=<key>, sentry_version=7, sentry_client=<sdk>/<version>`), or in the
//! query (`?sentry_key=<key>&sentry_version=7`, browsers, which cannot set that header). The
//! secret part of old DSNs is ignored: the public key alone identifies the sender.

/// Longest public key accepted (Sentry's are 32 hex digits).
const MAX_KEY_LEN: usize = 128;

/// Which ingestion endpoint a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/api/<project>/envelope/`: an envelope ([`crate::parse_envelope`]).
    Envelope,
    /// `/api/<project>/store/`: one event as JSON, the legacy endpoint ([`crate::parse_store`]).
    Store,
}

/// The `sentry_key` in an `X-Sentry-Auth` (or `Authorization`) header value.
///
/// Accepts `Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry.python/2.0` with or
/// without the `Sentry` scheme, any spacing and order, quoted values, and `DSN <dsn>` (which
/// some SDKs put in `Authorization`). `None` without a key, or when the key is not plausible
/// (empty, longer than 128, other than letters, digits, `-`, `_`).
pub fn sentry_key_from_header(value: &str) -> Option<String> {
    let value = value.trim();
    if let Some(dsn) = strip_scheme(value, "dsn") {
        return parse_dsn(dsn).map(|(key, _)| key);
    }
    let params = strip_scheme(value, "sentry").unwrap_or(value);
    params.split(',').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("sentry_key") {
            return None;
        }
        valid_key(value.trim().trim_matches('"'))
    })
}

/// The `sentry_key` parameter of a query string (with or without its leading `?`),
/// percent-decoded.
pub fn sentry_key_from_query(query: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        if name != "sentry_key" {
            return None;
        }
        valid_key(&percent_decode(value)?)
    })
}

/// The public key and the project id of a DSN:
/// `<scheme>://<public key>[:<secret>]@<host>[:<port>]/[<path>/]<project id>`.
///
/// `None` unless it has a scheme, a plausible key, a host and a numeric project id.
pub fn parse_dsn(dsn: &str) -> Option<(String, String)> {
    let (scheme, rest) = dsn.trim().split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.split_once('/')?;
    let (user_info, host) = authority.rsplit_once('@')?;
    if host.is_empty() {
        return None;
    }
    let public_key = user_info.split(':').next().unwrap_or_default();
    let public_key = valid_key(public_key)?;
    let project = path.trim_end_matches('/').rsplit('/').next()?;
    if project.is_empty() || !project.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((public_key, project.to_owned()))
}

/// The project id and endpoint of an ingestion path: `/api/<digits>/envelope/` or
/// `/api/<digits>/store/`, the trailing slash optional (or repeated), a query ignored.
pub fn project_id_from_path(path: &str) -> Option<(u64, Endpoint)> {
    let path = path.split('?').next().unwrap_or_default();
    let rest = path.strip_prefix("/api/")?.trim_end_matches('/');
    let (project, endpoint) = rest.split_once('/')?;
    if project.is_empty() || !project.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let endpoint = match endpoint {
        "envelope" => Endpoint::Envelope,
        "store" => Endpoint::Store,
        _ => return None,
    };
    Some((project.parse().ok()?, endpoint))
}

/// What follows an authorization scheme (`Sentry`, `DSN`: any case) and the whitespace after it.
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (head, rest) = value.split_at_checked(scheme.len())?;
    let spaced = rest.starts_with(char::is_whitespace);
    (spaced && head.eq_ignore_ascii_case(scheme)).then(|| rest.trim_start())
}

fn valid_key(key: &str) -> Option<String> {
    let plausible = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| key.to_owned())
}

/// `%XX` escapes and `+` (a space) undone; `None` on a bad escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}
