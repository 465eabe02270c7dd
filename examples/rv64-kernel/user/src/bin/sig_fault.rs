//! Faults become signals a handler can catch: SIGSEGV with SEGV_MAPERR
//! (unmapped, or a kernel address) or SEGV_ACCERR (mapped without the
//! permission) and si_addr = the faulting address; SIGILL (ILL_ILLOPC) and
//! SIGTRAP (TRAP_BRKPT) with si_addr = the instruction. The ucontext pc is
//! the faulting instruction; the handler moves it past the instruction and
//! sigreturn resumes there. A fault whose signal is blocked or ignored, or
//! a fault inside the SIGSEGV handler, kills the process with SIGSEGV.
#![no_std]
#![no_main]

use core::arch::global_asm;
use core::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use user::*;

// Each faulting instruction is 4 bytes (no compressed encodings) and
// exported, so the handler can skip it and the test can compare addresses.
global_asm!(
    ".text",
    ".option push",
    ".option norvc",
    ".globl fault_store",
    "fault_store:",
    ".globl fault_store_insn",
    "fault_store_insn:",
    "    sd zero, 0(a0)",
    "    ret",
    ".globl fault_load",
    "fault_load:",
    ".globl fault_load_insn",
    "fault_load_insn:",
    "    ld a0, 0(a0)",
    "    ret",
    ".globl fault_ill",
    "fault_ill:",
    ".globl fault_ill_insn",
    "fault_ill_insn:",
    "    .4byte 0xc0001073", // csrw cycle, zero: cycle is read-only
    "    ret",
    ".globl fault_brk",
    "fault_brk:",
    ".globl fault_brk_insn",
    "fault_brk_insn:",
    "    ebreak",
    "    ret",
    ".option pop",
);

unsafe extern "C" {
    fn fault_store(addr: usize);
    fn fault_load(addr: usize) -> u64;
    fn fault_ill();
    fn fault_brk();
    fn fault_store_insn();
    fn fault_load_insn();
    fn fault_ill_insn();
    fn fault_brk_insn();
}

static SIGNO: AtomicI32 = AtomicI32::new(0);
static CODE: AtomicI32 = AtomicI32::new(0);
static ADDR: AtomicU64 = AtomicU64::new(0);
static PC: AtomicU64 = AtomicU64::new(0);
static MASK: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn skip(sig: i32, info: *mut SigInfo, uc: *mut UContext) {
    // SAFETY: the kernel passes valid pointers into the signal frame, which
    // the handler may modify (sigreturn restores from it).
    let (info, uc) = unsafe { (&*info, &mut *uc) };
    SIGNO.store(sig, Ordering::SeqCst);
    CODE.store(info.code(), Ordering::SeqCst);
    ADDR.store(info.addr(), Ordering::SeqCst);
    PC.store(uc.mcontext.regs[REG_PC], Ordering::SeqCst);
    MASK.store(sigmask(), Ordering::SeqCst);
    CALLS.fetch_add(1, Ordering::SeqCst);
    uc.mcontext.regs[REG_PC] += 4;
}

fn caught(what: &str, sig: usize, code: i32, addr: u64, pc: u64, f: impl FnOnce()) {
    let before = CALLS.load(Ordering::SeqCst);
    f();
    check!(
        CALLS.load(Ordering::SeqCst) == before + 1,
        "sig_fault: {}: handler ran {} times",
        what,
        CALLS.load(Ordering::SeqCst) - before
    );
    let (s, c, a, p) = (
        SIGNO.load(Ordering::SeqCst),
        CODE.load(Ordering::SeqCst),
        ADDR.load(Ordering::SeqCst),
        PC.load(Ordering::SeqCst),
    );
    check!(
        s == sig as i32 && c == code && a == addr && p == pc,
        "sig_fault: {}: sig {} code {} addr {:#x} pc {:#x}, want {} {} {:#x} {:#x}",
        what,
        s,
        c,
        a,
        p,
        sig,
        code,
        addr,
        pc
    );
    check!(
        MASK.load(Ordering::SeqCst) & sigbit(sig) != 0,
        "sig_fault: {}: signal not blocked in its handler",
        what
    );
}

fn main() -> i32 {
    for sig in [SIGSEGV, SIGILL, SIGTRAP] {
        on_signal(sig, skip, 0, 0);
    }
    // Each closure faults on purpose; the handler skips the faulting
    // instruction, and nothing is written anywhere.
    let store_pc = fault_store_insn as *const () as usize as u64;
    caught("store to 0x10", SIGSEGV, SEGV_MAPERR, 0x10, store_pc, || {
        // SAFETY: a deliberate fault at an unmapped address (see above).
        unsafe { fault_store(0x10) }
    });
    let text = main as *const () as usize;
    caught("store to text", SIGSEGV, SEGV_ACCERR, text as u64, store_pc, || {
        // SAFETY: a deliberate fault on our read-only text (see above).
        unsafe { fault_store(text) }
    });
    let load_pc = fault_load_insn as *const () as usize as u64;
    caught("load from the kernel", SIGSEGV, SEGV_MAPERR, 0x8020_0000, load_pc, || {
        // SAFETY: a deliberate fault on a kernel (non-U) page (see above).
        unsafe { fault_load(0x8020_0000) };
    });
    check!(sigmask() == 0, "sig_fault: mask {:#x} after the handlers", sigmask());
    println!(
        "PASS sig_fault: SIGSEGV caught: SEGV_MAPERR / SEGV_ACCERR, si_addr, uc pc; resumed past the fault"
    );

    let ill = fault_ill_insn as *const () as usize as u64;
    caught("illegal instruction", SIGILL, ILL_ILLOPC, ill, ill, || {
        // SAFETY: a deliberate illegal instruction (see above).
        unsafe { fault_ill() }
    });
    let brk = fault_brk_insn as *const () as usize as u64;
    caught("ebreak", SIGTRAP, TRAP_BRKPT, brk, brk, || {
        // SAFETY: a deliberate breakpoint (see above).
        unsafe { fault_brk() }
    });
    println!(
        "PASS sig_fault: SIGILL (ILL_ILLOPC) and SIGTRAP (TRAP_BRKPT) caught with si_addr = the instruction"
    );

    let blocked = in_child(|| {
        on_signal(SIGSEGV, skip, 0, 0);
        sigprocmask(SIG_BLOCK, sigbit(SIGSEGV));
        // SAFETY: deliberate fault; the process dies.
        unsafe { fault_store(0x10) };
        1
    });
    let ignored = in_child(|| {
        sigaction(SIGSEGV, SIG_IGN, 0, 0);
        // SAFETY: deliberate fault; the process dies.
        unsafe { fault_store(0x10) };
        1
    });
    let nested = in_child(|| {
        on_signal(SIGSEGV, fault_again, 0, 0);
        // SAFETY: deliberate fault; the handler faults again and the process dies.
        unsafe { fault_store(0x10) };
        1
    });
    let segv = SIGSEGV as i32;
    check!(
        blocked == segv && ignored == segv && nested == segv,
        "sig_fault: blocked {:#x} ignored {:#x} nested {:#x}",
        blocked,
        ignored,
        nested
    );
    println!(
        "PASS sig_fault: a fault with SIGSEGV blocked, ignored, or inside its handler kills with SIGSEGV"
    );
    println!("PASS sig_fault");
    0
}

extern "C" fn fault_again(_sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {
    // SAFETY: deliberate fault while SIGSEGV is blocked (in its handler).
    unsafe { fault_store(0x20) };
}

entry!(main);
