use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lookout_core::logging::init();
    admin_update_alert_routes::serve().await
}
