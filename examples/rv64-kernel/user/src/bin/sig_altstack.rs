//! sigaltstack and SA_ONSTACK: a handler with SA_ONSTACK runs on the
//! alternate stack and comes back to the interrupted stack; while on it,
//! sigaltstack reports SS_ONSTACK and refuses changes (EPERM), a nested
//! SA_ONSTACK signal goes further down the same alternate stack, and a
//! handler without SA_ONSTACK stays on the normal stack. SS_AUTODISARM
//! disarms the stack while the handler runs. A new thread has no alternate
//! stack, a forked child inherits it, and an alternate stack that cannot
//! hold the frame ends the process with SIGSEGV.
#![no_std]
#![no_main]

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicIsize, AtomicU64, AtomicUsize, Ordering};
use user::thread::{Stack, spawn};
use user::*;

const ALT_SIZE: usize = 16384;

#[repr(C, align(16))]
struct AltStack(UnsafeCell<[u8; ALT_SIZE]>);
// SAFETY: only the kernel writes to it (signal frames) and the handlers run
// on it; the program never reads or writes it as data.
unsafe impl Sync for AltStack {}
static ALT: AltStack = AltStack(UnsafeCell::new([0; ALT_SIZE]));

fn alt_base() -> usize {
    ALT.0.get() as usize
}

fn on_alt(sp: u64) -> bool {
    let sp = sp as usize;
    sp > alt_base() && sp <= alt_base() + ALT_SIZE
}

