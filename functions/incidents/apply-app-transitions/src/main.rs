use lambda_runtime::{tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    apply_app_transitions::serve().await
}
