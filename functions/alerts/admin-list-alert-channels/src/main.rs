use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lookout_core::logging::init();
    admin_list_alert_channels::serve().await
}
