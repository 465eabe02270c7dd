//! FP state across a handler. The program loads f0-f31 and fcsr, then
//! sends itself a signal (ecall in the same asm block). The handler starts
//! with the interrupted FP values in its registers (riscv does not reset
//! them), finds them in uc_mcontext's D state too, then overwrites every FP
//! register and fcsr. After sigreturn the program's FP registers are intact;
//! and when the handler edits f5 and fcsr in the ucontext, those edits are
//! what sigreturn loads.
#![no_std]
#![no_main]

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use user::*;

const FCSR: u64 = 0x85; // frm = 4 (RMM), fflags = 0b00101 (NX, OF)
const NEW_F5: u64 = 0x4009_21fb_5444_2d18; // pi
const NEW_FCSR: u32 = 0x21; // frm = 1 (RTZ), fflags = NX

fn pattern(i: usize) -> u64 {
    0xc000_0000_0000_0000 | (i as u64) << 40 | 0x1234_5678
}

/// What the handler saw in f0..f31 and fcsr at entry.
#[unsafe(no_mangle)]
static mut SEEN: [u64; 33] = [0; 33];

global_asm!(
    ".text",
    ".option push",
    ".option arch, +d",
    ".globl fp_entry",
    "fp_entry:",
    "    la t0, SEEN",
    f0_f31!("fsd", "t0"),
    "    frcsr t1",
    "    sd t1, 256(t0)",
    "    tail {handler}",
    ".option pop",
    handler = sym fp_handler,
);

unsafe extern "C" {
    fn fp_entry();
}

static MODIFY: AtomicBool = AtomicBool::new(false);
static UC_OK: AtomicBool = AtomicBool::new(false);
static CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn fp_handler(_sig: i32, _info: *mut SigInfo, uc: *mut UContext) {
    // SAFETY: the kernel passes a valid ucontext the handler may edit.
    let uc = unsafe { &mut *uc };
    let ok =
        (0..32).all(|i| uc.mcontext.fpregs[i] == pattern(i)) && u64::from(uc.mcontext.fcsr) == FCSR;
    UC_OK.store(ok, Ordering::SeqCst);
    if MODIFY.load(Ordering::SeqCst) {
        uc.mcontext.fpregs[5] = NEW_F5;
        uc.mcontext.fcsr = NEW_FCSR;
    }
    // Trash every FP register and fcsr.
    // SAFETY: only FP registers and fcsr change (declared).
    unsafe {
        asm_clobbering_fp!(
            "li t0, -1",
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
            "fmv.d.x f\\n, t0",
            ".endr",
            "csrwi fcsr, 0x1f",
            out("t0") _,
        );
    }
    CALLS.fetch_add(1, Ordering::SeqCst);
}

/// Loads the pattern, raises SIGUSR1 in the same asm block, and returns
/// f0..f31 and fcsr as they are after the handler.
fn fp_across_signal() -> ([u64; 32], u64) {
    let pat: [u64; 32] = core::array::from_fn(pattern);
    let mut out = [0u64; 32];
    let fcsr_out: u64;
    // SAFETY: reads `pat`, writes `out` (valid arrays); every FP register is
    // declared clobbered; tkill's ecall (and the handler, which sigreturn
    // undoes) changes only a0 (declared).
    unsafe {
        asm_clobbering_fp!(
            f0_f31!("fld", "t0"),
            "fscsr t2",
            "ecall",
            f0_f31!("fsd", "t1"),
            "frcsr t2",
            in("t0") pat.as_ptr(),
            in("t1") out.as_mut_ptr(),
            inout("t2") FCSR => fcsr_out,
            inout("a0") gettid() as usize => _,
            in("a1") SIGUSR1,
            in("a7") SYS_TKILL,
        );
    }
    (out, fcsr_out)
}

fn main() -> i32 {
    check!(
        sigaction(SIGUSR1, fp_entry as *const () as usize, SA_SIGINFO, 0) == 0,
        "sig_fp: rt_sigaction"
    );
    let (out, fcsr) = fp_across_signal();
    check!(CALLS.load(Ordering::SeqCst) == 1, "sig_fp: handler did not run");
    // SAFETY: written by the handler entry stub, which has returned.
    let seen = unsafe { core::ptr::read_volatile(&raw const SEEN) };
    for (i, v) in seen.iter().take(32).enumerate() {
        check!(*v == pattern(i), "sig_fp: handler started with f{} = {:#x}", i, v);
    }
    check!(seen[32] == FCSR, "sig_fp: handler started with fcsr {:#x}", seen[32]);
    check!(UC_OK.load(Ordering::SeqCst), "sig_fp: uc_mcontext does not hold the FP state");
    println!(
        "PASS sig_fp: the handler starts with the interrupted FP state, also saved in uc_mcontext"
    );
    for (i, v) in out.iter().enumerate() {
        check!(
            *v == pattern(i),
            "sig_fp: f{} = {:#x} after the handler, want {:#x}",
            i,
            v,
            pattern(i)
        );
    }
    check!(fcsr == FCSR, "sig_fp: fcsr {:#x} after the handler", fcsr);
    println!("PASS sig_fp: f0-f31 and fcsr intact after a handler that overwrote them all");

    MODIFY.store(true, Ordering::SeqCst);
    let (out, fcsr) = fp_across_signal();
    for (i, v) in out.iter().enumerate() {
        let want = if i == 5 { NEW_F5 } else { pattern(i) };
        check!(*v == want, "sig_fp: f{} = {:#x} after an edited sigreturn, want {:#x}", i, v, want);
    }
    check!(fcsr == u64::from(NEW_FCSR), "sig_fp: fcsr {:#x} after an edited sigreturn", fcsr);
    println!("PASS sig_fp: sigreturn loads the FP state from the (edited) ucontext");
    println!("PASS sig_fp");
    0
}

entry!(main);
