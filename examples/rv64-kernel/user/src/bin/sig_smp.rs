//! Signals under real concurrency: every hart sends, takes and handles
//! signals at once.
//!
//! Case 1: a sender process with 4 threads sends `per_sender()` real-time
//! signals each, with values, to a receiver process: senders 0 and 1 with
//! sigqueue (process-directed, shared queue), senders 2 and 3 with
//! rt_tgsigqueueinfo (thread-directed, rotating over the receivers). Each
//! sender has its own signal number and numbers its values 0, 1, 2, ...; it
//! retries a value refused with EAGAIN (RLIMIT_SIGPENDING), so its order is
//! its sequence. The receiver's 4 threads take them: two with sigtimedwait,
//! two with an SA_SIGINFO handler (one spinning in user mode, reached by IPI
//! or timer; one sleeping in nanosleep, interrupted).
//! Checked: every signal arrives exactly once (a bitmap), with SI_QUEUE, the
//! sender's pid and the value's sender matching the signal number; every
//! receiving thread sees each sender's values in increasing order (the
//! queues are FIFO per signal number); nothing is left pending.
//!
//! Case 2: the same traffic (all taken by handlers) while two other threads
//! of the receiver change the actions (handler A / handler B, different
//! masks and flags) and their masks flat out; one of them takes signals
//! whenever its mask lets it.
//!
//! Then RLIMIT_SIGPENDING is exact: with no other process left, exactly
//! `SIGPENDING_LIMIT` signals queue and the next gets EAGAIN (the kernel also
//! checks its account is 0 at shutdown).
//!
//! Watchdog: a receiver that makes no progress for 60 s fails the run.
//! Figures (signals per second, run time, EAGAIN retries) are printed on
//! `sig_smp:` lines.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use user::thread::{JoinHandle, Stack, spawn};
use user::*;

/// Signals each sender sends, per case, with several CPUs (the stress
/// proper) and with one (the same program as a functional check, shorter:
/// under QEMU's emulation one hart does about 6,000 to 12,000 a second).
const PER_SENDER_SMP: u64 = 100_000;
const PER_SENDER_UP: u64 = 20_000;
const SENDERS: usize = 4;
const MAX_TOTAL: u64 = PER_SENDER_SMP * SENDERS as u64;
/// This run's count per sender (set first thing in `main`; forks inherit it).
static PER_SENDER: AtomicU64 = AtomicU64::new(0);

fn per_sender() -> u64 {
    PER_SENDER.load(Ordering::Relaxed)
}

fn total() -> u64 {
    per_sender() * SENDERS as u64
}
/// Sender i sends SIG0 + i.
const SIG0: usize = SIGRTMIN + 4;
const SET: u64 = sigbit(SIG0) | sigbit(SIG0 + 1) | sigbit(SIG0 + 2) | sigbit(SIG0 + 3);
/// The kernel's RLIMIT_SIGPENDING (`signal::SIGPENDING_LIMIT`; there is no
/// getrlimit here).
const SIGPENDING_LIMIT: usize = 1024;
/// No progress for this long fails the run.
const WATCHDOG_NS: u64 = 60_000_000_000;

const STACK: usize = 32 * 1024;
/// Threads of the receiver process that may take signals (index = slot).
const SLOTS: usize = 4;
static R_STACKS: [Stack<STACK>; SLOTS] = [const { Stack::new() }; SLOTS];
static R_TIDS: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];
static S_STACKS: [Stack<STACK>; SENDERS] = [const { Stack::new() }; SENDERS];
static S_TIDS: [AtomicI32; SENDERS] = [const { AtomicI32::new(0) }; SENDERS];

// --- receiver state (one receiver process per case, a fresh fork) ----------

/// One bit per (sender, value).
static SEEN: [AtomicU64; (MAX_TOTAL as usize).div_ceil(64)] =
    [const { AtomicU64::new(0) }; (MAX_TOTAL as usize).div_ceil(64)];
static RECEIVED: AtomicU64 = AtomicU64::new(0);
static PER_SENDER_RECEIVED: [AtomicU64; SENDERS] = [const { AtomicU64::new(0) }; SENDERS];
/// Last value + 1 each slot took from each sender (0 = none yet).
static LAST: [[AtomicU64; SENDERS]; SLOTS] =
    [const { [const { AtomicU64::new(0) }; SENDERS] }; SLOTS];
