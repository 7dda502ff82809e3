//! What one [`Pump::tick`](crate::pump::Pump::tick) did: the counts a caller (a test, the
//! event-pump binary's log) reads.

/// What one [`Pump::tick`](crate::pump::Pump::tick) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Invocations with an SQS batch.
    pub sqs_invocations: usize,
    pub messages_deleted: usize,
    /// Messages received but left in their queue for a retry.
    pub messages_left: usize,
    /// One-time schedules that sent their message.
    pub schedules_fired: usize,
    /// Invocations with a scheduled event.
    pub scheduled_invocations: usize,
    /// Failures (each logged): a source, an invocation, a schedule.
    pub errors: usize,
}

impl TickReport {
    pub fn is_idle(&self) -> bool {
        *self == Self::default()
    }
}
