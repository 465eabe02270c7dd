//! Nested handlers: a signal raised inside its own handler waits until the
//! handler returns (it is blocked while the handler runs), unless
//! SA_NODEFER; another signal nests, unless it is in sa_mask. Two signals
//! made deliverable at once get two frames on one return to user space, the
//! later-dequeued handler running first. SA_RESETHAND resets the action.
//! Every handler returns through sigreturn with the mask restored.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use user::*;

const ENTER: u32 = 0;
const EXIT: u32 = 1;

/// Events: sig * 100 + depth * 10 + ENTER/EXIT.
static LOG: [AtomicU32; 16] = [const { AtomicU32::new(0) }; 16];
static LEN: AtomicUsize = AtomicUsize::new(0);
static DEPTH: AtomicU32 = AtomicU32::new(0);
/// What the handler of each signal does on its first run (see `Action`).
static ON_ENTRY: [AtomicU32; 2] = [const { AtomicU32::new(0) }; 2];
static PENDING_SEEN: AtomicU64 = AtomicU64::new(0);
static MASK_SEEN: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Copy)]
#[repr(u32)]
enum Action {
    Nothing = 0,
    RaiseUsr1 = 1,
    RaiseUsr2 = 2,
}

fn log(sig: i32, depth: u32, what: u32) {
    let i = LEN.fetch_add(1, Ordering::SeqCst);
    LOG[i].store(sig as u32 * 100 + depth * 10 + what, Ordering::SeqCst);
}

fn slot(sig: i32) -> usize {
    if sig == SIGUSR1 as i32 { 0 } else { 1 }
}