static PER_SLOT: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];
static BY_WAIT: AtomicU64 = AtomicU64::new(0);
/// Signals taken by `handler::<0>` (A) and `handler::<1>` (B).
static BY_HANDLER: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];
static SENDER_PID: AtomicI32 = AtomicI32::new(0);
static DONE: AtomicBool = AtomicBool::new(false);
static ACTION_CHANGES: AtomicU64 = AtomicU64::new(0);
static MASK_CHANGES: AtomicU64 = AtomicU64::new(0);

/// Which receiver slot the code runs on: the one whose stack holds sp
/// (handlers run on the interrupted thread's stack).
fn slot_of_sp() -> usize {
    let sp = stack_pointer();
    (0..SLOTS)
        .find(|&k| {
            let base = &R_STACKS[k] as *const Stack<STACK> as usize;
            (base..base + STACK).contains(&sp)
        })
        .unwrap_or_else(|| {
            fail!("sig_smp: a signal was taken off the receiver threads (sp {:#x})", sp)
        })
}

/// Books one received signal; fails the run on anything wrong.
fn record(slot: usize, info: &SigInfo) {
    let signo = info.signo() as usize;
    check!((SIG0..SIG0 + SENDERS).contains(&signo), "sig_smp: unexpected signal {}", signo);
    let sender = signo - SIG0;
    let value = info.value();
    // The supervisor stores the sender's pid right after fork returns; a
    // receiver on another hart can get the first signal before that.
    let mut sender_pid = SENDER_PID.load(Ordering::Acquire);
    while sender_pid == 0 {
        core::hint::spin_loop();
        sender_pid = SENDER_PID.load(Ordering::Acquire);
    }
    let seq = value & 0xffff_ffff;
    check!(
        info.code() == SI_QUEUE
            && info.pid() == sender_pid
            && (value >> 32) as usize == sender
            && seq < per_sender(),
        "sig_smp: bad siginfo: signal {} code {} pid {} value {:#x}",
        signo,
        info.code(),
        info.pid(),
        value
    );
    let bit = sender as u64 * per_sender() + seq;
    let old = SEEN[(bit / 64) as usize].fetch_or(1 << (bit % 64), Ordering::Relaxed);
    check!(old & (1 << (bit % 64)) == 0, "sig_smp: sender {} value {} received twice", sender, seq);
    let last = LAST[slot][sender].swap(seq + 1, Ordering::Relaxed);
    check!(
        last <= seq,
        "sig_smp: FIFO broken: thread {} took sender {}'s value {} after {}",
        slot,
        sender,
        seq,
        last - 1
    );
    PER_SLOT[slot].fetch_add(1, Ordering::Relaxed);
    PER_SENDER_RECEIVED[sender].fetch_add(1, Ordering::Relaxed);
    RECEIVED.fetch_add(1, Ordering::Release);
}

/// The two handlers the actions alternate between (A = 0, B = 1): each records the
/// signal and counts itself.
extern "C" fn handler<const H: usize>(_sig: i32, info: *mut SigInfo, _uc: *mut UContext) {
    // SAFETY: the kernel passes a valid siginfo pointer in a1 (SA_SIGINFO).
    record(slot_of_sp(), unsafe { &*info });
    BY_HANDLER[H].fetch_add(1, Ordering::Relaxed);
}
const HANDLER_A: InfoHandler = handler::<0>;
const HANDLER_B: InfoHandler = handler::<1>;

fn install(handler: InfoHandler, flags: u64, mask: u64) {
    for s in 0..SENDERS {
        check!(on_signal(SIG0 + s, handler, flags, mask) == 0, "sig_smp: sigaction");
    }
}

/// Slot thread: takes signals with sigtimedwait (they stay blocked).
extern "C" fn waiter(slot: usize) -> i32 {
    let mut info = SigInfo::default();
    let timeout = Timespec::from_millis(50);
    while !DONE.load(Ordering::Acquire) {
        let r = sigtimedwait(SET, &mut info, Some(&timeout));
        if r > 0 {
            record(slot, &info);
            BY_WAIT.fetch_add(1, Ordering::Relaxed);
        } else {
            check!(r == -EAGAIN || r == -EINTR, "sig_smp: sigtimedwait gave {}", r);
        }
    }
    0
}

/// Slot thread: signals unblocked, handled while it spins in user mode.
extern "C" fn spinner(_: usize) -> i32 {
    sigprocmask(SIG_UNBLOCK, SET);
    while !DONE.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    sigprocmask(SIG_BLOCK, SET);
    0
}

