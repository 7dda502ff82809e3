use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lookout_core::logging::init();
    deliver_alerts::serve().await
}
