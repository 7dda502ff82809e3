//! A counting HTTP proxy in front of moto: the function under test gets its URL as
//! `AWS_ENDPOINT_URL`, every AWS request passes through, and each is counted by service and
//! operation. DynamoDB requests also get their capacity units, computed from the JSON wire
//! bodies by DynamoDB's sizing rules (moto reports a flat 1.0 in `ConsumedCapacity`, so that
//! is ignored):
//!
//! - item size = attribute name lengths + value sizes ([`lookout_core::ddb::item_size`]);
//! - reads: 1 RCU per started 4 KB strongly consistent, ½ eventually consistent (the
//!   default); GetItem of a missing item still costs the minimum; Query/Scan add up the items
//!   returned (a filter or projection makes this a lower bound); transactions cost double;
//! - writes: 1 WCU per started 1 KB of the larger of the item before and after the write
//!   (the meter reads both with a consistent GetItem of its own, not counted); conditional
//!   writes that fail still cost; transactions cost double.
//!
//! Other services are counted, not sized: SQS by `X-Amz-Target` (`AmazonSQS.SendMessage`), SES
//! v2 and EventBridge Scheduler by the credential scope of the request's signature and the
//! REST path.
//!
//! The parts: `proxy` (classify, forward, count), `upstream` (moto, and the meter's own
//! reads of the items a write touches), `capacity` (the sizing rules), `tally` (the counts).

mod capacity;
mod proxy;
mod tally;
mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use proxy::serve;
use upstream::Upstream;

pub use capacity::{attribute, capacity, item, size};
pub use tally::{OpStats, Tally};

/// The running proxy; stops when dropped.
#[derive(Debug)]
pub struct Meter {
    addr: SocketAddr,
    tally: Arc<Mutex<Tally>>,
    server: JoinHandle<()>,
}

impl Meter {
    /// Listens on a free loopback port and forwards to `upstream` (moto's URL).
    pub async fn start(upstream: &str) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the meter")?;
        let addr = listener.local_addr()?;
        let tally = Arc::new(Mutex::new(Tally::new()));
        lookout_dev::init_tls();
        let up = Arc::new(Upstream {
            url: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .context("building the meter's HTTP client")?,
            tally: Arc::clone(&tally),
            keys: tokio::sync::Mutex::new(HashMap::new()),
        });
        let server = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            let up = Arc::clone(&up);
                            connections.spawn(async move {
                                let _ = serve(stream, &up).await;
                            });
                        }
                        Err(_) => return,
                    },
                    Some(_) = connections.join_next() => {}
                }
            }
        });
        Ok(Self {
            addr,
            tally,
            server,
        })
    }

    /// `http://127.0.0.1:port` for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What was counted since the last call, and resets the counts.
    pub fn take(&self) -> Tally {
        self.tally
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.server.abort();
    }
}
