//! Contention: the managers with several threads on one process, each case beside
//! the same work behind one `spin::Mutex` (a pending set, a real-time queue and an
//! action table under one lock) measured in the same run.
//!
//! - `rt_send_take`: one thread sends a process-directed real-time signal
//!   (SIGRTMIN, with a value) flat out while another takes it, as below: two
//!   threads, one a core on a 2-core machine.
//! - `send_take`: two senders flat out, one sending a process-directed standard
//!   signal (SIGUSR1), the other a process-directed real-time one (SIGRTMIN, with
//!   a value), while a third thread takes both with a zero-timeout
//!   `sigtimedwait_into` whenever its "something pending" flag is set (one atomic
//!   load, as a kernel's return to user space checks before it dequeues; polling
//!   the lock itself flat out starves the senders of an unfair spin lock). One
//!   iteration is one send by each sender; the time is the wall time from the
//!   first thread's start until both senders are done. On a 2-core machine the three threads share two cores.
//! - `send_vs_sigaction`: one thread sends SIGUSR1 to the process and takes it back
//!   (send + dequeue), while another replaces SIGUSR1's action flat out, through
//!   `sigaction` (signal lock + `SignalActions::set`, what `rt_sigaction` does) or
//!   through the registry alone (`actions().set`). One iteration is one send +
//!   dequeue pair; the time is the sending thread's. Between two writes the
//!   writer spends `GAP` (250 ns; the measured gap is printed) outside the lock,
//!   as a system call does on its way in and out: a thread that retakes a
//!   test-and-set spin lock the moment it lets it go starves the other for
//!   milliseconds, in both designs (the crate's signal lock is one too).
//! - `alone` rows: the same per-iteration work on one thread, nothing else running.
//!
//! Each work thread is spawned once per sample and released when all have started
//! (`StartLine`); every loop is bounded (the senders' count; the taker and the
//! writer stop when the measured thread is done), so a descheduled thread only
//! slows a sample down.
//! After each case a line gives what criterion does not: the other threads' own
//! per-operation times and the throughput (medians over the samples).
//!
//! Run: `cargo bench --bench contention` (about 30 s). The contended rows need a
//! quiet machine: a third busy process turns them into a scheduling benchmark.

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use ksignal::{
    Disposition, PendingLimit, ProcessSignalManager, SaFlags, SignalAction, SignalActions,
    SignalInfo, SignalSet, Signo, ThreadSignalManager,
};
use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::NoWait;

type Process = ProcessSignalManager<NoWait>;
type Thread = ThreadSignalManager<NoWait>;

const STD: Signo = Signo::SIGUSR1;
const RT: Signo = Signo::SIGRTMIN;
/// Queued siginfo the per-user account allows: more than any sample queues.
const LIMIT: usize = 1 << 24;

/// The writer's two actions, alternated: both are handlers, so a send is never
/// discarded as ignored.
fn action(k: usize) -> SignalAction {
    let handler = if k & 1 == 0 { 0x1000 } else { 0x2000 };
    SignalAction::handler(handler, SaFlags::SIGINFO, SignalSet::EMPTY)
}

/// The work each case does, for both designs.
trait Design: Sync {
    /// Process-directed SIGUSR1 with SI_USER siginfo.
    fn send_std(&self, info: &SignalInfo);
    /// Process-directed SIGRTMIN with SI_QUEUE siginfo (queued).
    fn send_rt(&self, info: &SignalInfo);
    /// Takes the lowest pending of SIGUSR1 and SIGRTMIN, if any (zero timeout).
    fn take(&self, out: &mut SignalInfo) -> bool;
    /// The taker's "something pending" flag (Linux's `TIF_SIGPENDING`).
    fn flagged(&self) -> bool;
    /// `rt_sigaction(SIGUSR1, action(k))`.
    fn sigaction(&self, k: usize);
    /// Replaces SIGUSR1's action in the table alone (no signal lock where the
    /// design has a choice).
    fn set_action(&self, k: usize);
}

/// ksignal: one process, one thread taking the signals.
struct Crate {
    p: Arc<Process>,
    t: Thread,
    set: SignalSet,
}

