//! Hot paths of the managers, each beside the floors measured in the same run.
//! Run: `cargo bench --bench signal`. The memory figures are printed first.

use criterion::{Criterion, criterion_group, criterion_main};
use ksignal::{
    MaskHow, PendingLimit, PendingSignals, ProcessSignalManager, SaFlags, SignalAction,
    SignalActions, SignalInfo, SignalSet, Signo, ThreadSignalManager,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Counts every allocation and the bytes asked for.
struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size.saturating_sub(layout.size()), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counted<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let (a, b) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let t = f();
    (
        t,
        ALLOCS.load(Ordering::Relaxed) - a,
        BYTES.load(Ordering::Relaxed) - b,
    )
}

mod common;
use common::NoWait;

type Process = ProcessSignalManager<NoWait>;
type Thread = ThreadSignalManager<NoWait>;

fn process() -> Arc<Process> {
    Arc::new(Process::new(
        Arc::new(SignalActions::new()),
        Arc::new(PendingLimit::new(1 << 20)),
    ))
}

const HANDLER: SignalAction = SignalAction::handler(0x1000, SaFlags::SIGINFO, SignalSet::EMPTY);

fn floors(c: &mut Criterion) {
    let mut g = c.benchmark_group("floor");
    let word = AtomicU64::new(0);
    g.bench_function("relaxed_atomic_load", |b| {
        b.iter(|| black_box(&word).load(Ordering::Relaxed))
    });
    let m = spin::Mutex::new(0u64);
    g.bench_function("spin_mutex_lock_unlock", |b| {
        b.iter(|| *black_box(&m).lock() += 1)
    });
    // The synchronisation a queued send + dequeue cannot do without: the
    // process's signal lock taken twice (send, dequeue) and the per-user
    // RLIMIT_SIGPENDING count (shared across processes, exact) changed twice.
    let count = AtomicU64::new(0);
    g.bench_function("two_lock_pairs_two_rmws", |b| {
        b.iter(|| {
            {
                let _g = black_box(&m).lock();
                black_box(&count).fetch_add(1, Ordering::Relaxed);
            }
            let _g = black_box(&m).lock();
            black_box(&count).fetch_sub(1, Ordering::Relaxed)
        })
    });
    // sigprocmask's floor: the signal lock taken once per call.
    g.bench_function("two_lock_pairs", |b| {
        b.iter(|| {
            *black_box(&m).lock() += 1;
            *black_box(&m).lock() += 1;
        })
    });
    let src = [7u8; 128];
    let mut dst = [0u8; 128];
    g.bench_function("copy_128_bytes", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        })
    });
    g.finish();
}

fn thread_paths(c: &mut Criterion) {
    let mut g = c.benchmark_group("thread");
    let p = process();
    let t = Thread::new(&p, 1, SignalSet::ALL, NoWait).unwrap();
    let mut out = SignalInfo::ZERO;
    g.bench_function("idle_check", |b| b.iter(|| black_box(&t).has_pending()));
    let usr1 = SignalSet::single(Signo::SIGUSR1);
    let info = SignalInfo::tkill(Signo::SIGUSR1, 1, 0);
    g.bench_function("std_send_dequeue", |b| {
        b.iter(|| {
            t.send(Signo::SIGUSR1, Some(black_box(&info))).unwrap();
            t.sigtimedwait_into(usr1, Some(Duration::ZERO), &mut out)
                .unwrap()
        })
    });
    let rt = SignalSet::single(Signo::SIGRTMIN);
    let q = SignalInfo::queue(Signo::SIGRTMIN, 1, 0, 42);
    g.bench_function("rt_send_dequeue", |b| {
        b.iter(|| {
            t.send(Signo::SIGRTMIN, Some(black_box(&q))).unwrap();
            t.sigtimedwait_into(rt, Some(Duration::ZERO), &mut out)
                .unwrap()
        })
    });
    g.bench_function("rt_queue_1000_then_drain", |b| {
        b.iter(|| {
            for _ in 0..1000 {
                t.send(Signo::SIGRTMIN, Some(&q)).unwrap();
            }
            for _ in 0..1000 {
                black_box(
                    t.sigtimedwait_into(rt, Some(Duration::ZERO), &mut out)
                        .unwrap(),
                );
            }
        })
    });
    let mask = SignalSet::single(Signo::SIGUSR2);
    g.bench_function("sigprocmask_block_unblock", |b| {
        b.iter(|| {
            t.sigprocmask(MaskHow::Unblock, black_box(mask));
            t.sigprocmask(MaskHow::Block, black_box(mask))
        })
    });
    g.bench_function("sigaction_read", |b| {
        b.iter(|| p.actions().get(black_box(Signo::SIGUSR1)))
    });
    g.bench_function("sigaction_write", |b| {
        b.iter(|| {
            p.sigaction(black_box(Signo::SIGUSR2), Some(HANDLER))
                .unwrap()
        })
    });
    g.finish();
}