/// Slot thread: signals unblocked, handled when they interrupt nanosleep.
extern "C" fn sleeper(_: usize) -> i32 {
    sigprocmask(SIG_UNBLOCK, SET);
    while !DONE.load(Ordering::Acquire) {
        let r = sleep_ms(5);
        check!(r == 0 || r == -EINTR, "sig_smp: nanosleep gave {}", r);
    }
    sigprocmask(SIG_BLOCK, SET);
    0
}

/// Case 2: flips its own mask flat out, so signals reach it in between; and
/// reads the actions, which must always be one of the two handlers.
extern "C" fn mask_flipper(_: usize) -> i32 {
    let mut n = 0u64;
    while !DONE.load(Ordering::Acquire) {
        sigprocmask(SIG_UNBLOCK, SET);
        sigprocmask(SIG_BLOCK, SET);
        let sig = SIG0 + (n % SENDERS as u64) as usize;
        let act = get_action(sig);
        check!(
            (act.handler == HANDLER_A as *const () as usize
                || act.handler == HANDLER_B as *const () as usize)
                && act.flags & SA_SIGINFO != 0,
            "sig_smp: action of {} read as {:#x} flags {:#x}",
            sig,
            act.handler,
            act.flags
        );
        n += 1;
    }
    MASK_CHANGES.fetch_add(2 * n, Ordering::Relaxed);
    0
}

/// Case 2: changes every action flat out: handler A or B, with and without
/// the other signals in sa_mask, with and without SA_RESTART; and its own
/// mask (SIGUSR2 in and out, every time: each change takes the signal lock
/// and recomputes what is deliverable). Its mask always blocks the traffic,
/// so it never takes a signal itself.
extern "C" fn action_flipper(_: usize) -> i32 {
    let mut n = 0u64;
    while !DONE.load(Ordering::Acquire) {
        let how = if n.is_multiple_of(2) { SIG_BLOCK } else { SIG_UNBLOCK };
        sigprocmask(how, sigbit(SIGUSR2));
        MASK_CHANGES.fetch_add(1, Ordering::Relaxed);
        let (handler, flags, mask): (InfoHandler, u64, u64) = match n % 4 {
            0 => (HANDLER_A, 0, 0),
            1 => (HANDLER_B, SA_RESTART, SET),
            2 => (HANDLER_A, SA_RESTART, SET),
            _ => (HANDLER_B, 0, 0),
        };
        install(handler, flags, mask);
        n += 1;
    }
    ACTION_CHANGES.store(n * SENDERS as u64, Ordering::Relaxed);
    0
}

// --- sender process ----------------------------------------------------------

static TARGET_PID: AtomicI32 = AtomicI32::new(0);
/// Slots a thread-directed sender may aim at (its signal must not stay
/// blocked there forever).
static TARGETS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static N_TARGETS: AtomicUsize = AtomicUsize::new(0);
static RETRIES: [AtomicU64; SENDERS] = [const { AtomicU64::new(0) }; SENDERS];

extern "C" fn sender(i: usize) -> i32 {
    let pid = TARGET_PID.load(Ordering::Relaxed) as isize;
    let sig = SIG0 + i;
    let n_targets = N_TARGETS.load(Ordering::Relaxed) as u64;
    let mut retries = 0;
    for seq in 0..per_sender() {
        let value = ((i as u64) << 32) | seq;
        loop {
            let r = if i < 2 {
                sigqueue(pid, sig, value)
            } else {
                let slot = TARGETS[(seq % n_targets) as usize].load(Ordering::Relaxed);
                tgsigqueue(pid, R_TIDS[slot].load(Ordering::Relaxed) as isize, sig, value)
            };
            if r == 0 {
                break;
            }
            // RLIMIT_SIGPENDING reached: the receivers catch up, try again.
            check!(r == -EAGAIN, "sig_smp: sender {} value {}: send gave {}", i, seq, r);
            retries += 1;
            sched_yield();
        }
    }
    RETRIES[i].store(retries, Ordering::Relaxed);
    0
}

/// The sender process: 4 threads, then a summary.
fn sender_process(case: usize) -> i32 {
    let handles: [JoinHandle; SENDERS] = core::array::from_fn(|i| {
        spawn(&S_STACKS[i], &S_TIDS[i], sender, i)
            .unwrap_or_else(|e| fail!("sig_smp: clone sender {}", e))
    });
    for h in &handles {
        h.join();
    }
    let retries: [u64; SENDERS] = core::array::from_fn(|i| RETRIES[i].load(Ordering::Relaxed));
    println!(
        "sig_smp: case {} senders done; EAGAIN (RLIMIT_SIGPENDING) retries per sender {:?}",
        case, retries
    );
    0
}

