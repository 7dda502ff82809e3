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
//!   writes that fail still cost; transactions cost double;
//! - secondary indexes: each write also costs what it changes in the table's indexes
//!   (DescribeTable's key schema and projection): an item entering or leaving an index one
//!   write of its projected size, a moved index key two, changed projected attributes one,
//!   an unchanged projection none (counted under `dynamodb:(index writes)`).
//!
//! Other services are counted, not sized: SQS by `X-Amz-Target` (`AmazonSQS.SendMessage`), SES
//! v2 and EventBridge Scheduler by the credential scope of the request's signature and the
//! REST path.
//!
//! Each request's arrival and answer are noted too: [`round_trips`] counts the sequential
//! round trips of an invocation (requests in flight together count once), what its latency
//! on AWS pays.
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
use std::time::Instant;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use proxy::serve;
use upstream::Upstream;

pub use capacity::{attribute, capacity, index_write_units, item, size, Index};
pub use tally::{OpStats, Tally};
pub use upstream::wire_item;

/// The running proxy; stops when dropped.
#[derive(Debug)]
pub struct Meter {
    addr: SocketAddr,
    tally: Arc<Mutex<Tally>>,
    spans: Arc<Mutex<Vec<(Instant, Instant)>>>,
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
        let spans = Arc::new(Mutex::new(Vec::new()));
        lookout_dev::init_tls();
        let up = Arc::new(Upstream {
            url: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .context("building the meter's HTTP client")?,
            ddb: aws_sdk_dynamodb::Client::new(
                &lookout_dev::moto::sdk_config(upstream.trim_end_matches('/')).await,
            ),
            tally: Arc::clone(&tally),
            spans: Arc::clone(&spans),
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
            spans,
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

    /// The sequential round trips since the last call (see [`round_trips`]), and resets them.
    pub fn take_round_trips(&self) -> usize {
        let spans = self
            .spans
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default();
        round_trips(spans)
    }
}

/// How many round trips one after the other `spans` (each request's arrival and answer) make:
/// requests in flight at the same time count once, as the caller waits for them together.
pub fn round_trips(mut spans: Vec<(Instant, Instant)>) -> usize {
    spans.sort();
    let mut trips = 0;
    let mut until: Option<Instant> = None;
    for (start, end) in spans {
        match until {
            Some(u) if start <= u => until = Some(u.max(end)),
            _ => {
                trips += 1;
                until = Some(end);
            }
        }
    }
    trips
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::round_trips;

    #[test]
    fn requests_in_flight_together_are_one_round_trip() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(round_trips(vec![]), 0);
        // One after the other: two.
        assert_eq!(round_trips(vec![(at(0), at(5)), (at(6), at(9))]), 2);
        // Overlapping (a join of two calls), then one more: two.
        assert_eq!(
            round_trips(vec![(at(10), at(20)), (at(0), at(8)), (at(1), at(7))]),
            2
        );
        // A chain of overlaps is one wait.
        assert_eq!(
            round_trips(vec![(at(0), at(5)), (at(4), at(9)), (at(8), at(12))]),
            1
        );
    }
}
