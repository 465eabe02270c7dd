//! What the benchmarks share.

use ksignal::{WaitOutcome, WaitQueue};
use std::time::Duration;

/// A wait queue that never sleeps: benchmarks never block.
#[derive(Default)]
pub struct NoWait;

impl WaitQueue for NoWait {
    fn prepare_to_wait(&self) {}
    fn wait(&self, _: Option<Duration>) -> WaitOutcome {
        WaitOutcome::TimedOut
    }
    fn finish_wait(&self) {}
    fn wake_one(&self) {}
}