// --- one case: the receiver process --------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    /// sigtimedwait x2, spinning handler, sleeping handler.
    Receive,
    /// spinning handler, sleeping handler, mask flipper (also receives),
    /// action flipper.
    Churn,
}

fn receiver_process(case: Case) -> i32 {
    let number = if case == Case::Receive { 1 } else { 2 };
    sigprocmask(SIG_BLOCK, SET); // inherited by every thread; the main thread never takes one
    install(HANDLER_A, 0, 0);
    let roles: [extern "C" fn(usize) -> i32; SLOTS] = match case {
        Case::Receive => [waiter, waiter, spinner, sleeper],
        Case::Churn => [spinner, sleeper, mask_flipper, action_flipper],
    };
    let targets: &[usize] = match case {
        Case::Receive => &[0, 1, 2, 3],
        Case::Churn => &[0, 1, 2],
    };
    for (k, &t) in targets.iter().enumerate() {
        TARGETS[k].store(t, Ordering::Relaxed);
    }
    N_TARGETS.store(targets.len(), Ordering::Relaxed);
    TARGET_PID.store(getpid() as i32, Ordering::Relaxed);
    let handles: [JoinHandle; SLOTS] = core::array::from_fn(|k| {
        spawn(&R_STACKS[k], &R_TIDS[k], roles[k], k)
            .unwrap_or_else(|e| fail!("sig_smp: clone receiver {}", e))
    });

    let t0 = now_ns();
    let child = fork();
    if child == 0 {
        exit_group(sender_process(number));
    }
    check!(child > 0, "sig_smp: fork gave {}", child);
    SENDER_PID.store(child as i32, Ordering::Release);

    // Supervise: progress or fail after 60 s without any.
    let mut last = 0;
    let mut last_change = now_ns();
    let mut sender_status = None;
    while RECEIVED.load(Ordering::Acquire) < total() {
        sleep_ms(100);
        let now = now_ns();
        let got = RECEIVED.load(Ordering::Acquire);
        if got != last {
            last = got;
            last_change = now;
        } else if now - last_change > WATCHDOG_NS {
            let per: [u64; SENDERS] =
                core::array::from_fn(|i| PER_SENDER_RECEIVED[i].load(Ordering::Relaxed));
            fail!(
                "sig_smp: watchdog: case {} made no progress for 60 s at {} of {} (per sender {:?})",
                number,
                got,
                total(),
                per
            );
        }
        if sender_status.is_none() {
            let (r, status) = wait4(child, WNOHANG);
            if r == child {
                check!(
                    status == 0,
                    "sig_smp: case {} sender process ended with status {:#x}",
                    number,
                    status
                );
                sender_status = Some(status);
            }
        }
    }
    let elapsed = now_ns() - t0;
    DONE.store(true, Ordering::Release);
    for h in &handles {
        h.join();
    }
    if sender_status.is_none() {
        let (r, status) = wait4(child, 0);
        check!(
            r == child && status == 0,
            "sig_smp: case {} sender process: wait4 {} status {:#x}",
            number,
            r,
            status
        );
    }

    // Exactly once: every bit, and nothing more.
    check!(
        RECEIVED.load(Ordering::Relaxed) == total(),
        "sig_smp: received {} of {}",
        RECEIVED.load(Ordering::Relaxed),
        total()
    );
    for bit in 0..total() {
        check!(
            SEEN[(bit / 64) as usize].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0,
            "sig_smp: sender {} value {} never arrived",
            bit / per_sender(),
            bit % per_sender()
        );
    }
    for (i, n) in PER_SENDER_RECEIVED.iter().enumerate() {
        check!(n.load(Ordering::Relaxed) == per_sender(), "sig_smp: sender {} count", i);
    }
    let pending = sigpending();
    check!(pending & SET == 0, "sig_smp: still pending after the run: {:#x}", pending);

    let per_slot: [u64; SLOTS] = core::array::from_fn(|k| PER_SLOT[k].load(Ordering::Relaxed));
    let ms = elapsed / 1_000_000;
    let rate = total() * 1_000_000_000 / elapsed.max(1);
    println!(
        "sig_smp: case {}: {} signals in {} ms = {} signals/s; by sigtimedwait {}, by handler A {} / B {}; per receiving thread {:?}",
        number,
        total(),
        ms,
        rate,
        BY_WAIT.load(Ordering::Relaxed),
        BY_HANDLER[0].load(Ordering::Relaxed),
        BY_HANDLER[1].load(Ordering::Relaxed),
        per_slot
    );
    if case == Case::Churn {
        println!(
            "sig_smp: case 2: meanwhile {} sigaction and {} sigprocmask calls changed the actions and masks",
            ACTION_CHANGES.load(Ordering::Relaxed),
            MASK_CHANGES.load(Ordering::Relaxed)
        );
        check!(
            BY_HANDLER[0].load(Ordering::Relaxed) > 0 && BY_HANDLER[1].load(Ordering::Relaxed) > 0,
            "sig_smp: one handler never ran"
        );
    }
    0
}

