//! What the meter counts: requests and capacity units per operation.

use std::collections::BTreeMap;

/// Requests and capacity units of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OpStats {
    /// Requests (a mean when averaged over invocations).
    pub requests: f64,
    pub rcu: f64,
    pub wcu: f64,
}

impl OpStats {
    pub fn add(&mut self, other: &Self) {
        self.requests += other.requests;
        self.rcu += other.rcu;
        self.wcu += other.wcu;
    }
}

/// Counts by `"service:Operation"` (`"dynamodb:GetItem"`, `"sqs:SendMessage"`, `"ses:SendEmail"`).
pub type Tally = BTreeMap<String, OpStats>;