impl Crate {
    fn new() -> Crate {
        let p = Arc::new(Process::new(
            Arc::new(SignalActions::new()),
            Arc::new(PendingLimit::new(LIMIT)),
        ));
        p.sigaction(STD, Some(action(0))).unwrap();
        p.sigaction(RT, Some(action(0))).unwrap();
        let t = Thread::new(&p, 1, SignalSet::EMPTY, NoWait).unwrap();
        Crate {
            p,
            t,
            set: SignalSet::single(STD).union(SignalSet::single(RT)),
        }
    }
}

impl Design for Crate {
    fn send_std(&self, info: &SignalInfo) {
        self.p.send(STD, Some(info)).unwrap();
    }
    fn send_rt(&self, info: &SignalInfo) {
        self.p.send(RT, Some(info)).unwrap();
    }
    fn take(&self, out: &mut SignalInfo) -> bool {
        self.t
            .sigtimedwait_into(self.set, Some(Duration::ZERO), out)
            .is_ok()
    }
    fn flagged(&self) -> bool {
        self.t.has_pending()
    }
    fn sigaction(&self, k: usize) {
        black_box(self.p.sigaction(STD, Some(action(k))).unwrap());
    }
    fn set_action(&self, k: usize) {
        black_box(self.p.actions().set(STD, action(k)));
    }
}

/// What the baseline keeps under its one lock.
struct Locked {
    /// Bit `n - 1` for a pending signal `n`.
    pending: u64,
    /// A pending standard signal's one siginfo.
    std_info: [SignalInfo; 32],
    /// Queued real-time siginfo (SIGRTMIN only here), oldest first.
    rt_queue: VecDeque<SignalInfo>,
    actions: [SignalAction; 64],
}

/// The same work behind one `spin::Mutex`: the action check, coalescing of a
/// standard signal, queueing with a per-user count (an atomic, as the crate's
/// RLIMIT_SIGPENDING account), the lowest-first dequeue and the "something
/// pending" flag.
struct Baseline {
    state: spin::Mutex<Locked>,
    queued: AtomicUsize,
    sigpending: AtomicBool,
}

impl Baseline {
    fn new() -> Baseline {
        let mut actions = [SignalAction::DEFAULT; 64];
        actions[STD.get() as usize - 1] = action(0);
        actions[RT.get() as usize - 1] = action(0);
        Baseline {
            state: spin::Mutex::new(Locked {
                pending: 0,
                std_info: [SignalInfo::ZERO; 32],
                rt_queue: VecDeque::new(),
                actions,
            }),
            queued: AtomicUsize::new(0),
            sigpending: AtomicBool::new(false),
        }
    }

    fn send(&self, sig: Signo, info: &SignalInfo) {
        let bit = 1u64 << (sig.get() - 1);
        let mut st = self.state.lock();
        if st.actions[sig.get() as usize - 1].disposition() == Disposition::Ignore {
            return;
        }
        if sig.get() < 32 {
            if st.pending & bit != 0 {
                return;
            }
            st.std_info[sig.get() as usize - 1] = *info;
        } else {
            if self.queued.fetch_add(1, Ordering::Relaxed) >= LIMIT {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                return;
            }
            st.rt_queue.push_back(*info);
        }
        st.pending |= bit;
        self.sigpending.store(true, Ordering::Release);
    }
}

