//! Reading and writing one sigaction entry: `SignalActions` beside a
//! `spin::Mutex<[SignalAction; 64]>` table and a plain HalfLock read (every read
//! announced on the shared counters): alone; while another thread replaces a
//! neighbouring entry flat out (`rt_sigaction` of another signal); while it replaces
//! the very entry being read flat out (the worst case); with a second thread reading
//! flat out; and the write itself.
//!
//! Reads are consumed field by field, as a delivery path uses them, and a `u64`
//! digest goes to `black_box`: black-boxing the 40-byte `SignalAction` itself adds a
//! store-forwarding stall of the harness (several ns) to every design. The
//! `plain_copy_floor` line is that same copy and digest with no synchronisation.
//!
//! Run: `cargo bench --bench registry` (about 45 s).

use criterion::{Criterion, criterion_group, criterion_main};
use ksignal::HalfLock;
use ksignal::{Disposition, SaFlags, SignalAction, SignalActions, SignalSet, Signo};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

/// The entry read.
const SIG: Signo = Signo::SIGUSR1;
/// Its neighbour in the table (signal 11 next to signal 10).
const NEIGHBOUR: Signo = Signo::SIGSEGV;

fn action(k: usize) -> SignalAction {
    SignalAction::new(
        Disposition::Handler(0x4000 + k),
        SaFlags::SIGINFO | SaFlags::RESTART,
        SignalSet::single(Signo::SIGUSR2),
        0x7000,
    )
}

type MutexTable = spin::Mutex<[SignalAction; 64]>;

/// The three tables under test, shared with background threads.
struct Tables {
    ksignal: Arc<SignalActions>,
    mutex: Arc<MutexTable>,
    halflock: Arc<HalfLock<[u64; 4]>>,
}

impl Tables {
    fn new() -> Tables {
        let ksignal = Arc::new(SignalActions::new());
        ksignal.set(SIG, action(0));
        let mut plain = [SignalAction::DEFAULT; 64];
        plain[SIG.get() as usize - 1] = action(0);
        let words = action(0).to_words();
        Tables {
            ksignal,
            mutex: Arc::new(spin::Mutex::new(plain)),
            halflock: Arc::new(HalfLock::new(words, words)),
        }
    }
}

/// Uses every field, as a delivery does.
#[inline(always)]
fn digest(a: SignalAction) -> u64 {
    a.disposition().to_raw() as u64 ^ a.flags().bits() ^ a.mask().bits() ^ a.restorer() as u64
}

#[inline(always)]
fn read_ksignal(t: &SignalActions) -> u64 {
    digest(t.get(black_box(SIG)))
}

#[inline(always)]
fn read_mutex(t: &MutexTable) -> u64 {
    digest(t.lock()[black_box(SIG).get() as usize - 1])
}

#[inline(always)]
fn read_halflock(t: &HalfLock<[u64; 4]>) -> u64 {
    t.read(|w| digest(SignalAction::from_words(*w)))
}

fn write_ksignal(t: &SignalActions, sig: Signo, k: usize) -> SignalAction {
    t.set(sig, action(k))
}

fn write_mutex(t: &MutexTable, sig: Signo, k: usize) -> SignalAction {
    core::mem::replace(&mut t.lock()[sig.get() as usize - 1], action(k))
}

fn write_halflock(t: &HalfLock<[u64; 4]>, k: usize) {
    let mut w = t.write();
    w.modify(|_, spare| *spare = action(k).to_words());
    w.publish();
}

/// Runs `work` on another thread until the returned guard is dropped.
struct Background {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Background {
    fn start(mut work: impl FnMut(usize) + Send + 'static) -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = thread::spawn(move || {
            let mut k = 0;
            while !s.load(Ordering::Relaxed) {
                work(k);
                k = k.wrapping_add(1);
            }
        });
        Background {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
    }
}

fn reads(c: &mut Criterion) {
    let t = Tables::new();

    let mut g = c.benchmark_group("read_uncontended");
    g.bench_function("ksignal", |b| b.iter(|| read_ksignal(&t.ksignal)));
    g.bench_function("spin_mutex", |b| b.iter(|| read_mutex(&t.mutex)));
    g.bench_function("halflock_only", |b| b.iter(|| read_halflock(&t.halflock)));
    // The floor: the same copy and digest with no synchronisation at all.
    let plain = [action(0); 64];
    g.bench_function("plain_copy_floor", |b| {
        b.iter(|| digest(plain[black_box(SIG).get() as usize - 1]))
    });
    g.finish();

    for (group, sig) in [
        ("read_writer_on_neighbour", NEIGHBOUR),
        ("read_writer_on_same_entry", SIG),
    ] {
        let mut g = c.benchmark_group(group);
        {
            let k = t.ksignal.clone();
            let _w = Background::start(move |i| {
                black_box(write_ksignal(&k, sig, i));
            });
            g.bench_function("ksignal", |b| b.iter(|| read_ksignal(&t.ksignal)));
        }
        {
            let m = t.mutex.clone();
            let _w = Background::start(move |i| {
                black_box(write_mutex(&m, sig, i));
            });
            g.bench_function("spin_mutex", |b| b.iter(|| read_mutex(&t.mutex)));
        }
        {
            // One version for the whole table: any write replaces what is read.
            let h = t.halflock.clone();
            let _w = Background::start(move |i| write_halflock(&h, i));
            g.bench_function("halflock_only", |b| b.iter(|| read_halflock(&t.halflock)));
        }
        g.finish();
    }

    let mut g = c.benchmark_group("read_two_readers");
    {
        let k = t.ksignal.clone();
        let _r = Background::start(move |_| {
            black_box(read_ksignal(&k));
        });
        g.bench_function("ksignal", |b| b.iter(|| read_ksignal(&t.ksignal)));
    }
    {
        let m = t.mutex.clone();
        let _r = Background::start(move |_| {
            black_box(read_mutex(&m));
        });
        g.bench_function("spin_mutex", |b| b.iter(|| read_mutex(&t.mutex)));
    }
    {
        let h = t.halflock.clone();
        let _r = Background::start(move |_| {
            black_box(read_halflock(&h));
        });
        g.bench_function("halflock_only", |b| b.iter(|| read_halflock(&t.halflock)));
    }
    g.finish();

    let mut g = c.benchmark_group("write");
    let mut k = 0;
    g.bench_function("ksignal", |b| {
        b.iter(|| {
            k += 1;
            write_ksignal(&t.ksignal, SIG, k)
        })
    });
    g.bench_function("spin_mutex", |b| {
        b.iter(|| {
            k += 1;
            write_mutex(&t.mutex, SIG, k)
        })
    });
    g.bench_function("halflock_only", |b| {
        b.iter(|| {
            k += 1;
            write_halflock(&t.halflock, k)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200));
    targets = reads
}
criterion_main!(benches);