fn process_paths(c: &mut Criterion) {
    let mut g = c.benchmark_group("process");
    let mut out = SignalInfo::ZERO;
    for n in [1usize, 16, 256, 4096] {
        for all_but_one_block in [true, false] {
            let p = process();
            p.sigaction(Signo::SIGUSR1, Some(HANDLER)).unwrap();
            let threads: Vec<Thread> = (0..n)
                .map(|i| {
                    let blocked = if all_but_one_block && i + 1 < n {
                        SignalSet::ALL
                    } else {
                        SignalSet::EMPTY
                    };
                    Thread::new(&p, i as i32 + 1, blocked, NoWait).unwrap()
                })
                .collect();
            let taker = threads.last().unwrap();
            let usr1 = SignalSet::single(Signo::SIGUSR1);
            let info = SignalInfo::user(Signo::SIGUSR1, 1, 0);
            let name = if all_but_one_block {
                "send_dequeue_one_unblocked"
            } else {
                "send_dequeue_none_blocking"
            };
            let taker = if all_but_one_block {
                taker
            } else {
                &threads[0]
            };
            g.bench_function(format!("{name}/{n}"), |b| {
                b.iter(|| {
                    p.send(Signo::SIGUSR1, Some(black_box(&info))).unwrap();
                    taker
                        .sigtimedwait_into(usr1, Some(Duration::ZERO), &mut out)
                        .unwrap()
                })
            });
            if n == 4096 && all_but_one_block {
                let tk = SignalInfo::tkill(Signo::SIGUSR1, 1, 0);
                g.bench_function("thread_directed_send_dequeue/4096", |b| {
                    b.iter(|| {
                        taker.send(Signo::SIGUSR1, Some(black_box(&tk))).unwrap();
                        taker
                            .sigtimedwait_into(usr1, Some(Duration::ZERO), &mut out)
                            .unwrap()
                    })
                });
            }
        }
    }
    g.finish();
}

fn memory_report() {
    let p = process();
    let (_t0, leader_allocs, leader_bytes) =
        counted(|| Thread::new(&p, 1, SignalSet::EMPTY, NoWait).unwrap());
    // A second thread, once the thread table has room: the steady per-thread cost.
    let mut threads = Vec::new();
    for i in 0..64 {
        threads.push(Thread::new(&p, 2 + i, SignalSet::EMPTY, NoWait).unwrap());
    }
    let (_t, thread_allocs, thread_bytes) =
        counted(|| Thread::new(&p, 100, SignalSet::EMPTY, NoWait).unwrap());
    // Amortised heap per thread over 1,024 more threads: the shared link plus the
    // thread's slot in the process's table (and the table's growth). The handles
    // go into a vector sized beforehand: a kernel keeps each in its task struct.
    let mut more = Vec::with_capacity(1024);
    let ((), _, bytes_1024) = counted(|| {
        for i in 0..1024 {
            more.push(Thread::new(&p, 1000 + i, SignalSet::EMPTY, NoWait).unwrap());
        }
    });
    drop(more);
    let (_p2, proc_allocs, proc_bytes) = counted(process);
    let t = Thread::new(&p, 200, SignalSet::ALL, NoWait).unwrap();
    let q = SignalInfo::queue(Signo::SIGRTMIN, 1, 0, 42);
    // Warm the queue, then count steady-state allocations of send + dequeue.
    for _ in 0..1000 {
        t.send(Signo::SIGRTMIN, Some(&q)).unwrap();
    }
    let rt = SignalSet::single(Signo::SIGRTMIN);
    while t.sigtimedwait(rt, Some(Duration::ZERO)).is_ok() {}
    let ((), steady_allocs, _) = counted(|| {
        for _ in 0..10_000 {
            t.send(Signo::SIGRTMIN, Some(&q)).unwrap();
            t.sigtimedwait(rt, Some(Duration::ZERO)).unwrap();
        }
    });
    let mut store = PendingSignals::new();
    let limit = PendingLimit::unlimited();
    for _ in 0..1000 {
        store.put(Signo::SIGRTMIN, Some(&q), &limit).unwrap();
    }
    println!("memory:");
    println!(
        "  size_of::<ThreadSignalManager>() = {} bytes",
        std::mem::size_of::<Thread>()
    );
    println!(
        "  size_of::<ProcessSignalManager>() = {} bytes",
        std::mem::size_of::<Process>()
    );
    println!(
        "  size_of::<PendingSignals>() = {} bytes",
        std::mem::size_of::<PendingSignals>()
    );
    println!("  first thread: {leader_allocs} allocations, {leader_bytes} heap bytes");
    println!("  idle thread (steady): {thread_allocs} allocations, {thread_bytes} heap bytes");
    println!(
        "  idle thread (amortised over 1,024, incl. its table slot): {} heap bytes, \
         + the {}-byte handle in the kernel's task = {} bytes",
        bytes_1024 / 1024,
        std::mem::size_of::<Thread>(),
        bytes_1024 / 1024 + std::mem::size_of::<Thread>()
    );
    println!("  idle process: {proc_allocs} allocations, {proc_bytes} heap bytes");
    println!("  rt send+dequeue after warm-up: {steady_allocs} allocations per 10,000");
    println!(
        "  1,000 queued RT signals: {} heap bytes ({} per signal)",
        store.heap_bytes(),
        store.heap_bytes() / 1000
    );
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(50)
        .without_plots()
}

fn all(c: &mut Criterion) {
    memory_report();
    floors(c);
    thread_paths(c);
    process_paths(c);
}

criterion_group! { name = benches; config = config(); targets = all }
criterion_main!(benches);
