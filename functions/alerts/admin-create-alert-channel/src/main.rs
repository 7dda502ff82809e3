use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lookout_core::logging::init();
    admin_create_alert_channel::serve().await
}
