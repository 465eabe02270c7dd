//! Blocking system calls and signals. A thread blocked in read(0) (which
//! never gets data) is woken by a signal: with SA_RESTART the handler runs
//! and the read silently continues; without it the read fails with EINTR.
//! wait4 behaves the same. nanosleep returns EINTR with the time left even
//! with SA_RESTART (Linux's restart_block rule). Ignored and blocked
//! signals do not interrupt a sleep at all.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use user::thread::{JoinHandle, ThreadSlots};
use user::*;

const SENTINEL: isize = isize::MIN;
static READ_RESULT: AtomicIsize = AtomicIsize::new(SENTINEL);
static HANDLED: AtomicUsize = AtomicUsize::new(0);
static HANDLER_TID: AtomicIsize = AtomicIsize::new(0);

static THREADS: ThreadSlots<6> = ThreadSlots::new();

fn start(f: extern "C" fn(usize) -> i32, arg: usize) -> JoinHandle {
    THREADS.start(f, arg).unwrap_or_else(|e| fail!("sig_restart: clone {}", e))
}

extern "C" fn counter(_sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {
    HANDLER_TID.store(gettid(), Ordering::SeqCst);
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn reader(_: usize) -> i32 {
    let mut buf = [0u8; 8];
    let r = read(0, &mut buf);
    READ_RESULT.store(r, Ordering::SeqCst);
    0
}

/// Sends (sig << 32 | delay_ms) to the main thread after the delay, then
/// SIGUSR2 to the child in `RELEASE`, if any: the wait4 child exits only after
/// the signal that must interrupt the parent's wait4 was sent, however slow
/// the host.
static MAIN_TID: AtomicIsize = AtomicIsize::new(0);
static RELEASE: AtomicIsize = AtomicIsize::new(0);
extern "C" fn kicker(arg: usize) -> i32 {
    sleep_ms((arg & 0xffff_ffff) as u64);
    tgkill(getpid(), MAIN_TID.load(Ordering::SeqCst), arg >> 32);
    let child = RELEASE.swap(0, Ordering::SeqCst);
    if child > 0 {
        kill(child, SIGUSR2);
    }
    0
}

fn kick(sig: usize, ms: u64) -> JoinHandle {
    start(kicker, sig << 32 | ms as usize)
}

/// Polls (with short sleeps) until `cond` or about 3 s passed.
fn wait_until(cond: impl Fn() -> bool) -> bool {
    for _ in 0..300 {
        if cond() {
            return true;
        }
        sleep_ms(10);
    }
    cond()
}

fn main() -> i32 {
    MAIN_TID.store(gettid(), Ordering::SeqCst);
    let pid = getpid();

    // read: SA_RESTART.
    on_signal(SIGUSR1, counter, SA_RESTART, 0);
    let r = start(reader, 0);
    sleep_ms(20);
    check!(READ_RESULT.load(Ordering::SeqCst) == SENTINEL, "sig_restart: read returned early");
    let reader_tid = r.tid.load(Ordering::SeqCst) as isize;
    check!(tgkill(pid, reader_tid, SIGUSR1) == 0, "sig_restart: tgkill");
    check!(wait_until(|| HANDLED.load(Ordering::SeqCst) == 1), "sig_restart: handler did not run");
    check!(
        HANDLER_TID.load(Ordering::SeqCst) == reader_tid,
        "sig_restart: handler ran on the wrong thread"
    );
    sleep_ms(30);
    let res = READ_RESULT.load(Ordering::SeqCst);
    check!(res == SENTINEL, "sig_restart: read with SA_RESTART returned {}", res);
    println!("PASS sig_restart: SA_RESTART restarts an interrupted blocking read");

    // read: no SA_RESTART.
    on_signal(SIGUSR1, counter, 0, 0);
    check!(tgkill(pid, reader_tid, SIGUSR1) == 0, "sig_restart: tgkill");
    check!(
        wait_until(|| READ_RESULT.load(Ordering::SeqCst) != SENTINEL),
        "sig_restart: read not interrupted"
    );
    let res = READ_RESULT.load(Ordering::SeqCst);
    check!(
        res == -EINTR && HANDLED.load(Ordering::SeqCst) == 2,
        "sig_restart: read gave {} after {} handlers",
        res,
        HANDLED.load(Ordering::SeqCst)
    );
    r.join();
    println!("PASS sig_restart: without SA_RESTART the read fails with EINTR after the handler");

    // wait4: interrupted with EINTR, restarted with SA_RESTART.
    // The child inherits SIGUSR2 blocked and waits for it.
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));
    let child = fork();
    if child == 0 {
        let mut info = SigInfo::default();
        sigtimedwait(sigbit(SIGUSR2), &mut info, None);
        exit_group(7);
    }
    sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR2));
    let k = kick(SIGUSR1, 20);
    let (w, _) = wait4(child, 0);
    check!(w == -EINTR, "sig_restart: wait4 gave {}, want EINTR", w);
    k.join();
    on_signal(SIGUSR1, counter, SA_RESTART, 0);
    let before = HANDLED.load(Ordering::SeqCst);
    RELEASE.store(child, Ordering::SeqCst);
    let k = kick(SIGUSR1, 20);
    let (w, status) = wait4(child, 0);
    check!(w == child && status == 7 << 8, "sig_restart: restarted wait4 gave {} {:#x}", w, status);
    check!(
        HANDLED.load(Ordering::SeqCst) == before + 1,
        "sig_restart: handler did not run during wait4"
    );
    k.join();
    println!("PASS sig_restart: wait4 fails with EINTR, or restarts with SA_RESTART");

    // nanosleep: EINTR and the time left, even with SA_RESTART.
    let k = kick(SIGUSR1, 30);
    let (n, rem, slept) = timed_nanosleep(1000);
    k.join();
    check!(n == -EINTR, "sig_restart: nanosleep gave {}", n);
    let left = rem.as_nanos();
    check!(
        left > 0 && left < 1_000_000_000 && slept < 900_000_000,
        "sig_restart: rem {} ns after {} ns",
        left,
        slept
    );
    // rem + the time slept is the request, plus the time it took to get
    // back to user space after the interruption (a loaded host: generous).
    check!(
        (990_000_000..1_500_000_000).contains(&(left + slept)),
        "sig_restart: rem {} + slept {} is not the request",
        left,
        slept
    );
    println!(
        "PASS sig_restart: nanosleep fails with EINTR and the time left, even with SA_RESTART"
    );

    // Ignored and blocked signals do not interrupt.
    sigaction(SIGUSR2, SIG_IGN, 0, 0);
    let k = kick(SIGUSR2, 10);
    let t0 = now_ns();
    check!(sleep_ms(60) == 0, "sig_restart: an ignored signal interrupted nanosleep");
    check!(now_ns() - t0 >= 60_000_000, "sig_restart: short sleep");
    k.join();
    on_signal(SIGUSR2, counter, 0, 0);
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));
    let before = HANDLED.load(Ordering::SeqCst);
    let k = kick(SIGUSR2, 10);
    check!(sleep_ms(60) == 0, "sig_restart: a blocked signal interrupted nanosleep");
    k.join();
    check!(
        sigpending() == sigbit(SIGUSR2) && HANDLED.load(Ordering::SeqCst) == before,
        "sig_restart: SIGUSR2 not pending"
    );
    sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR2));
    check!(HANDLED.load(Ordering::SeqCst) == before + 1, "sig_restart: unblocking did not deliver");
    println!("PASS sig_restart: ignored and blocked signals do not interrupt a sleep");
    println!("PASS sig_restart");
    0
}

entry!(main);