impl Design for Baseline {
    fn send_std(&self, info: &SignalInfo) {
        self.send(STD, info);
    }
    fn send_rt(&self, info: &SignalInfo) {
        self.send(RT, info);
    }
    fn take(&self, out: &mut SignalInfo) -> bool {
        let wanted = (1u64 << (STD.get() - 1)) | (1u64 << (RT.get() - 1));
        let mut st = self.state.lock();
        let ready = st.pending & wanted;
        if ready == 0 {
            return false;
        }
        let n = ready.trailing_zeros() as usize;
        if n < 31 {
            *out = st.std_info[n];
            st.pending &= !(1 << n);
        } else {
            *out = st.rt_queue.pop_front().unwrap();
            self.queued.fetch_sub(1, Ordering::Relaxed);
            if st.rt_queue.is_empty() {
                st.pending &= !(1 << n);
            }
        }
        self.sigpending.store(st.pending != 0, Ordering::Release);
        true
    }
    fn flagged(&self) -> bool {
        self.sigpending.load(Ordering::Acquire)
    }
    fn sigaction(&self, k: usize) {
        let mut st = self.state.lock();
        black_box(core::mem::replace(
            &mut st.actions[STD.get() as usize - 1],
            action(k),
        ));
    }
    fn set_action(&self, k: usize) {
        self.sigaction(k);
    }
}

/// What criterion does not see: per sample, the measured thread's and the other
/// thread's own time per operation and the throughput. Samples of fewer than
/// `MIN_ITERS` iterations (criterion's first warm-up calls) are left out; the
/// report gives medians over the rest.
#[derive(Default)]
struct Stats {
    samples: Mutex<Vec<[f64; 3]>>,
}

/// Smaller samples are mostly thread start-up.
const MIN_ITERS: u64 = 1000;

fn ns(d: Duration) -> f64 {
    d.as_nanos() as f64
}

impl Stats {
    fn record(&self, iters: u64, figures: [f64; 3]) {
        if iters >= MIN_ITERS {
            self.samples.lock().unwrap().push(figures);
        }
    }

    /// The median of each figure.
    fn medians(&self) -> [f64; 3] {
        let v = self.samples.lock().unwrap();
        let mut out = [f64::NAN; 3];
        for (i, o) in out.iter_mut().enumerate() {
            let mut col: Vec<f64> = v.iter().map(|s| s[i]).filter(|x| x.is_finite()).collect();
            col.sort_by(f64::total_cmp);
            if !col.is_empty() {
                *o = col[col.len() / 2];
            }
        }
        out
    }

    fn report_send_take(&self, name: &str) {
        let [send, take, rate] = self.medians();
        println!(
            "  {name} (medians of {} samples): per send {send:.1} ns (each sender's own time), \
             per take {take:.1} ns (the taker's time over the signals it took), {rate:.2} M signals sent/s",
            self.samples.lock().unwrap().len()
        );
    }

    fn report_sigaction(&self, name: &str) {
        let [pair, write, writes] = self.medians();
        println!(
            "  {name} (medians of {} samples): per send + dequeue {pair:.1} ns, \
             per action write {write:.1} ns ({writes:.2} M writes/s beside {:.2} M pairs/s)",
            self.samples.lock().unwrap().len(),
            1e3 / pair
        );
    }
}

/// Releases the work threads of a sample together: each announces itself and
/// waits, yielding its core, until all have, so the timed part starts with every
/// thread running rather than one still being woken from a barrier.
struct StartLine {
    threads: usize,
    arrived: AtomicUsize,
}

impl StartLine {
    fn new(threads: usize) -> StartLine {
        StartLine {
            threads,
            arrived: AtomicUsize::new(0),
        }
    }

    /// Waits for the others; the start time.
    fn wait(&self) -> Instant {
        self.arrived.fetch_add(1, Ordering::AcqRel);
        while self.arrived.load(Ordering::Acquire) < self.threads {
            thread::yield_now();
        }
        Instant::now()
    }
}

