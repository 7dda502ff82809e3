use lambda_runtime::{tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    deliver_alerts::serve().await
}