/// Runs `case` in a fresh child process (fresh statics) and checks it.
fn run_case(case: Case) {
    let pid = fork();
    if pid == 0 {
        exit_group(receiver_process(case));
    }
    check!(pid > 0, "sig_smp: fork gave {}", pid);
    let (r, status) = wait4(pid, 0);
    check!(r == pid && status == 0, "sig_smp: receiver process ended with status {:#x}", status);
}

/// Waits until this is the only process (other than pid 1), so that the
/// RLIMIT_SIGPENDING account, shared by every process (all run as root),
/// is ours: kill(-1, 0) finds no process then.
fn wait_until_alone() {
    let t0 = now_ns();
    while kill(-1, 0) != -ESRCH || kill(1, 0) == 0 {
        check!(now_ns() - t0 < 300_000_000_000, "sig_smp: other processes still run after 300 s");
        sleep_ms(50);
    }
}

/// With nothing else queued anywhere, exactly SIGPENDING_LIMIT siginfos
/// queue; the next sigqueue gets EAGAIN; taking them frees the account.
fn check_sigpending_limit() {
    let me = getpid();
    let sig = SIG0;
    sigprocmask(SIG_BLOCK, sigbit(sig));
    for v in 0..SIGPENDING_LIMIT as u64 {
        let r = sigqueue(me, sig, v);
        check!(r == 0, "sig_smp: sigqueue #{} under the limit gave {}", v, r);
    }
    let r = sigqueue(me, sig, u64::MAX);
    check!(r == -EAGAIN, "sig_smp: sigqueue over RLIMIT_SIGPENDING gave {}", r);
    let mut info = SigInfo::default();
    let zero = Timespec::from_millis(0);
    for v in 0..SIGPENDING_LIMIT as u64 {
        let r = sigtimedwait(sigbit(sig), &mut info, Some(&zero));
        check!(
            r == sig as isize && info.value() == v,
            "sig_smp: draining #{} gave {} value {}",
            v,
            r,
            info.value()
        );
    }
    check!(
        sigtimedwait(sigbit(sig), &mut info, Some(&zero)) == -EAGAIN,
        "sig_smp: more than queued"
    );
    check!(sigqueue(me, sig, 7) == 0, "sig_smp: the account was not freed");
    check!(sigtimedwait(sigbit(sig), &mut info, Some(&zero)) == sig as isize, "sig_smp: last one");
}

/// sched_getaffinity(0, ...): the CPUs this thread may run on.
fn cpu_count() -> u32 {
    const SYS_SCHED_GETAFFINITY: usize = 123;
    let mut mask = 0u64;
    let r = syscall(SYS_SCHED_GETAFFINITY, 0, 8, &mut mask as *mut u64 as usize);
    check!(r == 8, "sig_smp: sched_getaffinity gave {}", r);
    mask.count_ones()
}

fn main() -> i32 {
    let cpus = cpu_count();
    PER_SENDER.store(if cpus > 1 { PER_SENDER_SMP } else { PER_SENDER_UP }, Ordering::Relaxed);
    wait_until_alone();
    println!(
        "sig_smp: alone now on {} CPU(s); {} senders x {} signals per case",
        cpus,
        SENDERS,
        per_sender()
    );
    run_case(Case::Receive);
    println!(
        "PASS sig_smp: 4 threads sigqueue / rt_tgsigqueueinfo RT signals with values to 4 threads taking them by sigtimedwait and handlers: each exactly once, per-sender FIFO"
    );
    run_case(Case::Churn);
    println!(
        "PASS sig_smp: the same while other threads change sigaction and sigprocmask flat out"
    );
    check_sigpending_limit();
    println!(
        "PASS sig_smp: RLIMIT_SIGPENDING back to exactly 0: 1024 queue, the 1025th gets EAGAIN"
    );
    println!("PASS sig_smp");
    0
}

entry!(main);
