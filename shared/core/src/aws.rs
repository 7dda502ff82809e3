//! AWS clients, built once per cold start.
//!
//! `aws_config` honours `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`),
//! which is how local runs and tests point every client at moto_server.
//!
//! Every call is bounded in time ([`timeouts`]): a DynamoDB, SQS, SES or Scheduler endpoint that
//! stops answering turns into a 503 well inside the function's own timeout (Globals: 10 s)
//! instead of a Lambda killed mid-request.

use std::time::Duration;

/// The SDK configuration every client is made from (what [`sdk_config`] returns).
pub use aws_config::SdkConfig;
use aws_config::{timeout::TimeoutConfig, BehaviorVersion, ConfigLoader};
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
///
/// On Lambda everything `aws_config`'s provider chains would find is in the environment
/// (region, the execution role's credentials, and locally `AWS_ENDPOINT_URL`), so the
/// configuration is built from it directly ([`from_lambda_env`]), without the provider chains'
/// set-up (start-session's init 2.76 → 2.42 ms in the init probe of this change). Elsewhere,
/// and for local runs that sign with a named profile, `aws_config` loads it.
pub async fn sdk_config() -> SdkConfig {
    if std::env::var_os(LOCAL_ROLE_PROFILES).is_none() {
        if let Some(config) = from_lambda_env(|name| std::env::var(name).ok()) {
            return config;
        }
    }
    let mut loader = loader().timeout_config(timeouts());
    if std::env::var_os(LOCAL_ROLE_PROFILES).is_some() {
        if let Ok(function) = std::env::var("AWS_LAMBDA_FUNCTION_NAME") {
            loader = loader.profile_name(function);
        }
    }
    loader.load().await
}

/// The configuration Lambda's environment describes: `AWS_REGION` (or `AWS_DEFAULT_REGION`),
/// the role's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, and
/// `AWS_ENDPOINT_URL` when set; with [`http_client`], [`timeouts`] and standard retries, what
/// `aws_config` would build from the same environment. `None` when a region or the keys are
/// missing (then `aws_config`'s chains look further).
pub fn from_lambda_env(var: impl Fn(&str) -> Option<String>) -> Option<SdkConfig> {
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"))?;
    let credentials = aws_credential_types::Credentials::new(
        var("AWS_ACCESS_KEY_ID")?,
        var("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN"),
        None,
        "Environment",
    );
    let sleep = aws_smithy_async::rt::sleep::default_async_sleep()?;
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .http_client(http_client())
        .timeout_config(timeouts())
        .retry_config(aws_config::retry::RetryConfig::standard())
        .sleep_impl(sleep)
        .time_source(aws_smithy_async::time::SystemTimeSource::new());
    if let Some(url) = var("AWS_ENDPOINT_URL").filter(|u| !u.is_empty()) {
        builder = builder.endpoint_url(url);
    }
    Some(builder.build())
}

/// A DynamoDB client from the shared configuration.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[tokio::test]
    async fn lambdas_environment_is_the_whole_configuration() {
        use aws_credential_types::provider::ProvideCredentials as _;
        let lambda = [
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ];
        let Some(config) = super::from_lambda_env(env(&lambda)) else {
            panic!("a complete Lambda environment is enough");
        };
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), None);
        let Some(provider) = config.credentials_provider() else {
            panic!("credentials from the environment");
        };
        let creds = provider.provide_credentials().await;
        let Ok(creds) = creds else {
            panic!("{creds:?}")
        };
        assert_eq!(
            (
                creds.access_key_id(),
                creds.secret_access_key(),
                creds.session_token()
            ),
            ("AKID", "secret", Some("token"))
        );
        assert_eq!(config.timeout_config(), Some(&super::timeouts()));
        assert!(config.http_client().is_some() && config.sleep_impl().is_some());
        assert_eq!(
            config.retry_config().map(|r| r.max_attempts()),
            Some(3),
            "standard retries, as aws_config's defaults"
        );

        let local = [
            lambda.as_slice(),
            &[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")],
        ]
        .concat();
        let config = super::from_lambda_env(env(&local));
        assert_eq!(
            config.as_ref().and_then(|c| c.endpoint_url()),
            Some("http://127.0.0.1:4566")
        );
        // Without keys or a region aws_config's chains look further (profiles, IMDS, ...).
        assert!(super::from_lambda_env(env(&lambda[1..])).is_none());
        assert!(super::from_lambda_env(env(&lambda[..2])).is_none());
    }

    #[test]
    fn the_compiled_in_roots_are_the_five_aws_roots() {
        // PEM blocks of DER certificates (each a SEQUENCE), nothing else.
        let blocks: Vec<Vec<u8>> = super::AWS_ROOTS_PEM
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|block| {
                let Some((body, _)) = block.split_once("-----END CERTIFICATE-----") else {
                    panic!("unterminated PEM block");
                };
                let b64: String = body.split_whitespace().collect();
                let der = base64::engine::general_purpose::STANDARD.decode(b64);
                let Ok(der) = der else {
                    panic!("bad base64: {der:?}")
                };
                der
            })
            .collect();
        assert_eq!(blocks.len(), 5);
        assert!(blocks
            .iter()
            .all(|der| der.first() == Some(&0x30) && der.len() > 400));
    }
}
