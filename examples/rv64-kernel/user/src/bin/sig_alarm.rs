//! SIGALRM from ITIMER_REAL (setitimer / getitimer), sent by the kernel's
//! timer interrupt: argument errors, a one-shot timer, and a 1 ms periodic
//! timer firing while every thread of the process hammers its signal lock
//! in the kernel (rt_sigprocmask, rt_sigaction) on all harts, so the
//! interrupt often arrives while kernel code holds or wants that lock.
//! Without IRQ-disabling signal locks a hart would deadlock there.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use user::thread::{JoinHandle, Stack, spawn};
use user::*;

const ITIMER_REAL: usize = 0;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Timeval {
    sec: i64,
    usec: i64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Itimerval {
    interval: Timeval,
    value: Timeval,
}

fn usec(us: i64) -> Timeval {
    Timeval { sec: us / 1_000_000, usec: us % 1_000_000 }
}

fn setitimer(which: usize, new: &Itimerval, old: Option<&mut Itimerval>) -> isize {
    let old = old.map_or(0, |o| o as *mut Itimerval as usize);
    syscall(SYS_SETITIMER, which, new as *const Itimerval as usize, old)
}

fn getitimer() -> Itimerval {
    let mut cur = Itimerval::default();
    let r = syscall(SYS_GETITIMER, ITIMER_REAL, &mut cur as *mut Itimerval as usize, 0);
    check!(r == 0, "sig_alarm: getitimer gave {}", r);
    cur
}

static ALARMS: AtomicU64 = AtomicU64::new(0);
static BAD_CODE: AtomicI32 = AtomicI32::new(0);
static STOP: AtomicBool = AtomicBool::new(false);
static CHURN: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_alarm(_sig: i32, info: *mut SigInfo, _uc: *mut UContext) {
    // SAFETY: SA_SIGINFO: a1 is a valid siginfo.
    let code = unsafe { (*info).code() };
    if code != SI_KERNEL {
        BAD_CODE.store(code, Ordering::Relaxed);
    }
    ALARMS.fetch_add(1, Ordering::Relaxed);
}

/// Flat out in the kernel, under the process's signal lock.
fn churn() -> u64 {
    let mut n = 0;
    while !STOP.load(Ordering::Relaxed) {
        sigprocmask(SIG_BLOCK, sigbit(SIGUSR1));
        sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR1));
        sigaction(SIGUSR1, SIG_IGN, 0, 0);
        let _ = get_action(SIGUSR1);
        n += 4;
    }
    n
}

extern "C" fn churner(_: usize) -> i32 {
    CHURN.fetch_add(churn(), Ordering::Relaxed);
    0
}

static STACKS: [Stack<16384>; 3] = [const { Stack::new() }; 3];
static TIDS: [AtomicI32; 3] = [const { AtomicI32::new(0) }; 3];

