//! Loom models of the managers' "something deliverable" flag and wait protocol:
//! under every interleaving loom explores, a signal sent while its target changes
//! its mask or goes to sleep is never lost (the flag ends up set, and a sleeping
//! target wakes).
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --test loom_managers`.
//! The flag is a loom atomic (`src/sync.rs`); the signal lock is a spin lock on a
//! loom atomic that yields to loom while it spins, so loom can schedule the holder
//! and sees the ordering the lock gives.
#![cfg(loom)]

use ksignal::{
    Delivery, MaskHow, PendingLimit, ProcessSignalManager, SaFlags, SignalAction, SignalActions,
    SignalSet, Signo, ThreadSignalManager, WaitOutcome, WaitQueue,
};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Condvar, Mutex};
use std::sync::OnceLock;
use std::time::Duration;

/// A spin lock whose flag is a loom atomic, so loom sees the happens-before edges
/// between critical sections. `lock_api` wants a `const INIT`, and loom atomics are
/// not const-constructible, so the flag is made on first use.
struct YieldingLock(OnceLock<AtomicBool>);

impl YieldingLock {
    fn flag(&self) -> &AtomicBool {
        self.0.get_or_init(|| AtomicBool::new(false))
    }
}

// SAFETY: compare_exchange(Acquire) / store(Release) on one flag give mutual
// exclusion and the happens-before edges a mutex promises.
unsafe impl lock_api::RawMutex for YieldingLock {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: YieldingLock = YieldingLock(OnceLock::new());
    type GuardMarker = lock_api::GuardSend;

    fn lock(&self) {
        while !self.try_lock() {
            loom::thread::yield_now();
        }
    }

    fn try_lock(&self) -> bool {
        self.flag()
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    unsafe fn unlock(&self) {
        self.flag().store(false, Ordering::Release);
    }
}

#[derive(Default)]
struct LoomWait {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl LoomWait {
    /// Sets the flag a wake-up raises and `prepare_to_wait` clears.
    fn set_woken(&self, woken: bool) {
        *self.woken.lock().unwrap() = woken;
    }
}

impl WaitQueue for LoomWait {
    fn prepare_to_wait(&self) {
        self.set_woken(false);
    }
    fn wait(&self, _timeout: Option<Duration>) -> WaitOutcome {
        let mut w = self.woken.lock().unwrap();
        while !*w {
            w = self.cv.wait(w).unwrap();
        }
        *w = false;
        WaitOutcome::Woken { remaining: None }
    }
    fn finish_wait(&self) {}
    fn wake_one(&self) {
        self.set_woken(true);
        self.cv.notify_one();
    }
}

type Process = ProcessSignalManager<LoomWait, YieldingLock>;
type Thread = ThreadSignalManager<LoomWait, YieldingLock>;

fn setup(blocked: SignalSet) -> (std::sync::Arc<Process>, std::sync::Arc<Thread>) {
    let p = std::sync::Arc::new(Process::new(
        std::sync::Arc::new(SignalActions::new()),
        std::sync::Arc::new(PendingLimit::new(8)),
    ));
    let handler = SignalAction::handler(0x1000, SaFlags::SIGINFO, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(handler)).unwrap();
    let t = std::sync::Arc::new(Thread::new(&p, 1, blocked, LoomWait::default()).unwrap());
    (p, t)
}

/// A second thread that sends the process SIGUSR1.
fn send_usr1_from_another_thread(p: &std::sync::Arc<Process>) -> loom::thread::JoinHandle<()> {
    let p = p.clone();
    loom::thread::spawn(move || {
        p.send(Signo::SIGUSR1, None).unwrap();
    })
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.check(f);
}

#[test]
fn send_racing_an_unblock_leaves_the_flag_set() {
    model(|| {
        let (p, t) = setup(SignalSet::single(Signo::SIGUSR1));
        let sender = send_usr1_from_another_thread(&p);
        t.sigprocmask(MaskHow::Unblock, SignalSet::single(Signo::SIGUSR1));
        sender.join().unwrap();
        assert!(
            t.has_pending(),
            "deliverable signal without the flag: blocked {:?} shared {:?} exit {:?}",
            t.blocked(),
            p.shared_pending(),
            p.group_exit()
        );
        assert!(matches!(t.get_signal(), Some(Delivery::Handler(_))));
    });
}

#[test]
fn pause_is_woken_by_a_concurrent_send() {
    model(|| {
        let (p, t) = setup(SignalSet::EMPTY);
        let sender = send_usr1_from_another_thread(&p);
        // A lost wake-up would leave this thread asleep forever: loom reports it.
        t.pause();
        sender.join().unwrap();
        assert!(t.has_pending());
    });
}

#[test]
fn sigtimedwait_takes_a_signal_sent_while_it_goes_to_sleep() {
    model(|| {
        let (p, t) = setup(SignalSet::ALL);
        let sender = send_usr1_from_another_thread(&p);
        let got = t.sigtimedwait(SignalSet::single(Signo::SIGUSR1), None);
        sender.join().unwrap();
        assert_eq!(got.map(|(s, _)| s), Ok(Signo::SIGUSR1));
        assert!(!t.has_pending());
    });
}
