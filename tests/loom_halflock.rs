//! Loom models of the HalfLock, the sigaction table and the hook list: every
//! interleaving (up to a preemption bound) and every weak-memory outcome loom
//! allows for the crate's own atomics, which `src/sync.rs` swaps for loom's.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --test loom_halflock`
//! (about 80 s). Each model has one thread that takes the writer lock: the
//! writer lock is `spin`'s, which loom cannot see, and it only orders writers
//! among themselves.
#![cfg(loom)]

use ksignal::HalfLock;
use ksignal::PidType;
use ksignal::{Disposition, SaFlags, SignalAction, SignalActions, SignalSet, Signo};
use ksignal::{Hook, HookEvent, SignalHooks};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

type Table = SignalActions;
type Hooks = SignalHooks;

fn model(f: impl Fn() + Sync + Send + 'static) {
    model_bounded(3, f);
}

/// Explores interleavings with at most `preemptions` forced thread switches.
fn model_bounded(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.check(f);
}

/// Writes version `n` (both halves `n`) through the HalfLock's spare slot.
fn write_version(lock: &HalfLock<[u64; 2]>, n: u64) {
    let mut w = lock.write();
    w.modify(|_, spare| *spare = [n, n]);
    w.publish();
}

/// A reader against a writer that publishes twice, so the second write reuses the
/// slot the reader may hold: loom's cell tracking fails the model if the writer
/// ever writes a slot while a reader reads it, and the reader checks it sees one
/// whole version, never older than what it knows to be published.
#[test]
fn halflock_reader_sees_whole_versions_and_no_slot_is_reused_under_it() {
    model(|| {
        let lock = Arc::new(HalfLock::new([0u64; 2], [0u64; 2]));
        let published = Arc::new(AtomicUsize::new(0));
        let reader = {
            let (lock, published) = (lock.clone(), published.clone());
            thread::spawn(move || {
                let floor = published.load(Ordering::Acquire) as u64;
                let v = lock.read(|v| *v);
                assert_eq!(v[0], v[1], "torn version {v:?}");
                assert!(v[0] >= floor, "stale: {v:?} after {floor} was published");
            })
        };
        for n in 1..=2 {
            write_version(&lock, n);
            published.store(n as usize, Ordering::Release);
        }
        reader.join().unwrap();
        assert_eq!(lock.read(|v| *v), [2, 2]);
    });
}

/// Two readers and a writer: the writer's wait covers both reader counters.
#[test]
fn halflock_two_readers_and_a_writer() {
    model(|| {
        let lock = Arc::new(HalfLock::new([0u64; 2], [0u64; 2]));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                thread::spawn(move || {
                    let v = lock.read(|v| *v);
                    assert_eq!(v[0], v[1], "torn version {v:?}");
                })
            })
            .collect();
        write_version(&lock, 1);
        write_version(&lock, 2);
        for r in readers {
            r.join().unwrap();
        }
    });
}

/// Action `k` of the table models: every word derived from `k`.
fn action(k: usize, flags: SaFlags) -> SignalAction {
    SignalAction::new(
        Disposition::Handler(0x1000 * k),
        flags,
        SignalSet::from_bits(k as u64),
        k,
    )
}

/// `get` against three `set`s of the same entry (each slot is rewritten while a
/// reader may hold it, on the optimistic and on the announced path): whole entries
/// only, never older than a completed `set`.
#[test]
fn registry_get_is_never_torn_or_stale() {
    // Two preemptions already reach every slot reuse; three take minutes.
    model_bounded(2, || {
        let table = Arc::new(Table::new());
        let done = Arc::new(AtomicUsize::new(0));
        let reader = {
            let (table, done) = (table.clone(), done.clone());
            thread::spawn(move || {
                let floor = done.load(Ordering::Acquire);
                let got = table.get(Signo::SIGUSR1);
                let k = match got.disposition() {
                    Disposition::Default => 0,
                    Disposition::Handler(h) => h / 0x1000,
                    Disposition::Ignore => panic!("never stored"),
                };
                if k != 0 {
                    assert_eq!(got, action(k, SaFlags::SIGINFO), "torn entry");
                }
                assert!(k >= floor, "stale: {k} after set {floor} returned");
            })
        };
        for k in 1..=3 {
            table.set(Signo::SIGUSR1, action(k, SaFlags::SIGINFO));
            done.store(k, Ordering::Release);
        }
        reader.join().unwrap();
    });
}

/// A `SA_RESETHAND` delivery racing a `set`: the handler goes to exactly one of
/// them (the delivery runs it, or `set` returns it as the old action).
#[test]
fn resethand_delivery_racing_set_hands_the_handler_out_once() {
    model(|| {
        let table = Arc::new(Table::new());
        let a = action(1, SaFlags::RESETHAND);
        let b = action(2, SaFlags::empty());
        table.set(Signo::SIGUSR1, a);
        let delivery = {
            let table = table.clone();
            thread::spawn(move || table.take_for_delivery(Signo::SIGUSR1))
        };
        let old = table.set(Signo::SIGUSR1, b);
        let taken = delivery.join().unwrap();
        if taken == a {
            assert_eq!(old, a.with_default_handler(), "handler handed out twice");
        } else {
            assert_eq!(taken, b);
            assert_eq!(old, a);
        }
        assert_eq!(table.get(Signo::SIGUSR1), b);
    });
}

/// Two `SA_RESETHAND` deliveries on two CPUs: one runs the handler, the other gets
/// `SIG_DFL` with flags and mask kept.
#[test]
fn two_resethand_deliveries_run_the_handler_once() {
    model(|| {
        let table = Arc::new(Table::new());
        let a = action(1, SaFlags::RESETHAND);
        table.set(Signo::SIGUSR1, a);
        let other = {
            let table = table.clone();
            thread::spawn(move || table.take_for_delivery(Signo::SIGUSR1))
        };
        let mine = table.take_for_delivery(Signo::SIGUSR1);
        let theirs = other.join().unwrap();
        let mut got = [mine, theirs];
        got.sort_by_key(|g| g.disposition().to_raw());
        assert_eq!(got, [a.with_default_handler(), a]);
        assert_eq!(table.get(Signo::SIGUSR1), a.with_default_handler());
    });
}

/// A hook running while it is unregistered: it runs at most once, never after
/// `unregister` returned to a thread that then sends, and the list it ran from is
/// not cleared under it (loom's cell tracking).
#[test]
fn hook_running_during_unregister() {
    model(|| {
        let hooks = Arc::new(Hooks::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let hook: Hook = std::sync::Arc::new(move |_: Signo, _: &HookEvent| {
            c.fetch_add(1, Ordering::Relaxed);
        });
        let handle = hooks.register(SignalSet::ALL, hook).unwrap();
        let sender = {
            let hooks = hooks.clone();
            thread::spawn(move || {
                let e = HookEvent::new(Signo::SIGHUP, PidType::Tgid);
                hooks.run(Signo::SIGHUP, &e);
            })
        };
        assert!(hooks.unregister(handle));
        let after = calls.load(Ordering::Relaxed);
        sender.join().unwrap();
        assert!(calls.load(Ordering::Relaxed) <= 1);
        // Once unregister returned, the hook had either run completely or not at all.
        assert_eq!(after, calls.load(Ordering::Relaxed));
    });
}
