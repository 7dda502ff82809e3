//! The physical floor of a Rust Lambda's cold start, measured beside every function by the
//! bench (`coldstart`): lambda_http's runtime answering 200 to any request, with no AWS client,
//! no configuration and no logging set up. A function's init divided by this one's is what its
//! own start-up costs.

use lambda_http::{run, service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_request: Request| async {
        Response::builder()
            .status(200)
            .body(Body::from("ok"))
            .map_err(Error::from)
    }))
    .await
}