static SP1: AtomicU64 = AtomicU64::new(0);
static SP2: AtomicU64 = AtomicU64::new(0);
static UC_SP: AtomicU64 = AtomicU64::new(0);
static UC_STACK: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
static FLAGS_INSIDE: AtomicI32 = AtomicI32::new(0);
static SET_INSIDE: AtomicIsize = AtomicIsize::new(0);
static NEST: AtomicBool = AtomicBool::new(false);
static CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn outer(_sig: i32, _info: *mut SigInfo, uc: *mut UContext) {
    SP1.store(stack_pointer() as u64, Ordering::SeqCst);
    // SAFETY: the kernel passes a valid ucontext in the signal frame.
    let uc = unsafe { &*uc };
    UC_SP.store(uc.mcontext.regs[REG_SP], Ordering::SeqCst);
    UC_STACK[0].store(uc.uc_stack.ss_sp as u64, Ordering::SeqCst);
    UC_STACK[1].store(uc.uc_stack.ss_flags as u32 as u64, Ordering::SeqCst);
    UC_STACK[2].store(uc.uc_stack.ss_size as u64, Ordering::SeqCst);
    FLAGS_INSIDE.store(current_altstack().ss_flags, Ordering::SeqCst);
    let other = StackT { ss_sp: alt_base(), ss_flags: 0, ss_size: MINSIGSTKSZ };
    SET_INSIDE.store(sigaltstack(Some(&other), None), Ordering::SeqCst);
    if NEST.swap(false, Ordering::SeqCst) {
        raise(SIGUSR2);
    }
    CALLS.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn inner(_sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {
    SP2.store(stack_pointer() as u64, Ordering::SeqCst);
    CALLS.fetch_add(1, Ordering::SeqCst);
}

static THREAD_FLAGS: AtomicI32 = AtomicI32::new(0);
static STACK: Stack<16384> = Stack::new();
static TID: AtomicI32 = AtomicI32::new(0);

extern "C" fn thread_main(_: usize) -> i32 {
    THREAD_FLAGS.store(current_altstack().ss_flags, Ordering::SeqCst);
    0
}

fn main() -> i32 {
    let off = current_altstack();
    check!(off.ss_flags == SS_DISABLE && off.ss_size == 0, "sig_altstack: initial {:?}", off);
    let small = StackT { ss_sp: alt_base(), ss_flags: 0, ss_size: MINSIGSTKSZ - 1 };
    check!(sigaltstack(Some(&small), None) == -ENOMEM, "sig_altstack: small stack accepted");
    let bad = StackT { ss_sp: alt_base(), ss_flags: 7, ss_size: ALT_SIZE };
    check!(sigaltstack(Some(&bad), None) == -EINVAL, "sig_altstack: bad flags accepted");
    let alt = StackT { ss_sp: alt_base(), ss_flags: 0, ss_size: ALT_SIZE };
    let mut old = StackT::default();
    check!(
        sigaltstack(Some(&alt), Some(&mut old)) == 0 && old.ss_flags == SS_DISABLE,
        "sig_altstack: set"
    );
    check!(current_altstack() == alt, "sig_altstack: query {:?}", current_altstack());
    println!("PASS sig_altstack: sigaltstack set/query, ENOMEM and EINVAL");

    // SA_ONSTACK handler, with a nested SA_ONSTACK signal.
    on_signal(SIGUSR1, outer, SA_ONSTACK, 0);
    on_signal(SIGUSR2, inner, SA_ONSTACK, 0);
    NEST.store(true, Ordering::SeqCst);
    let main_sp = stack_pointer() as u64;
    raise(SIGUSR1);
    check!(
        CALLS.load(Ordering::SeqCst) == 2,
        "sig_altstack: handlers ran {} times",
        CALLS.load(Ordering::SeqCst)
    );
    let (sp1, sp2) = (SP1.load(Ordering::SeqCst), SP2.load(Ordering::SeqCst));
    check!(on_alt(sp1), "sig_altstack: handler sp {:#x} not on the alternate stack", sp1);
    check!(
        on_alt(sp2) && sp2 <= sp1 - 1088,
        "sig_altstack: nested handler sp {:#x} (outer {:#x})",
        sp2,
        sp1
    );
    check!(
        !on_alt(UC_SP.load(Ordering::SeqCst)) && UC_SP.load(Ordering::SeqCst) <= main_sp,
        "sig_altstack: uc sp {:#x}",
        UC_SP.load(Ordering::SeqCst)
    );
    check!(
        UC_STACK[0].load(Ordering::SeqCst) == alt_base() as u64
            && UC_STACK[1].load(Ordering::SeqCst) == 0
            && UC_STACK[2].load(Ordering::SeqCst) == ALT_SIZE as u64,
        "sig_altstack: uc_stack"
    );
    check!(
        FLAGS_INSIDE.load(Ordering::SeqCst) == SS_ONSTACK,
        "sig_altstack: flags in handler {}",
        FLAGS_INSIDE.load(Ordering::SeqCst)
    );
    check!(
        SET_INSIDE.load(Ordering::SeqCst) == -EPERM,
        "sig_altstack: change while on it gave {}",
        SET_INSIDE.load(Ordering::SeqCst)
    );
    check!(
        !on_alt(stack_pointer() as u64) && current_altstack() == alt,
        "sig_altstack: not back on the normal stack"
    );
    println!(
        "PASS sig_altstack: SA_ONSTACK handler on the alternate stack (SS_ONSTACK, EPERM), nested further down, and back"
    );

    // Without SA_ONSTACK: the normal stack.
    on_signal(SIGUSR2, inner, 0, 0);
    raise(SIGUSR2);
    check!(
        !on_alt(SP2.load(Ordering::SeqCst)),
        "sig_altstack: handler without SA_ONSTACK on the alternate stack"
    );
    println!("PASS sig_altstack: a handler without SA_ONSTACK stays on the normal stack");

    // SS_AUTODISARM: disarmed in the handler, restored by sigreturn.
    let auto = StackT { ss_flags: SS_AUTODISARM, ..alt };
    check!(sigaltstack(Some(&auto), None) == 0, "sig_altstack: SS_AUTODISARM");
    raise(SIGUSR1);
    check!(
        on_alt(SP1.load(Ordering::SeqCst)),
        "sig_altstack: autodisarm handler not on the alternate stack"
    );
    check!(
        FLAGS_INSIDE.load(Ordering::SeqCst) == SS_DISABLE,
        "sig_altstack: autodisarm flags in handler {}",
        FLAGS_INSIDE.load(Ordering::SeqCst)
    );
    check!(
        SET_INSIDE.load(Ordering::SeqCst) == 0,
        "sig_altstack: change while disarmed gave {}",
        SET_INSIDE.load(Ordering::SeqCst)
    );
    check!(
        UC_STACK[1].load(Ordering::SeqCst) as u32 as i32 == SS_AUTODISARM,
        "sig_altstack: uc_stack flags"
    );
    check!(current_altstack() == auto, "sig_altstack: after autodisarm {:?}", current_altstack());
    println!(
        "PASS sig_altstack: SS_AUTODISARM disarms while the handler runs, sigreturn restores it"
    );

    // A thread starts without one; a forked child inherits it.
    let t =
        spawn(&STACK, &TID, thread_main, 0).unwrap_or_else(|e| fail!("sig_altstack: clone {}", e));
    t.join();
    check!(
        THREAD_FLAGS.load(Ordering::SeqCst) == SS_DISABLE,
        "sig_altstack: new thread has an alternate stack"
    );
    let status = in_child(|| if current_altstack().ss_sp == alt_base() { 0 } else { 1 });
    check!(status == 0, "sig_altstack: fork child status {:#x}", status);
    println!("PASS sig_altstack: new threads have none, fork children inherit it");

    // An alternate stack the frame cannot be written to: SIGSEGV.
    let status = in_child(|| {
        let unmapped = StackT { ss_sp: 0x2000_0000, ss_flags: 0, ss_size: 8192 };
        sigaltstack(Some(&unmapped), None);
        on_signal(SIGUSR1, outer, SA_ONSTACK, 0);
        raise(SIGUSR1);
        1
    });
    check!(
        status == SIGSEGV as i32,
        "sig_altstack: unwritable alternate stack: status {:#x}",
        status
    );
    println!("PASS sig_altstack: a frame that cannot be written kills with SIGSEGV");

    let disable = StackT { ss_sp: 0, ss_flags: SS_DISABLE, ss_size: 0 };
    check!(sigaltstack(Some(&disable), None) == 0, "sig_altstack: disable");
    check!(current_altstack().ss_flags == SS_DISABLE, "sig_altstack: still enabled");
    println!("PASS sig_altstack");
    0
}

entry!(main);
