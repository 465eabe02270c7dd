//! Stress: reader threads against a writer replacing entries flat out, for about
//! 1.5 s. Every word of a stored entry derives from one counter, so a torn read
//! shows; readers also check they never see an entry older than a `set` already
//! known to have returned, and `SA_RESETHAND` deliveries check each installed
//! handler is handed out exactly once (to a delivery, or back to `set` as the old
//! action).
#![cfg(not(loom))]

use ksignal::{Disposition, SaFlags, SignalAction, SignalActions, SignalSet, Signo};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const READERS: usize = 3;
const RUN_FOR: Duration = Duration::from_millis(1500);
/// Versions of the `SA_RESETHAND` entry the bookkeeping has room for.
const MAX_VERSIONS: usize = 1 << 22;

const PLAIN: Signo = Signo::SIGUSR1;
const ONESHOT: Signo = Signo::SIGUSR2;

fn mix(k: usize) -> u64 {
    (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Version `k`: handler, flags, mask and restorer all derive from `k`.
fn version(k: usize, extra: SaFlags) -> SignalAction {
    let flags = (SaFlags::SIGINFO | SaFlags::ONSTACK | SaFlags::RESTART | SaFlags::NODEFER)
        .intersection(SaFlags::from_bits_truncate(mix(k)));
    SignalAction::new(
        Disposition::Handler(16 + k),
        flags | extra,
        SignalSet::from_bits(mix(k).rotate_left(17)),
        k,
    )
}

fn plain(k: usize) -> SignalAction {
    version(k, SaFlags::empty())
}

fn oneshot(k: usize) -> SignalAction {
    version(k, SaFlags::RESETHAND)
}

/// The version number an entry claims, from its handler or (once reset) restorer.
fn claimed(a: &SignalAction) -> usize {
    match a.disposition() {
        Disposition::Handler(h) => h - 16,
        _ => a.restorer(),
    }
}

#[test]
fn readers_never_see_torn_or_stale_entries_and_resethand_hands_out_once() {
    let table = Arc::new(SignalActions::<ksignal::DefaultRawMutex>::new());
    table.set(PLAIN, plain(0));
    table.set(ONESHOT, oneshot(0));
    let published = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let taken: Arc<Vec<AtomicU8>> = Arc::new((0..MAX_VERSIONS).map(|_| AtomicU8::new(0)).collect());

    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (table, published, stop, taken) = (
                table.clone(),
                published.clone(),
                stop.clone(),
                taken.clone(),
            );
            thread::spawn(move || {
                let (mut reads, mut last) = (0u64, 0usize);
                while !stop.load(Ordering::Relaxed) {
                    let floor = published.load(Ordering::Acquire);
                    let a = table.get(PLAIN);
                    let k = claimed(&a);
                    assert_eq!(a, plain(k), "torn entry");
                    assert!(k >= floor, "stale: version {k} after set({floor}) returned");
                    assert!(k >= last, "went back from {last} to {k}");
                    last = k;

                    let b = table.take_for_delivery(ONESHOT);
                    let j = claimed(&b);
                    if b.is_handler() {
                        assert_eq!(b, oneshot(j), "torn entry");
                        let before = taken[j].fetch_add(1, Ordering::Relaxed);
                        assert_eq!(before, 0, "handler {j} delivered twice");
                    } else {
                        assert_eq!(b, oneshot(j).with_default_handler(), "torn reset entry");
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();

    let start = Instant::now();
    // Outcome of each replaced `SA_RESETHAND` version, as `set` reports it.
    let mut reset_before_replaced = vec![false; MAX_VERSIONS];
    let mut k = 0;
    while start.elapsed() < RUN_FOR && k + 1 < MAX_VERSIONS {
        k += 1;
        assert_eq!(table.set(PLAIN, plain(k)), plain(k - 1));
        published.store(k, Ordering::Release);
        let old = table.set(ONESHOT, oneshot(k));
        if old == oneshot(k - 1).with_default_handler() {
            reset_before_replaced[k - 1] = true;
        } else {
            assert_eq!(old, oneshot(k - 1), "set returned a torn old action");
        }
    }
    stop.store(true, Ordering::Relaxed);
    let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();

    let mut deliveries = 0;
    for (j, reset) in reset_before_replaced.iter().take(k).enumerate() {
        let delivered = taken[j].load(Ordering::Relaxed) == 1;
        deliveries += usize::from(delivered);
        assert_eq!(
            delivered, *reset,
            "version {j}: delivered {delivered}, set saw it reset {reset}"
        );
    }
    assert!(k > 1000, "writer made only {k} writes");
    assert!(reads > 1000, "readers made only {reads} reads");
    assert!(deliveries > 0, "no SA_RESETHAND handler was ever delivered");
    println!("{k} versions written, {deliveries} handlers delivered, {reads} read/deliver pairs");
}
