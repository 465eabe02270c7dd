//! A `WaitQueue` on std's `Mutex` + `Condvar`, standing in for a kernel's wait queue
//! when std threads play kernel tasks.

use ksignal::{WaitOutcome, WaitQueue};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// One waiter; a wake before `wait` is remembered (no lost wake-up).
#[derive(Default)]
pub struct CondvarQueue {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl WaitQueue for CondvarQueue {
    fn prepare_to_wait(&self) {
        *self.woken.lock().unwrap() = false;
    }

    fn wait(&self, timeout: Option<Duration>) -> WaitOutcome {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            match deadline {
                None => woken = self.cv.wait(woken).unwrap(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return WaitOutcome::TimedOut;
                    }
                    woken = self.cv.wait_timeout(woken, d - now).unwrap().0;
                }
            }
        }
        *woken = false;
        WaitOutcome::Woken {
            remaining: deadline.map(|d| d.saturating_duration_since(Instant::now())),
        }
    }

    fn finish_wait(&self) {}

    fn wake_one(&self) {
        *self.woken.lock().unwrap() = true;
        self.cv.notify_one();
    }
}
