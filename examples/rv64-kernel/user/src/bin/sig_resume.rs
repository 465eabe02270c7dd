//! Asynchronous delivery and exact resume. The main thread spins in a loop
//! (no system calls) with a known value in every general register but sp
//! and in every FP register and fcsr. A sibling thread sends it a signal,
//! which is delivered when the timer preempted the loop. The handler sees
//! the interrupted pc/sp/registers in its ucontext, then overwrites every
//! register except sp and ra (gp, tp and s0-s11 included) before returning.
//! After sigreturn the loop must see every value unchanged.
#![no_std]
#![no_main]

use core::arch::global_asm;
use core::sync::atomic::{
    AtomicBool, AtomicI32, AtomicIsize, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
use user::thread::{Stack, spawn};
use user::*;

/// The value the loop keeps in xn.
const fn pattern(n: u64) -> u64 {
    0x5a00_0000_0000_0000 + n * 0x01_0101_0101
}

/// f0..f31, then fcsr (frm = 3, fflags = 0b00101).
#[unsafe(no_mangle)]
static FP_PATTERN: [u64; 33] = {
    let mut t = [0u64; 33];
    let mut i = 0;
    while i < 32 {
        t[i] = 0x3ff0_0000_0000_0000 + (i as u64) * 0x1_0000_0001;
        i += 1;
    }
    t[32] = 0x65;
    t
};

// spin_pattern(flag: *const u32, out: *mut [u64; 65]): loads the patterns,
// spins until *flag != 0, then stores x0..x31 (x0 slot unused), f0..f31 and
// fcsr to `out` and returns. x30 (t5) is the loop's scratch, x31 (t6) holds
// `flag`.
global_asm!(
    ".text",
    ".option push",
    ".option arch, +d",
    ".globl spin_pattern",
    "spin_pattern:",
    "    addi sp, sp, -144",
    "    sd ra, 0(sp)",
    "    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11",
    "    sd s\\n, 8+\\n*8(sp)",
    "    .endr",
    "    sd gp, 104(sp)",
    "    sd tp, 112(sp)",
    "    sd a1, 120(sp)",
    "    la t0, FP_PATTERN",
    f0_f31!("fld", "t0"),
    "    ld t1, 256(t0)",
    "    fscsr t1",
    "    mv t6, a0",
    "    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29",
    "    li x\\n, 0x5a00000000000000 + \\n * 0x0101010101",
    "    .endr",
    "    .globl spin_loop_start",
    "spin_loop_start:",
    "    lw t5, 0(t6)",
    "    beqz t5, spin_loop_start",
    "    .globl spin_loop_end",
    "spin_loop_end:",
    "    sd t6, 128(sp)",
    "    ld t6, 120(sp)",
    "    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30",
    "    sd x\\n, \\n*8(t6)",
    "    .endr",
    "    sd sp, 16(t6)",
    "    ld t5, 128(sp)",
    "    sd t5, 248(t6)",
    "    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "    fsd f\\n, 256+\\n*8(t6)",
    "    .endr",
    "    frcsr t5",
    "    sd t5, 512(t6)",
    "    ld ra, 0(sp)",
    "    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11",
    "    ld s\\n, 8+\\n*8(sp)",
    "    .endr",
    "    ld gp, 104(sp)",
    "    ld tp, 112(sp)",
    "    addi sp, sp, 144",
    "    ret",
    // The handler: records through the Rust part, then trashes every
    // register but sp and ra, and returns to the trampoline.
    ".globl trash_handler",
    "trash_handler:",
    "    addi sp, sp, -16",
    "    sd ra, 0(sp)",
    "    call {record}",
    "    ld ra, 0(sp)",
    "    addi sp, sp, 16",
    "    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "    li x\\n, 0xdead000000000000 + \\n",
    "    fmv.d.x f\\n, x\\n",
    "    .endr",
    "    fmv.d.x f0, x5",
    "    fmv.d.x f1, x6",
    "    fmv.d.x f2, x7",
    "    li t0, 0x9f",
    "    fscsr t0",
    "    ret",
    ".option pop",
    record = sym record,
);

unsafe extern "C" {
    fn spin_pattern(flag: *const u32, out: *mut [u64; 65]);
    fn trash_handler();
    fn spin_loop_start();
    fn spin_loop_end();
}

static FLAG: AtomicU32 = AtomicU32::new(0);
static READY: AtomicBool = AtomicBool::new(false);
static EARLY: AtomicUsize = AtomicUsize::new(0);
static UC_PC: AtomicU64 = AtomicU64::new(0);
static UC_SP: AtomicU64 = AtomicU64::new(0);
static UC_REGS_OK: AtomicBool = AtomicBool::new(false);
static HANDLER_TID: AtomicIsize = AtomicIsize::new(0);
static MAIN_TID: AtomicIsize = AtomicIsize::new(0);
static STACK: Stack<16384> = Stack::new();
static TID: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(_sig: i32, _info: *mut SigInfo, uc: *mut UContext) {
    // SAFETY: the kernel passes a valid ucontext in the signal frame.
    let uc = unsafe { &*uc };
    let pc = uc.mcontext.regs[REG_PC];
    let start = spin_loop_start as *const () as usize as u64;
    let end = spin_loop_end as *const () as usize as u64;
    HANDLER_TID.store(gettid(), Ordering::SeqCst);
    if !(start..end).contains(&pc) {
        // Delivered before the loop started (the sibling retries).
        EARLY.fetch_add(1, Ordering::SeqCst);
        return;
    }
    let mut ok = (3..30).all(|n| uc.mcontext.regs[n] == pattern(n as u64))
        && uc.mcontext.regs[1] == pattern(1);
    ok &= (0..32).all(|n| uc.mcontext.fpregs[n] == FP_PATTERN[n]);
    ok &= u64::from(uc.mcontext.fcsr) == FP_PATTERN[32];
    UC_REGS_OK.store(ok, Ordering::SeqCst);
    UC_PC.store(pc, Ordering::SeqCst);
    UC_SP.store(uc.mcontext.regs[REG_SP], Ordering::SeqCst);
    FLAG.store(1, Ordering::SeqCst);
}

/// Sends SIGUSR1 to the main thread until the handler saw it in the loop.
extern "C" fn sender(_: usize) -> i32 {
    while !READY.load(Ordering::SeqCst) {
        sched_yield();
    }
    let me = getpid();
    while FLAG.load(Ordering::SeqCst) == 0 {
        sleep_ms(15);
        tgkill(me, MAIN_TID.load(Ordering::SeqCst), SIGUSR1);
    }
    0
}

fn main() -> i32 {
    MAIN_TID.store(gettid(), Ordering::SeqCst);
    check!(
        sigaction(SIGUSR1, trash_handler as *const () as usize, SA_SIGINFO, 0) == 0,
        "sig_resume: rt_sigaction"
    );
    let t = spawn(&STACK, &TID, sender, 0).unwrap_or_else(|e| fail!("sig_resume: clone {}", e));
    let mut out = [0u64; 65];
    READY.store(true, Ordering::SeqCst);
    // SAFETY: `spin_pattern` restores every callee-saved register, gp and
    // tp, and writes only `out`; FLAG is a live static.
    unsafe { spin_pattern(FLAG.as_ptr(), &mut out) };
    t.join();
    check!(
        HANDLER_TID.load(Ordering::SeqCst) == MAIN_TID.load(Ordering::SeqCst),
        "sig_resume: handler ran on the wrong thread"
    );
    let pc = UC_PC.load(Ordering::SeqCst);
    check!(pc != 0, "sig_resume: handler never saw the loop");
    check!(
        UC_REGS_OK.load(Ordering::SeqCst),
        "sig_resume: ucontext does not hold the loop's registers"
    );
    check!(
        UC_SP.load(Ordering::SeqCst) == out[2],
        "sig_resume: uc sp {:#x} != loop sp {:#x}",
        UC_SP.load(Ordering::SeqCst),
        out[2]
    );
    println!(
        "PASS sig_resume: asynchronous signal interrupted the loop at pc {:#x}; ucontext holds its registers ({} early deliveries)",
        pc,
        EARLY.load(Ordering::SeqCst)
    );
    for n in (1..30).filter(|&n| n != 2) {
        check!(
            out[n] == pattern(n as u64),
            "sig_resume: x{} = {:#x} after sigreturn, want {:#x}",
            n,
            out[n],
            pattern(n as u64)
        );
    }
    check!(
        out[30] == 1 && out[31] == FLAG.as_ptr() as u64,
        "sig_resume: t5/t6 {:#x} {:#x}",
        out[30],
        out[31]
    );
    println!("PASS sig_resume: every general register restored after a handler that trashed them");
    for n in 0..32 {
        check!(
            out[32 + n] == FP_PATTERN[n],
            "sig_resume: f{} = {:#x} after sigreturn, want {:#x}",
            n,
            out[32 + n],
            FP_PATTERN[n]
        );
    }
    check!(out[64] == FP_PATTERN[32], "sig_resume: fcsr {:#x} after sigreturn", out[64]);
    println!("PASS sig_resume: f0-f31 and fcsr restored after a handler that trashed them");
    println!("PASS sig_resume");
    0
}

entry!(main);
