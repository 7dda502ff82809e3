use lambda_runtime::{run, service_fn, tracing, Error};
use messenger_deliver::{handle, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = Deps::from_env().await?;
    run(service_fn(|event| handle(&deps, event))).await
}
