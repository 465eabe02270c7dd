//! Job control at exit and a group stop that reaches a waiter.
//!
//! 1. Orphaned process group: a child puts itself in a process group of its
//!    own and stops (SIGSTOP); its parent, the group's only link to another
//!    group of the session, waits for the stop and exits. The kernel sends
//!    the newly orphaned group SIGHUP, then SIGCONT (SI_KERNEL): the child
//!    continues and its handlers see SIGHUP first (SIGCONT already pending,
//!    held back by the SIGHUP handler's sa_mask), then SIGCONT. A SIGTSTP it
//!    then sends its orphaned group is discarded: it runs on.
//! 2. PR_SET_PDEATHSIG: a child asks for SIGUSR1 at its parent's death and
//!    gets it (SI_USER, from the parent) when the parent exits.
//! 3. A thread waiting in rt_sigtimedwait lets its group stop: the parent's
//!    wait4(WUNTRACED) sees the stop and one CLD_STOPPED arrives while the
//!    waiter is still in its call; after SIGCONT (sent by two threads at
//!    once: one CLD_CONTINUED) the call returns EINTR.
//!
//! The children of tests 1 and 2 outlive their parents and print their own
//! PASS lines.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicI32, AtomicIsize, AtomicUsize, Ordering};
use user::thread::{Stack, spawn};
use user::*;

const PR_SET_PDEATHSIG: usize = 1;
const PR_GET_PDEATHSIG: usize = 2;

static STACKS: [Stack<16384>; 2] = [const { Stack::new() }; 2];
static TIDS: [AtomicI32; 2] = [const { AtomicI32::new(0) }; 2];

// ---- 1. The orphaned, stopped child.

/// Signals the child's handlers saw, in order, with their si_code.
static SEEN: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];
static CODES: [AtomicI32; 4] = [const { AtomicI32::new(-1) }; 4];
static N_SEEN: AtomicUsize = AtomicUsize::new(0);
/// Whether SIGCONT was already pending when the SIGHUP handler ran.
static CONT_PENDING_IN_HUP: AtomicUsize = AtomicUsize::new(0);

extern "C" fn record(sig: i32, info: *mut SigInfo, _uc: *mut UContext) {
    let n = N_SEEN.fetch_add(1, Ordering::SeqCst);
    if n < SEEN.len() {
        SEEN[n].store(sig as usize, Ordering::SeqCst);
        // SAFETY: the kernel passes a valid siginfo in the signal frame.
        CODES[n].store(unsafe { (*info).code() }, Ordering::SeqCst);
    }
    if sig as usize == SIGHUP && sigpending() & sigbit(SIGCONT) != 0 {
        CONT_PENDING_IN_HUP.store(1, Ordering::SeqCst);
    }
}

fn orphan() -> i32 {
    check!(setpgid(0, 0) == 0, "sig_orphan: setpgid");
    on_signal(SIGHUP, record, SA_SIGINFO, sigbit(SIGCONT));
    on_signal(SIGCONT, record, SA_SIGINFO, 0);
    raise(SIGSTOP);
    // Continued by the kernel once the parent exited; both handlers ran on
    // the way back from the stop.
    let n = N_SEEN.load(Ordering::SeqCst);
    let seen = |k: usize| SEEN[k].load(Ordering::SeqCst);
    let code = |k: usize| CODES[k].load(Ordering::SeqCst);
    check!(
        n == 2 && seen(0) == SIGHUP && seen(1) == SIGCONT,
        "sig_orphan: orphaned child saw {} signals: {} {}",
        n,
        seen(0),
        seen(1)
    );
    check!(
        code(0) == SI_KERNEL && code(1) == SI_KERNEL,
        "sig_orphan: si_code {} {}",
        code(0),
        code(1)
    );
    check!(
        CONT_PENDING_IN_HUP.load(Ordering::SeqCst) == 1,
        "sig_orphan: SIGCONT not pending in the SIGHUP handler"
    );
    check!(getppid() == 0, "sig_orphan: parent still {}", getppid());
    println!(
        "PASS sig_orphan: the stopped child of an exiting parent, alone in its orphaned group, gets SIGHUP then SIGCONT (SI_KERNEL)"
    );
    check!(kill(0, SIGTSTP) == 0, "sig_orphan: kill(0, SIGTSTP)");
    // Had it stopped, nothing would ever continue it (the run would hang).
    check!(sigpending() & sigbit(SIGTSTP) == 0, "sig_orphan: SIGTSTP pending");
    check!(N_SEEN.load(Ordering::SeqCst) == 2, "sig_orphan: a signal arrived after SIGTSTP");
    println!("PASS sig_orphan: SIGTSTP to the orphaned group is discarded");
    0
}

fn orphan_parent() -> i32 {
    let child = fork();
    if child == 0 {
        exit_group(orphan());
    }
    let (r, status) = wait4(child, WUNTRACED);
    check!(r == child && status == 0x137f, "sig_orphan: child did not stop: {} {:#x}", r, status);
    // Exit now: the child's group loses its link to the session.
    0
}

// ---- 2. PR_SET_PDEATHSIG.