/// One sender per entry of `senders` (`true`: real-time) and one taker, on `d`,
/// `iters` sends each. Returns the wall time from the first thread's start until
/// the last sender is done.
fn send_take<D: Design>(d: &D, senders: &[bool], iters: u64, stats: &Stats) -> Duration {
    let line = StartLine::new(senders.len() + 1);
    let senders_done = AtomicUsize::new(0);
    let std_info = SignalInfo::user(STD, 1, 0);
    let rt_info = SignalInfo::queue(RT, 1, 0, 42);
    let wall = thread::scope(|s| {
        let sender = |rt: bool| {
            let (line, senders_done) = (&line, &senders_done);
            let info = if rt { rt_info } else { std_info };
            move || {
                let t0 = line.wait();
                for _ in 0..iters {
                    if rt {
                        d.send_rt(black_box(&info));
                    } else {
                        d.send_std(black_box(&info));
                    }
                }
                let t1 = Instant::now();
                senders_done.fetch_add(1, Ordering::Release);
                (t0, t1)
            }
        };
        let handles: Vec<_> = senders.iter().map(|&rt| s.spawn(sender(rt))).collect();
        let taker = s.spawn(|| {
            let mut out = SignalInfo::ZERO;
            let mut taken = 0u64;
            let t0 = line.wait();
            while senders_done.load(Ordering::Acquire) < senders.len() {
                if d.flagged() {
                    taken += d.take(&mut out) as u64;
                }
            }
            (t0, taken, t0.elapsed())
        });
        let times: Vec<(Instant, Instant)> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let (taker_start, taken, own) = taker.join().unwrap();
        let first = times.iter().map(|t| t.0).fold(taker_start, Instant::min);
        let last = times.iter().map(|t| t.1).max().unwrap();
        let wall = last - first;
        let sends = senders.len() as u64 * iters;
        let send_time: f64 = times.iter().map(|&(t0, t1)| ns(t1 - t0)).sum();
        stats.record(
            iters,
            [
                send_time / sends as f64,
                ns(own) / taken as f64,
                sends as f64 / ns(wall) * 1e3,
            ],
        );
        wall
    });
    // What the taker left, outside the timed part: the next sample starts empty.
    let mut out = SignalInfo::ZERO;
    while d.take(&mut out) {}
    wall
}

/// How long a writer's system call spends outside the signal lock (entry, the
/// copies from and to user space, exit): a real `rt_sigaction` costs a few
/// hundred ns on this machine class.
const GAP: Duration = Duration::from_nanos(250);

/// `spin_loop` hints that take `GAP` (`calibrate_gap`).
static GAP_SPINS: AtomicUsize = AtomicUsize::new(0);

/// About `GAP` spent spinning, outside any lock.
#[inline(never)]
fn gap() {
    for _ in 0..GAP_SPINS.load(Ordering::Relaxed) {
        std::hint::spin_loop();
    }
}

/// Sets `GAP_SPINS` from the time of a million `spin_loop` hints; returns the
/// time one `gap()` then takes.
fn calibrate_gap() -> Duration {
    const N: u32 = 1_000_000;
    let t0 = Instant::now();
    for _ in 0..N {
        std::hint::spin_loop();
    }
    let per_spin = t0.elapsed() / N;
    let spins = (GAP.as_nanos() / per_spin.as_nanos().max(1)).max(1) as usize;
    GAP_SPINS.store(spins, Ordering::Relaxed);
    let t0 = Instant::now();
    for _ in 0..10_000 {
        gap();
    }
    t0.elapsed() / 10_000
}

/// One thread: `iters` send + dequeue pairs of SIGUSR1, while another runs `write`
/// flat out until the pairs are done. Returns the sending thread's time.
fn send_vs_writer<D: Design>(
    d: &D,
    iters: u64,
    stats: &Stats,
    write: impl Fn(&D, usize) + Sync,
) -> Duration {
    let line = StartLine::new(2);
    let done = AtomicBool::new(false);
    let info = SignalInfo::user(STD, 1, 0);
    thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut k = 0usize;
            let t0 = line.wait();
            while !done.load(Ordering::Acquire) {
                write(d, k);
                gap();
                k += 1;
            }
            (k as u64, t0.elapsed())
        });
        let mut out = SignalInfo::ZERO;
        let t0 = line.wait();
        for _ in 0..iters {
            d.send_std(black_box(&info));
            assert!(d.take(&mut out), "the pair's own signal is pending");
        }
        let own = t0.elapsed();
        done.store(true, Ordering::Release);
        let (writes, write_time) = writer.join().unwrap();
        stats.record(
            iters,
            [
                ns(own) / iters as f64,
                ns(write_time) / writes as f64,
                writes as f64 / ns(write_time) * 1e3,
            ],
        );
        own
    })
}

