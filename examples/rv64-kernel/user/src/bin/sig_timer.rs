//! POSIX timers and their signals (timer_create, timer_settime,
//! timer_gettime, timer_getoverrun, timer_delete), and SIGALRM from
//! setitimer (what `alarm` is on riscv64): Linux's argument errors; a
//! periodic timer whose signal stays blocked for five periods delivers one
//! SI_TIMER signal with si_overrun 4; a SIGEV_THREAD_ID timer's signal
//! reaches only its thread; the signal of a timer deleted while it is
//! pending is never delivered (Linux 6.18 drops it at dequeue).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicIsize, AtomicUsize, Ordering};
use user::thread::{Stack, spawn};
use user::*;

const RT1: usize = SIGRTMIN + 1;
const RT2: usize = SIGRTMIN + 2;
const PERIOD_MS: i64 = 200;

/// `struct sigevent` (64 bytes): value, signo, notify, then the union whose
/// first word is the thread id.
#[repr(C)]
#[derive(Clone, Copy)]
struct SigEvent {
    value: u64,
    signo: i32,
    notify: i32,
    tid: i32,
    pad: [i32; 11],
}

fn sigevent(notify: i32, signo: usize, value: u64, tid: i32) -> SigEvent {
    SigEvent { value, signo: signo as i32, notify, tid, pad: [0; 11] }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Itimerspec {
    interval: Timespec,
    value: Timespec,
}

fn ms(ms: i64) -> Timespec {
    Timespec { tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000 }
}

fn timer_create(clock: usize, ev: Option<&SigEvent>) -> Result<i32, isize> {
    let mut id: i32 = -1;
    let ev = ev.map_or(0, |e| e as *const SigEvent as usize);
    let r = syscall(SYS_TIMER_CREATE, clock, ev, &mut id as *mut i32 as usize);
    if r == 0 { Ok(id) } else { Err(r) }
}

fn timer_settime(id: i32, value: Timespec, interval: Timespec) -> isize {
    let spec = Itimerspec { interval, value };
    syscall6(SYS_TIMER_SETTIME, [id as usize, 0, &spec as *const Itimerspec as usize, 0, 0, 0])
}

fn timer_gettime(id: i32) -> Result<Itimerspec, isize> {
    let mut cur = Itimerspec::default();
    let r = syscall(SYS_TIMER_GETTIME, id as usize, &mut cur as *mut Itimerspec as usize, 0);
    if r == 0 { Ok(cur) } else { Err(r) }
}

fn timer_getoverrun(id: i32) -> isize {
    syscall(SYS_TIMER_GETOVERRUN, id as u32 as usize, 0, 0)
}

fn timer_delete(id: i32) -> isize {
    syscall(SYS_TIMER_DELETE, id as u32 as usize, 0, 0)
}

fn timer_id(info: &SigInfo) -> i32 {
    info.pid() // si_tid shares si_pid's offset
}

fn overrun(info: &SigInfo) -> i32 {
    info.uid() // si_overrun shares si_uid's offset
}

fn errors() {
    let ok = sigevent(SIGEV_SIGNAL, RT1, 0, 0);
    check!(timer_create(99, Some(&ok)) == Err(-EINVAL), "sig_timer: clock 99 accepted");
    check!(
        timer_create(CLOCK_REALTIME, Some(&sigevent(3, RT1, 0, 0))) == Err(-EINVAL),
        "sig_timer: sigev_notify 3 accepted"
    );
    check!(
        timer_create(CLOCK_REALTIME, Some(&sigevent(SIGEV_SIGNAL, 0, 0, 0))) == Err(-EINVAL),
        "sig_timer: signal 0 accepted"
    );
    check!(
        timer_create(CLOCK_REALTIME, Some(&sigevent(SIGEV_SIGNAL, 65, 0, 0))) == Err(-EINVAL),
        "sig_timer: signal 65 accepted"
    );
    let foreign = sigevent(SIGEV_THREAD_ID, RT1, 0, 1); // pid 1's thread is not ours
    check!(
        timer_create(CLOCK_REALTIME, Some(&foreign)) == Err(-EINVAL),
        "sig_timer: another process's thread accepted"
    );
    check!(
        timer_create(CLOCK_REALTIME, Some(&sigevent(SIGEV_THREAD_ID, RT1, 0, 99999)))
            == Err(-EINVAL),
        "sig_timer: a missing thread accepted"
    );
    let r = syscall(SYS_TIMER_CREATE, CLOCK_REALTIME, 16, 0);
    check!(r == -EFAULT, "sig_timer: unreadable sigevent gave {}", r);
    check!(
        timer_getoverrun(12345) == -EINVAL && timer_getoverrun(-1) == -EINVAL,
        "sig_timer: timer_getoverrun of no timer"
    );
    check!(timer_delete(12345) == -EINVAL, "sig_timer: timer_delete of no timer");
    let none = timer_create(CLOCK_REALTIME, Some(&sigevent(SIGEV_NONE, 0, 0, 0)))
        .unwrap_or_else(|e| fail!("sig_timer: SIGEV_NONE {}", e));
    check!(
        timer_settime(none, Timespec { tv_sec: 0, tv_nsec: 1_000_000_000 }, ms(0)) == -EINVAL,
        "sig_timer: tv_nsec 1e9 accepted"
    );
    check!(
        timer_settime(none, Timespec { tv_sec: -1, tv_nsec: 0 }, ms(0)) == -EINVAL,
        "sig_timer: negative time accepted"
    );
    check!(
        syscall6(SYS_TIMER_SETTIME, [none as usize, 0, 0, 0, 0, 0]) == -EINVAL,
        "sig_timer: NULL new_value accepted"
    );
    check!(timer_delete(none) == 0, "sig_timer: timer_delete");
    check!(timer_delete(none) == -EINVAL, "sig_timer: a deleted timer found again");
    println!(
        "PASS sig_timer: timer_create/settime/getoverrun/delete: EINVAL and EFAULT as Linux gives them"
    );
}

fn overruns() {
    sigprocmask(SIG_BLOCK, sigbit(RT1));
    let id = timer_create(CLOCK_REALTIME, Some(&sigevent(SIGEV_SIGNAL, RT1, 0x1234_5678_9abc, 0)))
        .unwrap_or_else(|e| fail!("sig_timer: timer_create {}", e));
    let t0 = now_ns();
    check!(timer_settime(id, ms(PERIOD_MS), ms(PERIOD_MS)) == 0, "sig_timer: timer_settime");
    let cur = timer_gettime(id).unwrap_or_else(|e| fail!("sig_timer: timer_gettime {}", e));
    check!(
        cur.interval.as_nanos() == ms(PERIOD_MS).as_nanos() && cur.value.as_nanos() > 0,
        "sig_timer: timer_gettime read {:?}",
        cur
    );
    // Expiries at 1, 2, 3, 4 and 5 periods while the signal is blocked: one
    // signal queued, four overruns. Take it in the middle of the sixth period.
    sleep_ms((PERIOD_MS * 11 / 2) as u64);
    check!(sigpending() & sigbit(RT1) != 0, "sig_timer: timer signal not pending");
    let mut info = SigInfo::default();
    let r = sigtimedwait(sigbit(RT1), &mut info, Some(&Timespec::from_millis(0)));
    let at = (now_ns() - t0) as i64 / 1_000_000;
    check!(r == RT1 as isize, "sig_timer: sigtimedwait gave {}", r);
    check!(
        (PERIOD_MS * 5..PERIOD_MS * 6).contains(&at),
        "sig_timer: took the signal after {} ms, outside the sixth period (a slow host?)",
        at
    );
    check!(info.code() == SI_TIMER, "sig_timer: si_code {}", info.code());
    check!(timer_id(&info) == id, "sig_timer: si_timerid {} for timer {}", timer_id(&info), id);
    check!(info.value() == 0x1234_5678_9abc, "sig_timer: si_value {:#x}", info.value());
    check!(overrun(&info) == 4, "sig_timer: si_overrun {} after 5 periods blocked", overrun(&info));
    check!(timer_getoverrun(id) == 4, "sig_timer: timer_getoverrun {}", timer_getoverrun(id));
    let r = sigtimedwait(sigbit(RT1), &mut info, Some(&Timespec::from_millis(0)));
    check!(r == -EAGAIN, "sig_timer: a second timer signal was queued ({})", r);
    // Rearmed at delivery: the next expiry comes within a period.
    let r =
        sigtimedwait(sigbit(RT1), &mut info, Some(&Timespec::from_millis(PERIOD_MS as u64 * 3)));
    check!(
        r == RT1 as isize && overrun(&info) == 0,
        "sig_timer: after rearming: {} overrun {}",
        r,
        overrun(&info)
    );
    check!(timer_delete(id) == 0, "sig_timer: timer_delete");
    sigprocmask(SIG_UNBLOCK, sigbit(RT1));
    println!(
        "PASS sig_timer: a periodic timer blocked for 5 periods delivers one SI_TIMER signal (id, value) with si_overrun 4 = timer_getoverrun, then is rearmed"
    );
}

static CHILD_TID: AtomicIsize = AtomicIsize::new(0);
static HANDLER_TID: AtomicIsize = AtomicIsize::new(0);
static HANDLED: AtomicUsize = AtomicUsize::new(0);
static DONE: AtomicBool = AtomicBool::new(false);
static STACKS: [Stack<16384>; 1] = [const { Stack::new() }; 1];
static TIDS: [AtomicI32; 1] = [const { AtomicI32::new(0) }; 1];

extern "C" fn on_usr1(_sig: i32, info: *mut SigInfo, _uc: *mut UContext) {
    // SAFETY: SA_SIGINFO: a1 is a valid siginfo.
    let code = unsafe { (*info).code() };
    if code == SI_TIMER {
        HANDLER_TID.store(gettid(), Ordering::SeqCst);
        HANDLED.fetch_add(1, Ordering::SeqCst);
    }
}

extern "C" fn child(_: usize) -> i32 {
    CHILD_TID.store(gettid(), Ordering::SeqCst);
    while !DONE.load(Ordering::SeqCst) {
        sleep_ms(5);
    }
    0
}

fn thread_directed() {
    check!(on_signal(SIGUSR1, on_usr1, SA_RESTART, 0) == 0, "sig_timer: sigaction");
    let h =
        spawn(&STACKS[0], &TIDS[0], child, 0).unwrap_or_else(|e| fail!("sig_timer: clone {}", e));
    while CHILD_TID.load(Ordering::SeqCst) == 0 {
        sched_yield();
    }
    let tid = CHILD_TID.load(Ordering::SeqCst);
    let ev = sigevent(SIGEV_THREAD_ID, SIGUSR1, 7, tid as i32);
    let id = timer_create(CLOCK_REALTIME, Some(&ev))
        .unwrap_or_else(|e| fail!("sig_timer: SIGEV_THREAD_ID {}", e));
    // Three expiries, 20 ms apart; this thread spins, unblocked, the whole time.
    check!(timer_settime(id, ms(20), ms(20)) == 0, "sig_timer: timer_settime");
    let t0 = now_ns();
    while HANDLED.load(Ordering::SeqCst) < 3 && now_ns() - t0 < 10_000_000_000 {
        check!(
            sigpending() & sigbit(SIGUSR1) == 0,
            "sig_timer: SIGUSR1 pending for the main thread"
        );
    }
    check!(timer_delete(id) == 0, "sig_timer: timer_delete");
    check!(
        HANDLED.load(Ordering::SeqCst) >= 3,
        "sig_timer: {} thread-directed timer signals",
        HANDLED.load(Ordering::SeqCst)
    );
    check!(
        HANDLER_TID.load(Ordering::SeqCst) == tid,
        "sig_timer: handled by {} not {}",
        HANDLER_TID.load(Ordering::SeqCst),
        tid
    );
    DONE.store(true, Ordering::SeqCst);
    h.join();
    println!("PASS sig_timer: a SIGEV_THREAD_ID timer's signal reaches only its thread");
}

fn deleted_while_pending() {
    sigprocmask(SIG_BLOCK, sigbit(RT2));
    let id = timer_create(CLOCK_REALTIME, Some(&sigevent(SIGEV_SIGNAL, RT2, 1, 0)))
        .unwrap_or_else(|e| fail!("sig_timer: timer_create {}", e));
    check!(timer_settime(id, ms(10), ms(0)) == 0, "sig_timer: timer_settime");
    sleep_ms(50);
    check!(sigpending() & sigbit(RT2) != 0, "sig_timer: one-shot signal not pending");
    check!(timer_delete(id) == 0, "sig_timer: timer_delete");
    let mut info = SigInfo::default();
    let r = sigtimedwait(sigbit(RT2), &mut info, Some(&Timespec::from_millis(0)));
    check!(r == -EAGAIN, "sig_timer: a deleted timer's signal was delivered ({})", r);
    check!(sigpending() & sigbit(RT2) == 0, "sig_timer: the dropped signal is still pending");
    sigprocmask(SIG_UNBLOCK, sigbit(RT2));
    println!("PASS sig_timer: a timer deleted with its signal pending never delivers it");
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Itimerval {
    interval: [i64; 2],
    value: [i64; 2],
}

fn alarm() {
    sigprocmask(SIG_BLOCK, sigbit(SIGALRM));
    // alarm(s) is setitimer(ITIMER_REAL, {0, s}) on riscv64 (no alarm system call).
    let it = Itimerval { interval: [0, 0], value: [0, 30_000] };
    check!(
        syscall(SYS_SETITIMER, 0, &it as *const Itimerval as usize, 0) == 0,
        "sig_timer: setitimer"
    );
    let mut info = SigInfo::default();
    let r = sigtimedwait(sigbit(SIGALRM), &mut info, Some(&Timespec::from_millis(5000)));
    check!(
        r == SIGALRM as isize && info.code() == SI_KERNEL,
        "sig_timer: setitimer gave {} code {}",
        r,
        info.code()
    );
    sigprocmask(SIG_UNBLOCK, sigbit(SIGALRM));
    println!("PASS sig_timer: setitimer (alarm) delivers SIGALRM from the kernel (SI_KERNEL)");
}

fn main() -> i32 {
    errors();
    overruns();
    thread_directed();
    deleted_while_pending();
    alarm();
    println!("PASS sig_timer");
    0
}

entry!(main);
