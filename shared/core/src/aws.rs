//! AWS clients, built once per cold start.
//!
//! `aws_config` honours `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`),
//! which is how local runs and tests point every client at moto_server.
//!
//! Every call is bounded in time ([`timeouts`]): a DynamoDB, SQS, SES or Scheduler endpoint that
//! stops answering turns into a 503 well inside the function's own timeout (Globals: 10 s)
//! instead of a Lambda killed mid-request.

use std::time::Duration;

use aws_config::{timeout::TimeoutConfig, BehaviorVersion, SdkConfig};

/// Connecting to an AWS endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// One attempt of one call (the SDK retries a timed-out attempt, up to 3 attempts in all).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// One call, retries included: below the template's 10 s function timeout.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(7);

/// The time limits every client of every function uses.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Set only by local runs (never on AWS): each function signs with the credentials profile
/// named after it (`AWS_LAMBDA_FUNCTION_NAME`), which holds its own IAM role's credentials, so
/// the local stack refuses what AWS would refuse.
pub const LOCAL_ROLE_PROFILES: &str = "LOOKOUT_LOCAL_ROLE_PROFILES";

/// Loads region, credentials and endpoint overrides from the environment.
pub async fn sdk_config() -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts());
    if std::env::var_os(LOCAL_ROLE_PROFILES).is_some() {
        if let Ok(function) = std::env::var("AWS_LAMBDA_FUNCTION_NAME") {
            loader = loader.profile_name(function);
        }
    }
    loader.load().await
}

/// A DynamoDB client from the shared configuration.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}
