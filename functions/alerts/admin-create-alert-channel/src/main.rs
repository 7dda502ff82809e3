use lambda_http::{tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    admin_create_alert_channel::serve().await
}
