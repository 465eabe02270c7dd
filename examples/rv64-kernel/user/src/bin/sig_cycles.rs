//! The signal round trip in counter ticks: 10,000 times kill(getpid(),
//! SIGUSR1) with a handler that only counts, each round timed from user
//! space (the `cycle` and `time` CSRs read just before the kill's `ecall` and
//! just after it returns, that is after handler, trampoline and
//! rt_sigreturn) and, inside the kernel, per phase: generation (the kill's
//! ksignal call), delivery (`do_signal`: decision and frame build) and
//! sigreturn (frame parse). The kernel sums the phases of this thread only
//! and hands the sums out through its private system call 1000 (see the
//! kernel's `signal::phases`), read after every round. It also times the
//! user-memory copies ksignal asks the kernel for within each phase (the
//! kernel's checked copies), which are the kernel's share of that phase.
//!
//! Prints the medians and means of each phase and of the whole, in both
//! counters. Passes when the figures are consistent: every round counted
//! each phase exactly once and ran the handler once, every phase's median
//! is above 0, and the three phases together stay below the whole round
//! trip (medians and means).
#![no_std]
#![no_main]

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};
use user::*;

const ROUNDS: usize = 10_000;
/// Unrecorded rounds first (the code and the kernel's paths warm).
const WARM_UP: usize = 200;
/// The kernel's private `SIGNAL_PHASES` call: 0 start, 1 read, 2 stop.
const SYS_SIGNAL_PHASES: usize = 1000;
/// Per phase in its sums: count, cycles, time ticks, user-memory copies, their cycles.
const FIELDS: usize = 5;
/// The series: the whole round trip, then the kernel's three phases.
const SERIES: [&str; 4] =
    ["whole round trip (user)", "generation (kill)", "do_signal", "rt_sigreturn"];

static HANDLED: AtomicU64 = AtomicU64::new(0);

/// Per series, per round: cycle-CSR ticks and time-CSR ticks; per phase, per
/// round: the cycles of its user-memory copies.
struct Samples {
    cycles: [[u32; ROUNDS]; 4],
    ticks: [[u32; ROUNDS]; 4],
    copies: [[u32; ROUNDS]; 3],
}

static mut SAMPLES: Samples =
    Samples { cycles: [[0; ROUNDS]; 4], ticks: [[0; ROUNDS]; 4], copies: [[0; ROUNDS]; 3] };

extern "C" fn count(_: i32, _: *mut SigInfo, _: *mut UContext) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

/// `(cycle, time)` now.
#[inline(always)]
fn counters() -> (u64, u64) {
    let (c, t): (u64, u64);
    // SAFETY: the kernel lets user mode read cycle and time (scounteren);
    // reading them has no side effects.
    unsafe { asm!("rdcycle {c}", "rdtime {t}", c = out(reg) c, t = out(reg) t) };
    (c, t)
}

/// The kernel's sums (`FIELDS` per phase).
fn phase_sums() -> [u64; 3 * FIELDS] {
    let mut sums = [0u64; 3 * FIELDS];
    let r = syscall(SYS_SIGNAL_PHASES, 1, sums.as_mut_ptr() as usize, 0);
    check!(r == 0, "sig_cycles: reading the phase sums returned {}", r);
    sums
}

