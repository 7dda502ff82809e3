//! AWS clients, built once per cold start.
//!
//! The configuration comes from the environment Lambda sets ([`from_lambda_env`]), including
//! `AWS_ENDPOINT_URL`, which is how local runs and tests point every client at moto_server.
//! `aws_config` (its provider chains, STS, profile files: ~250 KB of every binary) is not part
//! of a deploy binary: only the `loader` feature, which the dev tools turn on, brings it.
//!
//! Every call is bounded in time ([`timeouts`]): a DynamoDB, SQS, SES or Scheduler endpoint that
//! stops answering turns into a 503 well inside the function's own timeout (Globals: 10 s)
//! instead of a Lambda killed mid-request.

use std::time::Duration;

/// The SDK configuration every client is made from (what [`sdk_config`] returns).
pub use aws_types::SdkConfig;

use aws_sdk_dynamodb::config::{
    retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Region,
};
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
/// named after it (`AWS_LAMBDA_FUNCTION_NAME`) in the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`), which holds its own IAM role's credentials, so the local
/// stack refuses what AWS would refuse.
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

/// `aws_config::defaults` with Lookout's HTTPS client ([`http_client`]): what the dev tools'
/// SDK configurations start from (the `loader` feature).
#[cfg(feature = "loader")]
pub fn loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client())
}

/// Loads region, credentials and endpoint overrides from the environment.
///
/// On Lambda everything `aws_config`'s provider chains would find is in the environment
/// (region, the execution role's credentials, and locally `AWS_ENDPOINT_URL`), so the
/// configuration is built from it directly ([`from_lambda_env`]), without the provider chains'
/// set-up (start-session's init 2.76 → 2.42 ms in the init probe of that change). Local runs
/// that sign as each function's role ([`LOCAL_ROLE_PROFILES`]) take the keys from the
/// function's profile ([`profile_credentials`]).
///
/// Without a region or keys (never on Lambda): with the `loader` feature, `aws_config`'s chains
/// look further; without it, the error is logged and every call fails unsigned.
pub async fn sdk_config() -> SdkConfig {
    let var = |name: &str| std::env::var(name).ok();
    let local = var(LOCAL_ROLE_PROFILES).is_some();
    let found = if local {
        local_role_keys(&var).and_then(|keys| {
            from_lambda_env(|name| match name {
                "AWS_ACCESS_KEY_ID" => Some(keys.0.clone()),
                "AWS_SECRET_ACCESS_KEY" => Some(keys.1.clone()),
                "AWS_SESSION_TOKEN" => keys.2.clone(),
                other => var(other),
            })
        })
    } else {
        from_lambda_env(var)
    };
    match found {
        Some(config) => config,
        None => without_keys(local).await,
    }
}

/// The keys of the function's own profile (`AWS_LAMBDA_FUNCTION_NAME`) in the shared
/// credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`).
fn local_role_keys(
    var: &impl Fn(&str) -> Option<String>,
) -> Option<(String, String, Option<String>)> {
    let file = var("AWS_SHARED_CREDENTIALS_FILE")
        .or_else(|| var("HOME").map(|home| format!("{home}/.aws/credentials")))?;
    let text = std::fs::read_to_string(file).ok()?;
    profile_credentials(&text, &var("AWS_LAMBDA_FUNCTION_NAME")?)
}

/// `aws_access_key_id`, `aws_secret_access_key` and `aws_session_token` (if any) of
/// `[profile]` in a shared credentials file's text; `None` without the profile or its keys.
pub fn profile_credentials(text: &str, profile: &str) -> Option<(String, String, Option<String>)> {
    let (mut id, mut secret, mut token) = (None, None, None);
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == profile;
        } else if let (true, Some((key, value))) = (inside, line.split_once('=')) {
            let value = Some(value.trim().to_owned());
            match key.trim() {
                "aws_access_key_id" => id = value,
                "aws_secret_access_key" => secret = value,
                "aws_session_token" => token = value,
                _ => {}
            }
        }
    }
    Some((id?, secret?, token))
}

#[cfg(feature = "loader")]
async fn without_keys(local: bool) -> SdkConfig {
    let mut loader = loader().timeout_config(timeouts());
    if local {
        if let Ok(function) = std::env::var("AWS_LAMBDA_FUNCTION_NAME") {
            loader = loader.profile_name(function);
        }
    }
    loader.load().await
}

#[cfg(not(feature = "loader"))]
async fn without_keys(local: bool) -> SdkConfig {
    tracing::error!(
        local,
        "no AWS region or keys in the environment (AWS_REGION, AWS_ACCESS_KEY_ID, \
         AWS_SECRET_ACCESS_KEY): every AWS call of this process fails"
    );
    let mut builder = base_builder();
    if let Some(region) = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()) {
        builder = builder.region(Region::new(region));
    }
    builder.build()
}

/// What every configuration has: Lookout's HTTPS client, [`timeouts`], standard retries
/// (3 attempts, as `aws_config`'s defaults), tokio's sleep and the system clock.
fn base_builder() -> aws_types::sdk_config::Builder {
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(timeouts())
        .retry_config(RetryConfig::standard())
        .time_source(aws_smithy_async::time::SystemTimeSource::new());
    if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
        builder = builder.sleep_impl(sleep);
    }
    builder
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
    // tokio's sleep (retries and timeouts need one): always there in a tokio runtime.
    aws_smithy_async::rt::sleep::default_async_sleep()?;
    let mut builder = base_builder()
        .region(Region::new(region))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        );
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
    fn a_local_function_signs_with_its_own_profile() {
        let file = "[default]\naws_access_key_id = ADMIN\naws_secret_access_key = admin\n\n\
                    [record-ping]\naws_access_key_id = AKPING\naws_secret_access_key = s1\n\
                    aws_session_token = t1\n\n[send-logs]\n aws_access_key_id=AKLOGS \n\
                    aws_secret_access_key = s2\n";
        assert_eq!(
            super::profile_credentials(file, "record-ping"),
            Some(("AKPING".into(), "s1".into(), Some("t1".into())))
        );
        assert_eq!(
            super::profile_credentials(file, "send-logs"),
            Some(("AKLOGS".into(), "s2".into(), None))
        );
        assert_eq!(super::profile_credentials(file, "add-event"), None);
        assert_eq!(
            super::profile_credentials("[x]\naws_access_key_id = A\n", "x"),
            None,
            "a profile without its secret is none"
        );
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