fn main() -> i32 {
    // Arguments and the one-shot timer.
    check!(getitimer() == Itimerval::default(), "sig_alarm: a new process has a timer");
    let bad = Itimerval { interval: usec(0), value: Timeval { sec: 0, usec: 1_000_000 } };
    check!(setitimer(ITIMER_REAL, &bad, None) == -EINVAL, "sig_alarm: tv_usec 1000000 accepted");
    let neg = Itimerval { interval: Timeval { sec: -1, usec: 0 }, value: usec(1000) };
    check!(setitimer(ITIMER_REAL, &neg, None) == -EINVAL, "sig_alarm: negative interval accepted");
    check!(setitimer(7, &bad, None) == -EINVAL, "sig_alarm: which 7 accepted");
    check!(getitimer() == Itimerval::default(), "sig_alarm: a failed setitimer armed the timer");

    sigprocmask(SIG_BLOCK, sigbit(SIGALRM));
    let t0 = now_ns();
    check!(
        setitimer(ITIMER_REAL, &Itimerval { interval: usec(0), value: usec(20_000) }, None) == 0,
        "sig_alarm: setitimer"
    );
    let cur = getitimer();
    // (On a busy hart the 20 ms may be over already: then it has fired.)
    let fired = cur == Itimerval::default() && sigpending() & sigbit(SIGALRM) != 0;
    check!(
        fired
            || (cur.interval == usec(0)
                && cur.value.sec == 0
                && (1..=20_000).contains(&cur.value.usec)),
        "sig_alarm: getitimer read {:?}",
        cur
    );
    let mut info = SigInfo::default();
    let r = sigtimedwait(sigbit(SIGALRM), &mut info, Some(&Timespec::from_millis(5000)));
    let waited = now_ns() - t0;
    check!(
        r == SIGALRM as isize && info.code() == SI_KERNEL,
        "sig_alarm: one-shot gave {} code {}",
        r,
        info.code()
    );
    check!(waited >= 20_000_000, "sig_alarm: SIGALRM after {} ns, before the 20 ms", waited);
    check!(
        getitimer() == Itimerval::default(),
        "sig_alarm: one-shot timer still armed: {:?}",
        getitimer()
    );
    println!(
        "PASS sig_alarm: setitimer/getitimer: EINVAL for bad arguments; a one-shot SIGALRM (SI_KERNEL) after its time, then disarmed"
    );

    // Periodic, 1 ms, while every thread churns the signal lock.
    check!(on_signal(SIGALRM, on_alarm, SA_RESTART, 0) == 0, "sig_alarm: sigaction");
    let handles: [JoinHandle; 3] = core::array::from_fn(|i| {
        spawn(&STACKS[i], &TIDS[i], churner, i).unwrap_or_else(|e| fail!("sig_alarm: clone {}", e))
    });
    sigprocmask(SIG_UNBLOCK, sigbit(SIGALRM));
    let period = Itimerval { interval: usec(1000), value: usec(1000) };
    check!(setitimer(ITIMER_REAL, &period, None) == 0, "sig_alarm: setitimer periodic");
    let t0 = now_ns();
    let mut n = 0;
    while ALARMS.load(Ordering::Relaxed) < 200 && now_ns() - t0 < 30_000_000_000 {
        // Churn here too, checking the clock now and then.
        for _ in 0..50 {
            sigprocmask(SIG_BLOCK, sigbit(SIGUSR1));
            sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR1));
            n += 2;
        }
    }
    let mut old = Itimerval::default();
    check!(setitimer(ITIMER_REAL, &Itimerval::default(), Some(&mut old)) == 0, "sig_alarm: disarm");
    STOP.store(true, Ordering::Relaxed);
    for h in &handles {
        h.join();
    }
    let ms = (now_ns() - t0) / 1_000_000;
    let alarms = ALARMS.load(Ordering::Relaxed);
    check!(alarms >= 200, "sig_alarm: only {} SIGALRMs in {} ms", alarms, ms);
    check!(
        BAD_CODE.load(Ordering::Relaxed) == 0,
        "sig_alarm: SIGALRM with si_code {}",
        BAD_CODE.load(Ordering::Relaxed)
    );
    check!(
        old.interval == usec(1000) && old.value.sec == 0 && old.value.usec <= 1000,
        "sig_alarm: old value {:?}",
        old
    );
    sleep_ms(30);
    let after = ALARMS.load(Ordering::Relaxed);
    sleep_ms(30);
    check!(ALARMS.load(Ordering::Relaxed) == after, "sig_alarm: SIGALRM after disarming");
    println!(
        "sig_alarm: {} SIGALRMs in {} ms while 4 threads made {} signal-lock system calls",
        alarms,
        ms,
        n + CHURN.load(Ordering::Relaxed)
    );
    println!(
        "PASS sig_alarm: a 1 ms periodic SIGALRM from the timer interrupt while every thread hammers the signal lock in the kernel"
    );
    println!("PASS sig_alarm");
    0
}

entry!(main);
