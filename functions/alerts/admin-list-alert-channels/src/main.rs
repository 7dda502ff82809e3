use lambda_http::{tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    admin_list_alert_channels::serve().await
}