fn narrow(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// (median, mean) of `v`, which is sorted on the way.
fn median_mean(v: &mut [u32]) -> (u64, u64) {
    v.sort_unstable();
    let sum: u64 = v.iter().map(|&x| x as u64).sum();
    (v[v.len() / 2] as u64, sum / v.len() as u64)
}

fn main() -> i32 {
    let samples = &raw mut SAMPLES;
    // SAFETY: this program has one thread and this is the only reference.
    let samples = unsafe { &mut *samples };
    check!(on_signal(SIGUSR1, count, 0, 0) == 0, "sig_cycles: sigaction");
    let pid = getpid();
    for _ in 0..WARM_UP {
        check!(kill(pid, SIGUSR1) == 0, "sig_cycles: kill");
    }
    check!(
        syscall(SYS_SIGNAL_PHASES, 0, 0, 0) == 0,
        "sig_cycles: the kernel has no SIGNAL_PHASES call"
    );
    let mut prev = phase_sums();
    let mut nested = 0;
    for round in 0..ROUNDS {
        let (c0, t0) = counters();
        let r = kill(pid, SIGUSR1);
        let (c1, t1) = counters();
        check!(r == 0, "sig_cycles: kill returned {}", r);
        let now = phase_sums();
        samples.cycles[0][round] = narrow(c1.wrapping_sub(c0));
        samples.ticks[0][round] = narrow(t1.wrapping_sub(t0));
        let mut phases = 0;
        for p in 0..3 {
            let f = FIELDS * p;
            let counted = now[f] - prev[f];
            check!(
                counted == 1,
                "sig_cycles: round {} counted {} {} calls, not 1",
                round,
                counted,
                SERIES[p + 1]
            );
            let cycles = now[f + 1] - prev[f + 1];
            samples.cycles[p + 1][round] = narrow(cycles);
            samples.ticks[p + 1][round] = narrow(now[f + 2] - prev[f + 2]);
            samples.copies[p][round] = narrow(now[f + 4] - prev[f + 4]);
            phases += cycles;
        }
        nested += (phases <= c1.wrapping_sub(c0)) as usize;
        prev = now;
    }
    let copies = [0, 1, 2].map(|p| prev[FIELDS * p + 3]);
    check!(syscall(SYS_SIGNAL_PHASES, 2, 0, 0) == 0, "sig_cycles: stop");
    let handled = HANDLED.load(Ordering::Relaxed);
    check!(
        handled == (WARM_UP + ROUNDS) as u64,
        "sig_cycles: the handler ran {} times, not {}",
        handled,
        WARM_UP + ROUNDS
    );

    // The cycle counter's rate against the 10 MHz timebase, from the whole rounds.
    let whole_cycles: u64 = samples.cycles[0].iter().map(|&x| x as u64).sum();
    let whole_ticks: u64 = samples.ticks[0].iter().map(|&x| x as u64).sum();
    let per_tick_x10 = whole_cycles * 10 / whole_ticks.max(1);
    println!(
        "sig_cycles: {} rounds of kill(getpid(), SIGUSR1) -> handler -> rt_sigreturn -> back after the ecall",
        ROUNDS
    );
    println!(
        "sig_cycles: the cycle CSR counted {}.{} per 100 ns time tick ({} MHz) over the rounds",
        per_tick_x10 / 10,
        per_tick_x10 % 10,
        per_tick_x10
    );
    let mut stats = [((0u64, 0u64), (0u64, 0u64)); 4];
    for (s, stat) in stats.iter_mut().enumerate() {
        *stat = (median_mean(&mut samples.cycles[s]), median_mean(&mut samples.ticks[s]));
        let ((cm, ca), (tm, ta)) = *stat;
        println!(
            "sig_cycles: {:<24} median {:>7} cycles, mean {:>7} cycles; median {:>4} ticks, mean {:>4} ticks",
            SERIES[s], cm, ca, tm, ta
        );
    }
    for p in 0..3 {
        let (median, _) = median_mean(&mut samples.copies[p]);
        let per_round_x10 = copies[p] * 10 / ROUNDS as u64;
        println!(
            "sig_cycles: {:<24} {}.{} user-memory copies a round (the kernel's checked copies), median {} cycles: {} of the phase",
            SERIES[p + 1],
            per_round_x10 / 10,
            per_round_x10 % 10,
            median,
            percent(median, stats[p + 1].0.0)
        );
    }
    let phase_medians: u64 = stats[1..].iter().map(|s| s.0.0).sum();
    let phase_means: u64 = stats[1..].iter().map(|s| s.0.1).sum();
    let ((whole_median, whole_mean), _) = stats[0];
    println!(
        "sig_cycles: the three phases: {} of the whole median ({} cycles), the rest is trap entry and exit, dispatch, glue, handler and trampoline",
        percent(phase_medians, whole_median),
        phase_medians
    );
    println!(
        "sig_cycles: rounds whose phases sum to at most their whole: {} of {}",
        nested, ROUNDS
    );
    check!(stats[1..].iter().all(|s| s.0.0 > 0), "sig_cycles: a phase has a zero median");
    check!(
        phase_medians < whole_median && phase_means < whole_mean,
        "sig_cycles: the phases ({} / {}) are not below the whole ({} / {})",
        phase_medians,
        phase_means,
        whole_median,
        whole_mean
    );
    println!(
        "PASS sig_cycles: 10,000 self-kills each counted once by generation, do_signal, rt_sigreturn and the handler; every phase above 0, the three below the whole round trip"
    );
    println!("PASS sig_cycles");
    0
}

/// `part` as a percentage of `whole`, one decimal.
fn percent(part: u64, whole: u64) -> Percent {
    Percent(part * 1000 / whole.max(1))
}

struct Percent(u64);

impl core::fmt::Display for Percent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}%", self.0 / 10, self.0 % 10)
    }
}

entry!(main);
