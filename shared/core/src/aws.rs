//! AWS clients, built once per cold start.
//!
//! `aws_config` honours `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`),
//! which is how local runs and tests point every client at moto_server.
//!
//! Every call is bounded in time ([`timeouts`]): a DynamoDB, SQS, SES or Scheduler endpoint that
//! stops answering turns into a 503 well inside the function's own timeout (Globals: 10 s)
//! instead of a Lambda killed mid-request.

use std::time::Duration;

use aws_config::{timeout::TimeoutConfig, BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::{
    tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore},
    Builder,
};

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

/// The root certificates AWS service endpoints chain to: Amazon Root CA 1-4 and the Starfield
/// Services G2 root that cross-signs them (the set AWS documents for its endpoints), in PEM,
/// from the Mozilla CA set. Compiled in, so no function reads the OS trust store (146 files
/// in /etc/ssl/certs) at start-up; every certificate is still verified against these roots.
pub const AWS_ROOTS_PEM: &str = include_str!("../certs/aws-roots.pem");

/// The HTTPS client of every AWS SDK client: hyper + rustls on ring, trusting
/// [`AWS_ROOTS_PEM`] only. (Plain-HTTP endpoints, such as the local moto_server, work too.)
pub fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    let roots = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AWS_ROOTS_PEM.as_bytes());
    let builder = Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
    match TlsContext::builder().with_trust_store(roots).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        // `build` cannot fail for a trust store alone; should it ever, the roots of the default
        // context (the OS store) still verify every certificate.
        Err(error) => {
            tracing::warn!(%error, "TLS context with the AWS roots; using the OS roots");
            builder.build_https()
        }
    }
}

/// `aws_config::defaults` with Lookout's HTTPS client ([`http_client`]): what every SDK
/// configuration starts from, in functions, tools and tests.
pub fn loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client())
}

/// Loads region, credentials and endpoint overrides from the environment.
pub async fn sdk_config() -> SdkConfig {
    let mut loader = loader().timeout_config(timeouts());
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

#[cfg(test)]
mod tests {
    use rustls_pki_types::{pem::PemObject, CertificateDer};

    #[test]
    fn the_compiled_in_roots_are_the_five_aws_roots() {
        let certs = CertificateDer::pem_slice_iter(super::AWS_ROOTS_PEM.as_bytes())
            .collect::<Result<Vec<_>, _>>();
        let Ok(certs) = certs else {
            panic!("the roots are valid PEM: {certs:?}");
        };
        assert_eq!(certs.len(), 5);
        // Each is a DER certificate (a SEQUENCE), not some other PEM object.
        assert!(certs
            .iter()
            .all(|c| c.first() == Some(&0x30) && c.len() > 400));
    }
}