fn pdeath_child() -> i32 {
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR1));
    check!(
        syscall(SYS_PRCTL, PR_SET_PDEATHSIG, 65, 0) == -EINVAL,
        "sig_orphan: PR_SET_PDEATHSIG 65"
    );
    check!(syscall(SYS_PRCTL, PR_SET_PDEATHSIG, SIGUSR1, 0) == 0, "sig_orphan: PR_SET_PDEATHSIG");
    let mut got: i32 = -1;
    check!(
        syscall(SYS_PRCTL, PR_GET_PDEATHSIG, &mut got as *mut i32 as usize, 0) == 0
            && got == SIGUSR1 as i32,
        "sig_orphan: PR_GET_PDEATHSIG gave {}",
        got
    );
    let parent = getppid();
    tell_parent_ready();
    let mut info = SigInfo::default();
    let r = sigtimedwait(sigbit(SIGUSR1), &mut info, Some(&Timespec::from_millis(10_000)));
    check!(r == SIGUSR1 as isize, "sig_orphan: no parent-death signal ({})", r);
    check!(
        info.code() == SI_USER && info.pid() as isize == parent,
        "sig_orphan: parent-death siginfo code {} pid {} (parent {})",
        info.code(),
        info.pid(),
        parent
    );
    println!(
        "PASS sig_orphan: PR_SET_PDEATHSIG: SIGUSR1 (SI_USER, from the parent) when the parent exits; EINVAL for 65"
    );
    0
}

fn pdeath_parent() -> i32 {
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));
    fork_ready("sig_orphan: pdeath", 10_000, pdeath_child);
    0
}

// ---- 3. A waiter in rt_sigtimedwait and a group stop.

static WAIT_RESULT: AtomicIsize = AtomicIsize::new(1);

extern "C" fn waiter(_: usize) -> i32 {
    let mut info = SigInfo::default();
    let r = sigtimedwait(sigbit(SIGUSR1), &mut info, Some(&Timespec::from_millis(20_000)));
    WAIT_RESULT.store(r, Ordering::SeqCst);
    0
}

/// The stopped child: a thread waits for SIGUSR1 (blocked), the main thread
/// tells the parent (SIGUSR2) and waits for the waiter's result and then for
/// the parent's go (SIGUSR2) to exit. Exit 0: the wait returned EINTR.
fn stopped_waiter() -> i32 {
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR1) | sigbit(SIGUSR2));
    let t = match spawn(&STACKS[0], &TIDS[0], waiter, 0) {
        Ok(t) => t,
        Err(_) => return 4,
    };
    sleep_ms(50);
    tell_parent_ready();
    t.join();
    let r = WAIT_RESULT.load(Ordering::SeqCst);
    let mut info = SigInfo::default();
    sigtimedwait(sigbit(SIGUSR2), &mut info, Some(&Timespec::from_millis(10_000)));
    if r == -EINTR { 0 } else { 2 }
}

static TARGET: AtomicIsize = AtomicIsize::new(0);
static GO: AtomicUsize = AtomicUsize::new(0);

extern "C" fn second_sigcont(_: usize) -> i32 {
    while GO.load(Ordering::SeqCst) == 0 {
        core::hint::spin_loop();
    }
    kill(TARGET.load(Ordering::SeqCst), SIGCONT);
    0
}

/// This program's SIGCHLDs.
const CHLD: ChildEvents = ChildEvents { prog: "sig_orphan", wait_ms: 10_000, quiet_ms: 100 };

fn main() -> i32 {
    sigprocmask(SIG_BLOCK, sigbit(SIGCHLD) | sigbit(SIGUSR2));

    // 1 and 2: the parents exit, their children carry on alone.
    let status = in_child(orphan_parent);
    check!(status == 0, "sig_orphan: orphan's parent: status {:#x}", status);
    let status = in_child(pdeath_parent);
    check!(status == 0, "sig_orphan: pdeath parent: status {:#x}", status);
    let mut info = SigInfo::default();
    while sigtimedwait(sigbit(SIGCHLD), &mut info, Some(&Timespec::from_millis(0))) > 0 {}

    // 3.
    let child = fork_ready("sig_orphan: waiter", 10_000, stopped_waiter);
    check!(kill(child, SIGSTOP) == 0, "sig_orphan: kill(SIGSTOP)");
    CHLD.expect("stop", CLD_STOPPED, child, SIGSTOP as i32);
    let (r, status) = wait4(child, WUNTRACED);
    check!(r == child && status == 0x137f, "sig_orphan: wait4(WUNTRACED) gave {} {:#x}", r, status);
    check!(wait4(child, WNOHANG) == (0, 0), "sig_orphan: stopped child ended");
    TARGET.store(child, Ordering::SeqCst);
    let t = spawn(&STACKS[1], &TIDS[1], second_sigcont, 0)
        .unwrap_or_else(|e| fail!("sig_orphan: clone {}", e));
    sleep_ms(20);
    GO.store(1, Ordering::SeqCst);
    check!(kill(child, SIGCONT) == 0, "sig_orphan: kill(SIGCONT)");
    t.join();
    CHLD.expect("continue", CLD_CONTINUED, child, SIGCONT as i32);
    CHLD.none("second continue");
    check!(wait4(child, WCONTINUED) == (child, 0xffff), "sig_orphan: wait4(WCONTINUED)");
    println!("PASS sig_orphan: two concurrent SIGCONTs: one CLD_CONTINUED");
    kill(child, SIGUSR2);
    let (r, status) = wait4(child, 0);
    check!(
        r == child && status == 0,
        "sig_orphan: waiter's sigtimedwait across the stop: {} {:#x}",
        r,
        status
    );
    CHLD.expect("exit", CLD_EXITED, child, 0);
    println!(
        "PASS sig_orphan: a thread in sigtimedwait lets its group stop (CLD_STOPPED, wait4 WUNTRACED 0x137f) and gets EINTR after SIGCONT"
    );
    println!("PASS sig_orphan");
    0
}

entry!(main);
