use console::{handle, Deps};
use lambda_http::{run, service_fn, tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    // No AWS clients: the console is static; it calls the API from the browser.
    let deps = Deps::new();
    run(service_fn(|req| handle(&deps, req))).await
}
