//! Waiting for signals, and which thread takes a process-directed one.
//! rt_sigtimedwait: EAGAIN at once with a zero timeout, EAGAIN after the
//! timeout expired, at once for a pending signal; a sibling thread's
//! rt_tgsigqueueinfo or a process-directed sigqueue ends the wait with its
//! siginfo; another deliverable signal ends it with EINTR. Real-time
//! signals queue in order, standard ones coalesce. A signal sent to the
//! process goes to the thread that does not block it.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use user::thread::{JoinHandle, ThreadSlots};
use user::*;

const RT2: usize = SIGRTMIN + 2;
const RT3: usize = SIGRTMIN + 3;

static THREADS: ThreadSlots<6> = ThreadSlots::new();

fn start(f: extern "C" fn(usize) -> i32, arg: usize) -> JoinHandle {
    THREADS.start(f, arg).unwrap_or_else(|e| fail!("sig_wait: clone {}", e))
}

static MAIN_TID: AtomicIsize = AtomicIsize::new(0);

extern "C" fn send_to_main(_: usize) -> i32 {
    sleep_ms(20);
    tgsigqueue(getpid(), MAIN_TID.load(Ordering::SeqCst), RT2, 77);
    0
}

extern "C" fn send_to_process(_: usize) -> i32 {
    sleep_ms(20);
    sigqueue(getpid(), RT3, 88);
    0
}

extern "C" fn send_hup(_: usize) -> i32 {
    sleep_ms(20);
    tgkill(getpid(), MAIN_TID.load(Ordering::SeqCst), SIGHUP);
    0
}

static HANDLED: AtomicUsize = AtomicUsize::new(0);
static HANDLER_TID: AtomicIsize = AtomicIsize::new(0);

static USR1_TAKEN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn handler(sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {
    if sig == SIGUSR1 as i32 {
        USR1_TAKEN.fetch_add(1, Ordering::SeqCst);
    }
    HANDLER_TID.store(gettid(), Ordering::SeqCst);
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Takes SIGUSR1 (which the main thread blocks) until it handled three.
/// (The first may arrive as soon as it is unblocked, before sigsuspend.)
extern "C" fn taker(_: usize) -> i32 {
    sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR1));
    while USR1_TAKEN.load(Ordering::SeqCst) < 3 {
        let r = sigsuspend(sigmask());
        check!(r == -EINTR, "sig_wait: sigsuspend gave {}", r);
    }
    0
}

fn timed(ms: u64) -> Timespec {
    Timespec::from_millis(ms)
}

fn main() -> i32 {
    let me = getpid();
    MAIN_TID.store(gettid(), Ordering::SeqCst);
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR1) | sigbit(SIGUSR2) | sigbit(RT2) | sigbit(RT3));
    let mut info = SigInfo::default();

    check!(
        sigtimedwait(sigbit(SIGUSR2), &mut info, Some(&timed(0))) == -EAGAIN,
        "sig_wait: zero timeout"
    );
    let t0 = now_ns();
    let r = sigtimedwait(sigbit(SIGUSR2), &mut info, Some(&timed(40)));
    let waited = now_ns() - t0;
    check!(
        r == -EAGAIN && (40_000_000..2_000_000_000).contains(&waited),
        "sig_wait: timeout gave {} after {} ns",
        r,
        waited
    );
    println!("PASS sig_wait: sigtimedwait times out with EAGAIN (zero and 40 ms timeouts)");

    raise(SIGUSR2);
    raise(SIGUSR2);
    check!(sigpending() == sigbit(SIGUSR2), "sig_wait: pending {:#x}", sigpending());
    let r = sigtimedwait(sigbit(SIGUSR2), &mut info, None);
    check!(
        r == SIGUSR2 as isize && info.code() == SI_TKILL && info.pid() == me as i32,
        "sig_wait: pending SIGUSR2 gave {} code {}",
        r,
        info.code()
    );
    check!(
        sigtimedwait(sigbit(SIGUSR2), &mut info, Some(&timed(0))) == -EAGAIN,
        "sig_wait: SIGUSR2 did not coalesce"
    );
    for v in 1..=3 {
        check!(sigqueue(me, RT2, v) == 0, "sig_wait: sigqueue");
    }
    for v in 1..=3 {
        let r = sigtimedwait(sigbit(RT2), &mut info, Some(&timed(0)));
        check!(
            r == RT2 as isize && info.value() == v && info.code() == SI_QUEUE,
            "sig_wait: RT instance {} gave {} value {}",
            v,
            r,
            info.value()
        );
    }
    check!(sigpending() == 0, "sig_wait: left pending {:#x}", sigpending());
    println!(
        "PASS sig_wait: a pending signal is taken at once; RT signals queue in order, standard ones coalesce"
    );

    let s = start(send_to_main, 0);
    let t0 = now_ns();
    let r = sigtimedwait(sigbit(RT2), &mut info, Some(&timed(5000)));
    let waited = now_ns() - t0;
    s.join();
    check!(r == RT2 as isize, "sig_wait: sibling's signal gave {}", r);
    check!(
        info.code() == SI_QUEUE && info.value() == 77 && info.pid() == me as i32,
        "sig_wait: siginfo code {} value {} pid {}",
        info.code(),
        info.value(),
        info.pid()
    );
    check!((15_000_000..4_000_000_000).contains(&waited), "sig_wait: waited {} ns", waited);
    println!("PASS sig_wait: sigtimedwait satisfied by a sibling thread's rt_tgsigqueueinfo");

    let s = start(send_to_process, 0);
    let r = sigtimedwait(sigbit(RT3), &mut info, Some(&timed(5000)));
    s.join();
    check!(
        r == RT3 as isize && info.value() == 88,
        "sig_wait: process-directed gave {} value {}",
        r,
        info.value()
    );
    println!("PASS sig_wait: sigtimedwait takes a process-directed signal the other threads block");

    on_signal(SIGHUP, handler, 0, 0);
    let s = start(send_hup, 0);
    let r = sigtimedwait(sigbit(SIGUSR2), &mut info, Some(&timed(5000)));
    s.join();
    check!(
        r == -EINTR && HANDLED.load(Ordering::SeqCst) == 1,
        "sig_wait: SIGHUP during sigtimedwait gave {}",
        r
    );
    println!("PASS sig_wait: another deliverable signal ends sigtimedwait with EINTR");

    // Process-directed SIGUSR1: only the taker thread does not block it.
    on_signal(SIGUSR1, handler, 0, 0);
    let t = start(taker, 0);
    let taker_tid = t.tid.load(Ordering::SeqCst) as isize;
    for i in 0..3 {
        let before = HANDLED.load(Ordering::SeqCst);
        check!(kill(me, SIGUSR1) == 0, "sig_wait: kill");
        let mut n = 0;
        while HANDLED.load(Ordering::SeqCst) == before && n < 300 {
            sleep_ms(10);
            n += 1;
        }
        check!(
            HANDLED.load(Ordering::SeqCst) == before + 1,
            "sig_wait: SIGUSR1 #{} not handled",
            i
        );
        check!(
            HANDLER_TID.load(Ordering::SeqCst) == taker_tid,
            "sig_wait: SIGUSR1 #{} ran on tid {}, not {}",
            i,
            HANDLER_TID.load(Ordering::SeqCst),
            taker_tid
        );
    }
    t.join();
    check!(sigpending() == 0, "sig_wait: main has {:#x} pending", sigpending());
    println!(
        "PASS sig_wait: a process-directed signal is taken by the thread that does not block it"
    );
    println!("PASS sig_wait");
    0
}

entry!(main);
