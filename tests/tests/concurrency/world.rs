//! The stack the concurrency tests race on: one copy of template.yaml's tables in moto, and
//! each function's clients signed as its own role and sent through a [`FaultProxy`] of that
//! function, which counts what moto answered it (conflicts) and how many of its requests were
//! in flight at once (overlap). The proxies only watch: they never fail a request here.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use lookout_dev::{iam, moto};
use lookout_tests::faults::FaultProxy;
use lookout_tests::support::{spawn_app, template, TestApp};
use tokio::sync::Barrier;

/// Clients racing in every round.
pub const CLIENTS: usize = 50;
/// Rounds a test plays at most to see the race it is about.
pub const MAX_ROUNDS: usize = 10;

pub type Item = HashMap<String, AttributeValue>;

pub struct World {
    pub app: TestApp,
    /// This test's tenant and its API key.
    pub tenant: String,
    pub key: String,
    /// A run id: names of this test's objects start with it.
    pub run: String,
    /// Where this test's admin mail and Telegram alerts go (moto and the emulator are shared
    /// by every test).
    pub admin_to: String,
    pub admin_chat: String,
    proxies: Mutex<BTreeMap<String, FaultProxy>>,
}

impl World {
    pub async fn new() -> Self {
        let app = spawn_app().await;
        let run = format!("cc{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let key = app.key_for(&run).await;
        Self {
            tenant: run.clone(),
            key,
            admin_to: format!("admin-{run}@example.com"),
            admin_chat: format!("-100{}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000),
            run,
            app,
            proxies: Mutex::new(BTreeMap::new()),
        }
    }

    /// SDK configuration of function `binary`: signed as its role, through its proxy.
    pub async fn sdk_for(&self, binary: &str) -> aws_config::SdkConfig {
        let admin = moto::sdk_config(&self.app.endpoint).await;
        let creds = iam::function_credentials(&admin, &template())
            .await
            .expect("the functions' local IAM roles");
        let creds = creds
            .get(binary)
            .unwrap_or_else(|| panic!("no function {binary} in template.yaml"));
        let existing = self.proxies.lock().unwrap().get(binary).cloned();
        let proxy = match existing {
            Some(p) => p,
            None => {
                let p = FaultProxy::start(&self.app.endpoint).await;
                self.proxies
                    .lock()
                    .unwrap()
                    .insert(binary.to_owned(), p.clone());
                p
            }
        };
        // The functions' own time limits, but a longer wait for an answer: moto applies one
        // DynamoDB request at a time, for all tables, so 50 clients' requests queue there, on a
        // busy 2-core machine for longer than the 3 s attempt limit, and would fail as an
        // outage (503). Outages are the `faults` binary's subject, races this one's.
        moto::function_sdk_config(proxy.url(), creds)
            .await
            .to_builder()
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(lookout_core::aws::CONNECT_TIMEOUT)
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .operation_timeout(Duration::from_secs(120))
                    .build(),
            )
            .build()
    }

    pub async fn ddb_for(&self, binary: &str) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_for(binary).await)
    }

    /// API key authentication as function `binary` does it.
    pub async fn keys_for(&self, binary: &str) -> lookout_keys::ApiKeys {
        lookout_keys::ApiKeys::new(self.ddb_for(binary).await, self.table("ApiKeysTable"))
    }

    /// The proxy between function `binary` and moto.
    pub fn proxy(&self, binary: &str) -> FaultProxy {
        self.proxies
            .lock()
            .unwrap()
            .get(binary)
            .cloned()
            .unwrap_or_else(|| panic!("{binary} has no proxy: build its Deps with sdk_for"))
    }

    pub fn table(&self, logical: &str) -> &str {
        self.app.stack.table(logical).unwrap()
    }

    /// Every item of a table (the provisioning user's strongly consistent scan).
    pub async fn items(&self, logical: &str) -> Vec<Item> {
        self.app.items(self.table(logical)).await
    }

    /// One item by its key (strongly consistent).
    pub async fn item(&self, logical: &str, key: &[(&str, &str)]) -> Option<Item> {
        let mut req = self
            .app
            .ddb
            .get_item()
            .table_name(self.table(logical))
            .consistent_read(true);
        for (k, v) in key {
            req = req.key(*k, AttributeValue::S((*v).to_owned()));
        }
        req.send().await.unwrap().item
    }

    /// The environment template.yaml gives the function built from `binary`.
    pub fn function_env(&self, binary: &str) -> BTreeMap<String, String> {
        let f = template()
            .functions()
            .unwrap()
            .into_iter()
            .find(|f| f.binary == binary)
            .unwrap_or_else(|| panic!("no function {binary} in template.yaml"));
        self.app.stack.function_env(&f).unwrap()
    }
}

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One test of this binary races at a time (hold the guard for its rounds): moto applies one
/// DynamoDB request at a time, for every table, so four tests' 200 clients at once would
/// mostly wait on each other there.
pub async fn turn() -> tokio::sync::MutexGuard<'static, ()> {
    TURN.lock().await
}

/// Runs `n` clients at once on the multi-threaded runtime: each is spawned, waits at one
/// barrier until all are spawned, then runs `client(i)`. Returns their results by index.
pub async fn race<T, Fut>(n: usize, client: impl Fn(usize) -> Fut) -> Vec<T>
where
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let work = client(i);
            tokio::spawn(async move {
                barrier.wait().await;
                work.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("a client panicked"));
    }
    out
}

pub fn s(item: &Item, k: &str) -> String {
    item.get(k)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

pub fn n(item: &Item, k: &str) -> i64 {
    item.get(k)
        .unwrap_or_else(|| panic!("{k} missing in {item:?}"))
        .as_n()
        .unwrap()
        .parse()
        .unwrap()
}

/// One of the app item's history attributes (`runs`, `openRuns`, `outputs`), as stored:
/// deflated JSON (lookout_heartbeats' packed form).
pub fn history(item: &Item, k: &str) -> Vec<serde_json::Value> {
    use std::io::Read as _;
    match item.get(k) {
        None => Vec::new(),
        Some(AttributeValue::B(bytes)) => {
            let mut json = Vec::new();
            flate2::read::DeflateDecoder::new(bytes.as_ref())
                .read_to_end(&mut json)
                .unwrap();
            serde_json::from_slice(&json).unwrap()
        }
        Some(other) => panic!("{k} is neither packed nor a list: {other:?}"),
    }
}