extern "C" fn handler(sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {
    let depth = DEPTH.fetch_add(1, Ordering::SeqCst) + 1;
    log(sig, depth, ENTER);
    MASK_SEEN.fetch_or(sigmask(), Ordering::SeqCst);
    match ON_ENTRY[slot(sig)].swap(Action::Nothing as u32, Ordering::SeqCst) {
        1 => {
            raise(SIGUSR1);
        }
        2 => {
            raise(SIGUSR2);
        }
        _ => {}
    }
    PENDING_SEEN.fetch_or(sigpending(), Ordering::SeqCst);
    log(sig, depth, EXIT);
    DEPTH.fetch_sub(1, Ordering::SeqCst);
}

/// Runs one scenario: installs the actions, runs `trigger`, compares the log.
fn scenario(
    name: &str,
    flags: [u64; 2],
    masks: [u64; 2],
    first: [Action; 2],
    trigger: fn(),
    want: &[u32],
) {
    LEN.store(0, Ordering::SeqCst);
    PENDING_SEEN.store(0, Ordering::SeqCst);
    MASK_SEEN.store(0, Ordering::SeqCst);
    for (i, sig) in [SIGUSR1, SIGUSR2].into_iter().enumerate() {
        check!(on_signal(sig, handler, flags[i], masks[i]) == 0, "sig_nested: rt_sigaction");
        ON_ENTRY[i].store(first[i] as u32, Ordering::SeqCst);
    }
    let before = sigmask();
    trigger();
    let n = LEN.load(Ordering::SeqCst);
    let got: [u32; 16] = core::array::from_fn(|i| LOG[i].load(Ordering::SeqCst));
    check!(&got[..n] == want, "sig_nested: {}: events {:?}, want {:?}", name, &got[..n], want);
    check!(
        sigmask() == before,
        "sig_nested: {}: mask {:#x} after the handlers, was {:#x}",
        name,
        sigmask(),
        before
    );
    check!(DEPTH.load(Ordering::SeqCst) == 0, "sig_nested: {}: depth", name);
}

fn raise_usr1() {
    raise(SIGUSR1);
}

/// Both pending and blocked, then unblocked by one rt_sigprocmask.
fn unblock_both() {
    let both = sigbit(SIGUSR1) | sigbit(SIGUSR2);
    sigprocmask(SIG_BLOCK, both);
    raise(SIGUSR2);
    raise(SIGUSR1);
    raise(SIGUSR1); // a standard signal pending twice is delivered once
    check!(sigpending() == both, "sig_nested: pending {:#x}", sigpending());
    sigprocmask(SIG_UNBLOCK, both);
}

const U1: u32 = 1000;
const U2: u32 = 1200;

fn main() -> i32 {
    let none = [Action::Nothing, Action::Nothing];
    // The handler raises its own signal: deferred until it returns.
    scenario(
        "defer",
        [0, 0],
        [0, 0],
        [Action::RaiseUsr1, Action::Nothing],
        raise_usr1,
        &[U1 + 10, U1 + 11, U1 + 10, U1 + 11],
    );
    check!(
        PENDING_SEEN.load(Ordering::SeqCst) & sigbit(SIGUSR1) != 0,
        "sig_nested: re-raised SIGUSR1 was not pending in its handler"
    );
    check!(
        MASK_SEEN.load(Ordering::SeqCst) & sigbit(SIGUSR1) != 0,
        "sig_nested: SIGUSR1 not blocked in its handler"
    );
    println!("PASS sig_nested: a signal raised in its own handler waits until the handler returns");

    scenario(
        "nodefer",
        [SA_NODEFER, 0],
        [0, 0],
        [Action::RaiseUsr1, Action::Nothing],
        raise_usr1,
        &[U1 + 10, U1 + 20, U1 + 21, U1 + 11],
    );
    check!(
        MASK_SEEN.load(Ordering::SeqCst) & sigbit(SIGUSR1) == 0,
        "sig_nested: SA_NODEFER handler ran with its signal blocked"
    );
    println!("PASS sig_nested: SA_NODEFER lets the handler be interrupted by its own signal");

    scenario(
        "nest",
        [0, 0],
        [0, 0],
        [Action::RaiseUsr2, Action::Nothing],
        raise_usr1,
        &[U1 + 10, U2 + 20, U2 + 21, U1 + 11],
    );
    let both = sigbit(SIGUSR1) | sigbit(SIGUSR2);
    check!(
        MASK_SEEN.load(Ordering::SeqCst) & both == both,
        "sig_nested: nested handler mask {:#x}",
        MASK_SEEN.load(Ordering::SeqCst)
    );
    println!("PASS sig_nested: another signal nests inside a running handler");

    scenario(
        "sa_mask",
        [0, 0],
        [sigbit(SIGUSR2), 0],
        [Action::RaiseUsr2, Action::Nothing],
        raise_usr1,
        &[U1 + 10, U1 + 11, U2 + 10, U2 + 11],
    );
    println!("PASS sig_nested: a signal in sa_mask waits until the handler returns");

    // Two frames on one return: SIGUSR1 is dequeued first, so SIGUSR2's
    // frame is on top and its handler runs first.
    scenario(
        "two pending",
        [0, 0],
        [0, 0],
        none,
        unblock_both,
        &[U2 + 10, U2 + 11, U1 + 10, U1 + 11],
    );
    // ...unless SIGUSR1's sa_mask blocks SIGUSR2 once its frame is pushed.
    scenario(
        "two pending, masked",
        [0, 0],
        [sigbit(SIGUSR2), 0],
        none,
        unblock_both,
        &[U1 + 10, U1 + 11, U2 + 10, U2 + 11],
    );
    println!("PASS sig_nested: two pending signals, two frames, handlers run in Linux's order");

    check!(on_signal(SIGUSR2, handler, SA_RESETHAND, 0) == 0, "sig_nested: rt_sigaction");
    raise(SIGUSR2);
    let act = get_action(SIGUSR2);
    check!(act.handler == SIG_DFL, "sig_nested: SA_RESETHAND left handler {:#x}", act.handler);
    println!("PASS sig_nested: SA_RESETHAND resets the action on delivery");
    println!("PASS sig_nested");
    0
}

entry!(main);
