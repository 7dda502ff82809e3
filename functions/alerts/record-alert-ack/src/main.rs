use lambda_http::{tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    record_alert_ack::serve().await
}