/// The send + dequeue pair on one thread, nothing else running.
fn pair_alone<D: Design>(d: &D, iters: u64) -> Duration {
    let info = SignalInfo::user(STD, 1, 0);
    let mut out = SignalInfo::ZERO;
    let t0 = Instant::now();
    for _ in 0..iters {
        d.send_std(black_box(&info));
        assert!(d.take(&mut out), "the pair's own signal is pending");
    }
    t0.elapsed()
}

/// `send_take`'s per-iteration work on one thread: the sends, then as many takes.
fn send_take_alone<D: Design>(d: &D, senders: &[bool], iters: u64) -> Duration {
    let std_info = SignalInfo::user(STD, 1, 0);
    let rt_info = SignalInfo::queue(RT, 1, 0, 42);
    let mut out = SignalInfo::ZERO;
    let t0 = Instant::now();
    for _ in 0..iters {
        for &rt in senders {
            if rt {
                d.send_rt(black_box(&rt_info));
            } else {
                d.send_std(black_box(&std_info));
            }
        }
        for _ in senders {
            assert!(d.take(&mut out), "each signal sent is pending");
        }
    }
    t0.elapsed()
}

/// `senders` and a taker on `d` (named `case`), then the same work alone.
fn bench_send_take<D: Design>(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    case: &str,
    senders: &[bool],
    d: &D,
) {
    let stats = Stats::default();
    let id = format!("{name}/{case}");
    g.bench_function(&id, |b| {
        b.iter_custom(|iters| send_take(d, senders, iters, &stats))
    });
    stats.report_send_take(&id);
    g.bench_function(format!("{name}/alone"), |b| {
        b.iter_custom(|iters| send_take_alone(d, senders, iters))
    });
}

fn contention(c: &mut Criterion) {
    let (k, m) = (Crate::new(), Baseline::new());

    // One real-time sender and the taker: two threads, one a core.
    let mut g = c.benchmark_group("rt_send_take");
    g.throughput(Throughput::Elements(1));
    let case = "one_sender_one_taker";
    bench_send_take(&mut g, "ksignal", case, &[true], &k);
    bench_send_take(&mut g, "spin_mutex", case, &[true], &m);
    g.finish();

    // A standard and a real-time sender and the taker: two signals an iteration.
    let mut g = c.benchmark_group("send_take");
    g.throughput(Throughput::Elements(2));
    let case = "two_senders_one_taker";
    bench_send_take(&mut g, "ksignal", case, &[false, true], &k);
    bench_send_take(&mut g, "spin_mutex", case, &[false, true], &m);
    g.finish();

    let gap_time = calibrate_gap();
    println!(
        "the writer's gap between two writes: {:.1} ns ({} spin_loop hints)",
        ns(gap_time),
        GAP_SPINS.load(Ordering::Relaxed)
    );
    let mut g = c.benchmark_group("send_vs_sigaction");
    g.throughput(Throughput::Elements(1));
    let stats = Stats::default();
    g.bench_function("ksignal/sigaction", |b| {
        b.iter_custom(|iters| send_vs_writer(&k, iters, &stats, |d, i| d.sigaction(i)))
    });
    stats.report_sigaction("ksignal/sigaction");
    let stats = Stats::default();
    g.bench_function("ksignal/actions_set", |b| {
        b.iter_custom(|iters| send_vs_writer(&k, iters, &stats, |d, i| d.set_action(i)))
    });
    stats.report_sigaction("ksignal/actions_set");
    let stats = Stats::default();
    g.bench_function("spin_mutex/sigaction", |b| {
        b.iter_custom(|iters| send_vs_writer(&m, iters, &stats, |d, i| d.sigaction(i)))
    });
    stats.report_sigaction("spin_mutex/sigaction");
    g.bench_function("ksignal/alone", |b| {
        b.iter_custom(|iters| pair_alone(&k, iters))
    });
    g.bench_function("spin_mutex/alone", |b| {
        b.iter_custom(|iters| pair_alone(&m, iters))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(50)
        .without_plots();
    targets = contention
}
criterion_main!(benches);
