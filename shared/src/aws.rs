//! AWS clients, built once per cold start.
//!
//! `aws_config` honours `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`),
//! which is how local runs and tests point every client at moto_server.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads region, credentials and endpoint overrides from the environment.
pub async fn sdk_config() -> SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// A DynamoDB client from the shared configuration.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}
