use lambda_http::{run, service_fn, tracing, Error};
use update_incident::{handle, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = Deps::from_env().await?;
    run(service_fn(|req| handle(&deps, req))).await
}
