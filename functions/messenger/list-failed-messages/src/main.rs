use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lookout_core::logging::init();
    list_failed_messages::serve().await
}
