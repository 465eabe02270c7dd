//! The managers' queue-growth knob ([`ProcessSignalManager::set_growable`] and
//! [`ProcessSignalManager::reserve`]): with growth off, a send that finds no free
//! queue entry does not call the allocator and behaves as Linux's failed
//! `__sigqueue_alloc` ([rule 14](ksignal::docs::rules#rule-14)): EAGAIN for a
//! real-time signal whose `si_code` is not SI_USER, otherwise the signal is
//! pending without its siginfo.

mod common {
    pub mod wait;
}

use common::wait::CondvarQueue;
use ksignal::code;
use ksignal::{
    Errno, Fate, PendingLimit, ProcessSignalManager, SignalActions, SignalInfo, SignalSet, Signo,
    ThreadSignalManager,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

type Process = ProcessSignalManager<CondvarQueue>;
type Thread = ThreadSignalManager<CondvarQueue>;

/// Counts the allocations made by the current thread (tests run in parallel, so
/// a global count would see the other tests' allocations).
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the counter is a
// thread-local `Cell` with a const initialiser, which never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Runs `f` and returns its result with the number of allocations it made.
fn counting<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

fn process() -> (Arc<Process>, Arc<PendingLimit>) {
    let limit = Arc::new(PendingLimit::new(1024));
    let p = Arc::new(Process::new(Arc::new(SignalActions::new()), limit.clone()));
    (p, limit)
}

/// A process with one thread (tid 1, blocking everything) whose queues may not grow.
fn without_growth() -> (Arc<Process>, Arc<PendingLimit>, Thread) {
    let (p, limit) = process();
    let t = Thread::new(&p, 1, SignalSet::ALL, CondvarQueue::default()).unwrap();
    p.set_growable(false);
    (p, limit, t)
}

fn queue(sig: Signo, value: u64) -> SignalInfo {
    SignalInfo::queue(sig, 7, 0, value)
}

fn take(t: &Thread, sig: Signo) -> SignalInfo {
    t.sigtimedwait(SignalSet::single(sig), Some(Duration::ZERO))
        .unwrap()
        .1
}

#[test]
fn rule14_growth_off_and_no_free_entry_is_eagain_for_queued_rt_without_allocating() {
    let (p, limit, t) = without_growth();
    let rt = Signo::SIGRTMIN;
    let (shared, allocs) = counting(|| p.send(rt, Some(&queue(rt, 1))));
    assert_eq!(shared, Err(Errno::EAGAIN));
    assert_eq!(
        allocs, 0,
        "a send with growth off never calls the allocator"
    );
    let (private, allocs) = counting(|| t.send(rt, Some(&SignalInfo::tkill(rt, 7, 0))));
    assert_eq!(private, Err(Errno::EAGAIN));
    assert_eq!(allocs, 0);
    assert!(p.shared_pending().is_empty(), "nothing became pending");
    assert!(t.sigpending().is_empty());
    assert_eq!(limit.queued(), 0, "the refused charge was given back");
}

#[test]
fn rule14_growth_off_and_no_free_entry_loses_the_info_of_other_signals() {
    let (p, limit, t) = without_growth();
    let usr1 = Signo::SIGUSR1;
    let (out, allocs) = counting(|| p.send(usr1, Some(&queue(usr1, 5))).unwrap().fate);
    assert_eq!(
        out,
        Fate::InfoLost,
        "a standard signal is sent without its siginfo"
    );
    assert_eq!(allocs, 0);
    let rt = Signo::SIGRTMIN;
    let (out, allocs) = counting(|| t.send(rt, Some(&SignalInfo::user(rt, 7, 0))).unwrap().fate);
    assert_eq!(
        out,
        Fate::InfoLost,
        "kill() of an RT signal keeps only its bit"
    );
    assert_eq!(allocs, 0);
    assert_eq!(limit.queued(), 0);
    for sig in [usr1, rt] {
        let info = take(&t, sig);
        assert_eq!(
            (info.code(), info.pid(), info.value()),
            (code::SI_USER, 0, 0)
        );
    }
}

#[test]
fn rule14_reserved_entries_are_used_with_growth_off_then_the_send_fails() {
    let (p, _limit) = process();
    let t1 = Thread::new(&p, 1, SignalSet::ALL, CondvarQueue::default()).unwrap();
    p.set_growable(false);
    p.reserve(1, 1).unwrap();
    // A thread attached after the reservation gets its share too.
    let t2 = Thread::new(&p, 2, SignalSet::ALL, CondvarQueue::default()).unwrap();
    let rt = Signo::SIGRTMIN;
    let (fates, allocs) = counting(|| {
        [
            p.send(rt, Some(&queue(rt, 1))).map(|o| o.fate),
            p.send(rt, Some(&queue(rt, 2))).map(|o| o.fate),
            t1.send(rt, Some(&queue(rt, 3))).map(|o| o.fate),
            t1.send(rt, Some(&queue(rt, 4))).map(|o| o.fate),
            t2.send(rt, Some(&queue(rt, 5))).map(|o| o.fate),
            t2.send(rt, Some(&queue(rt, 6))).map(|o| o.fate),
        ]
    });
    assert_eq!(allocs, 0);
    assert_eq!(
        fates,
        [
            Ok(Fate::Queued),
            Err(Errno::EAGAIN),
            Ok(Fate::Queued),
            Err(Errno::EAGAIN),
            Ok(Fate::Queued),
            Err(Errno::EAGAIN),
        ]
    );
    assert_eq!(take(&t1, rt).value(), 3, "private queue first");
    assert_eq!(take(&t1, rt).value(), 1);
    assert_eq!(take(&t2, rt).value(), 5);
    // A taken entry is recycled: the next send reuses it without allocating.
    let (again, allocs) = counting(|| p.send(rt, Some(&queue(rt, 7))).map(|o| o.fate));
    assert_eq!((again, allocs), (Ok(Fate::Queued), 0));
}

#[test]
fn rule14_growth_back_on_queues_past_the_reservation() {
    let (p, _limit) = process();
    let _t = Thread::new(&p, 1, SignalSet::ALL, CondvarQueue::default()).unwrap();
    p.set_growable(false);
    let rt = Signo::SIGRTMIN;
    assert_eq!(p.send(rt, Some(&queue(rt, 1))), Err(Errno::EAGAIN));
    p.set_growable(true);
    assert_eq!(p.send(rt, Some(&queue(rt, 1))).unwrap().fate, Fate::Queued);
    // A forked child keeps the policy of its parent.
    p.set_growable(false);
    let child = Arc::new(p.fork(false));
    let _c = Thread::new(&child, 2, SignalSet::ALL, CondvarQueue::default()).unwrap();
    assert_eq!(child.send(rt, Some(&queue(rt, 1))), Err(Errno::EAGAIN));
}
