//! `GET /logs` answers with `Cache-Control: no-store` (#30): a user's lines are nothing for a
//! cache or proxy to keep, whether the admin or the user reads them, and neither is a refusal.

use lambda_http::{Body, Response};
use lookout_tests::support::{http_request, ADMIN_TOKEN};

use crate::{seed_batch, setup, Logs};

async fn get_logs(t: &Logs, headers: &[(&str, &str)]) -> Response<Body> {
    query_logs::handle(
        &t.query,
        http_request("GET", "/logs", &[("user", "reader")], headers, ""),
    )
    .await
    .unwrap()
}

fn cache_control(resp: &Response<Body>) -> Option<&str> {
    resp.headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn log_pages_and_refusals_are_not_cached() {
    let t = setup().await;
    let user = t.create_user("reader").await;
    let token = user["x_user_token"].as_str().unwrap();
    assert_eq!(
        t.send(token, &seed_batch("reader").to_string()).await.0,
        200
    );

    let admin = format!("Bearer {ADMIN_TOKEN}");
    for (who, headers, status) in [
        ("admin", vec![("authorization", admin.as_str())], 200),
        ("user", vec![("x-user-token", token)], 200),
        ("nobody", vec![], 401),
        (
            "another token",
            vec![("x-user-token", "0123456789abcdef0123456789abcdef")],
            403,
        ),
    ] {
        let resp = get_logs(&t, &headers).await;
        assert_eq!(resp.status().as_u16(), status, "{who}");
        assert_eq!(cache_control(&resp), Some("no-store"), "{who}");
        if status == 200 {
            let page: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
            assert_eq!(page["logs"].as_array().unwrap().len(), 2, "{who}: {page}");
        }
    }
}
