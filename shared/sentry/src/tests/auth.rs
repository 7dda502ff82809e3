//! Keys from headers and queries, DSNs, ingestion paths, the rate-limit reply.

use crate::auth::{
    parse_dsn, project_id_from_path, sentry_key_from_header, sentry_key_from_query, Endpoint,
};
use crate::reply::rate_limits_header;

const KEY: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn the_key_comes_from_any_form_of_the_auth_header() {
    let headers = [
        format!("Sentry sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.76.0"),
        format!("Sentry sentry_version=7,sentry_client=sentry.javascript.browser/8.0.0,sentry_key={KEY}"),
        format!("sentry sentry_key = {KEY} , sentry_version = 7"),
        format!("  Sentry   sentry_key={KEY}"),
        format!("Sentry\tsentry_key={KEY},sentry_version=7"),
        format!("sentry_key={KEY}, sentry_version=7"),
        format!("Sentry sentry_key=\"{KEY}\", sentry_version=7"),
        format!("Sentry SENTRY_KEY={KEY}"),
        format!("Sentry sentry_version=7, sentry_timestamp=1700000000.1, sentry_key={KEY}, sentry_secret=s3cr3t"),
        format!("DSN https://{KEY}@lookout.example.com/42"),
    ];
    for header in headers {
        assert_eq!(
            sentry_key_from_header(&header).as_deref(),
            Some(KEY),
            "{header}"
        );
    }
}

#[test]
fn headers_without_a_plausible_key_have_none() {
    for header in [
        "",
        "Sentry sentry_version=7, sentry_client=x/1",
        "Sentry sentry_key=, sentry_version=7",
        "Sentry sentry_key=abc def",
        "Sentry sentry_key=abc/def",
        "Bearer 0123456789abcdef",
        "Sentry sentry_keys=abc",
        "DSN not-a-dsn",
    ] {
        assert_eq!(sentry_key_from_header(header), None, "{header}");
    }
    let long = format!("Sentry sentry_key={}", "a".repeat(129));
    assert_eq!(sentry_key_from_header(&long), None);
}

#[test]
fn the_key_comes_from_the_query() {
    for query in [
        format!("sentry_key={KEY}&sentry_version=7"),
        format!("?sentry_version=7&sentry_key={KEY}"),
        "sentry_version=7&sentry_key=0123456789abcdef0123456789abcde%66".to_owned(),
    ] {
        assert_eq!(
            sentry_key_from_query(&query).as_deref(),
            Some(KEY),
            "{query}"
        );
    }
    for query in [
        "",
        "sentry_version=7",
        "sentry_key=",
        "sentry_key=ab%zz",
        "sentry_key=a%2",
        "xsentry_key=abc",
    ] {
        assert_eq!(sentry_key_from_query(query), None, "{query}");
    }
}

#[test]
fn dsns_parse_into_key_and_project() {
    let cases = [
        (format!("https://{KEY}@o1.ingest.sentry.io/4505"), "4505"),
        (format!("https://{KEY}:secret@lookout.example.com/42"), "42"),
        (format!("http://{KEY}@localhost:9000/7"), "7"),
        (
            format!("https://{KEY}@api.example.com/prod/sentry/42"),
            "42",
        ),
        (format!("https://{KEY}@lookout.example.com/42/"), "42"),
        (
            format!(" https://{KEY}@lookout.example.com/42?timeout=5 "),
            "42",
        ),
    ];
    for (dsn, project) in cases {
        assert_eq!(
            parse_dsn(&dsn),
            Some((KEY.to_owned(), project.to_owned())),
            "{dsn}"
        );
    }
    for dsn in [
        "".to_owned(),
        format!("{KEY}@lookout.example.com/42"),
        format!("https://{KEY}@lookout.example.com/"),
        format!("https://{KEY}@lookout.example.com"),
        format!("https://{KEY}@lookout.example.com/project"),
        "https://lookout.example.com/42".to_owned(),
        "https://@lookout.example.com/42".to_owned(),
        format!("https://{KEY}@/42"),
        format!("ht tp://{KEY}@lookout.example.com/42"),
    ] {
        assert_eq!(parse_dsn(&dsn), None, "{dsn}");
    }
}

#[test]
fn dsns_as_lookout_issues_them_parse_back() {
    for (dsn, project) in [
        (
            format!("https://{KEY}@lookout.example.com/4242424242"),
            "4242424242",
        ),
        (format!("http://{KEY}@127.0.0.1:9000/7"), "7"),
        (
            format!("https://{KEY}@abc.execute-api.eu-west-1.amazonaws.com/prod/7"),
            "7",
        ),
    ] {
        assert_eq!(
            parse_dsn(&dsn),
            Some((KEY.to_owned(), project.to_owned())),
            "{dsn}"
        );
    }
}

#[test]
fn ingestion_paths_name_project_and_endpoint() {
    for (path, expected) in [
        ("/api/42/envelope/", (42, Endpoint::Envelope)),
        ("/api/42/envelope", (42, Endpoint::Envelope)),
        ("/api/42/envelope//", (42, Endpoint::Envelope)),
        ("/api/42/envelope/?sentry_key=abc", (42, Endpoint::Envelope)),
        ("/api/4505123/store/", (4_505_123, Endpoint::Store)),
        ("/api/0/store", (0, Endpoint::Store)),
    ] {
        assert_eq!(project_id_from_path(path), Some(expected), "{path}");
    }
    for path in [
        "",
        "/api/x/envelope/",
        "/api//envelope/",
        "/api/42/",
        "/api/42/other/",
        "/api/42/envelope/extra/",
        "/api/-1/envelope/",
        "/prod/api/42/envelope/",
        "api/42/envelope/",
        "/api/99999999999999999999999/envelope/",
    ] {
        assert_eq!(project_id_from_path(path), None, "{path}");
    }
}

#[test]
fn the_rate_limit_header_covers_all_categories_for_the_key() {
    assert_eq!(rate_limits_header(60), "60::key");
    assert_eq!(rate_limits_header(0), "0::key");
}
