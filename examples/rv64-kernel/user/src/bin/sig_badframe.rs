//! rt_sigreturn trusts nothing in the frame. Each case runs in a child:
//! a frame at an unmapped address, or with a bad extension record, kills
//! only that child with SIGSEGV (a SIGSEGV handler can catch it: SI_KERNEL);
//! a well-formed frame whose pc points into the kernel returns to *user*
//! mode there and faults (SIGSEGV at that address); a well-formed forged
//! frame resumes exactly the state it describes (pc, sp, a0, a1, f10, and
//! its mask minus SIGKILL/SIGSTOP). The kernel and the parent carry on.
#![no_std]
#![no_main]

use core::arch::asm;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};
use user::*;

/// A stack for the forged context and for SIGSEGV handlers.
#[repr(C, align(16))]
struct Stack16(UnsafeCell<[u8; 16384]>);
// SAFETY: each is used as a stack by one thread of one (child) process.
unsafe impl Sync for Stack16 {}
static LANDING_STACK: Stack16 = Stack16(UnsafeCell::new([0; 16384]));
static ALT: Stack16 = Stack16(UnsafeCell::new([0; 16384]));

fn top(s: &Stack16) -> usize {
    s.0.get() as usize + 16384
}

/// rt_sigreturn with sp = `frame`.
fn sigreturn_at(frame: usize) -> ! {
    // SAFETY: deliberately abandons this stack: the kernel either resumes
    // the context in the frame or kills the process.
    unsafe {
        asm!("mv sp, {0}", "li a7, 139", "ecall", "1: j 1b", in(reg) frame, options(noreturn))
    }
}

fn zero_frame() -> RtSigframe {
    // SAFETY: RtSigframe is plain integers and byte arrays; all zeros is valid.
    unsafe { core::mem::zeroed() }
}

/// Offsets in `MContext::reserved`: the `reserved` word and the first
/// extension header (magic, size) of the kernel's FP union.
const EXT_RESERVED: usize = 256;
const EXT_MAGIC: usize = 260;

extern "C" fn segv_exit(_sig: i32, info: *mut SigInfo, uc: *mut UContext) {
    // SAFETY: the kernel passes valid pointers into the signal frame.
    let (info, uc) = unsafe { (&*info, &*uc) };
    let code = if info.code() == SI_KERNEL {
        43
    } else if info.addr() == 0x8020_0000 && uc.mcontext.regs[REG_PC] == 0x8020_0000 {
        42
    } else {
        1
    };
    exit_group(code);
}

fn catch_segv() {
    let alt = StackT { ss_sp: ALT.0.get() as usize, ss_flags: 0, ss_size: 16384 };
    sigaltstack(Some(&alt), None);
    on_signal(SIGSEGV, segv_exit, SA_ONSTACK, 0);
}

fn bad_record() -> i32 {
    let mut f = zero_frame();
    f.uc.mcontext.regs[REG_SP] = top(&LANDING_STACK) as u64;
    f.uc.mcontext.regs[REG_PC] = landing as *const () as usize as u64;
    f.uc.mcontext.reserved[EXT_RESERVED] = 1;
    sigreturn_at(&f as *const RtSigframe as usize)
}

fn bad_magic() -> i32 {
    let mut f = zero_frame();
    f.uc.mcontext.regs[REG_SP] = top(&LANDING_STACK) as u64;
    f.uc.mcontext.regs[REG_PC] = landing as *const () as usize as u64;
    f.uc.mcontext.reserved[EXT_MAGIC..EXT_MAGIC + 4].copy_from_slice(&0x5346_5457u32.to_le_bytes());
    sigreturn_at(&f as *const RtSigframe as usize)
}

fn kernel_pc() -> i32 {
    let mut f = zero_frame();
    f.uc.mcontext.regs[REG_PC] = 0x8020_0000;
    f.uc.mcontext.regs[REG_SP] = top(&LANDING_STACK) as u64;
    sigreturn_at(&f as *const RtSigframe as usize)
}

/// Where the valid forged frame resumes: exits with a0 if everything the
/// frame said holds.
extern "C" fn landing(a0: usize, a1: usize) -> ! {
    let f10: u64;
    // SAFETY: reads f10, which nothing has touched since the sigreturn.
    unsafe { asm!("fmv.x.d {}, f10", out(reg) f10) };
    let sp = stack_pointer();
    let ok = a1 == 0x1234
        && f10 == 42.0f64.to_bits()
        && sigmask() == sigbit(SIGUSR2)
        && sp < top(&LANDING_STACK)
        && sp > top(&LANDING_STACK) - 4096;
    exit_group(if ok { a0 as i32 } else { 1 })
}

fn valid_forgery() -> i32 {
    let mut f = zero_frame();
    f.uc.mcontext.regs[REG_PC] = landing as *const () as usize as u64;
    f.uc.mcontext.regs[REG_SP] = top(&LANDING_STACK) as u64;
    f.uc.mcontext.regs[REG_A0] = 77;
    f.uc.mcontext.regs[REG_A0 + 1] = 0x1234;
    f.uc.mcontext.fpregs[10] = 42.0f64.to_bits();
    f.uc.uc_sigmask = sigbit(SIGUSR2) | sigbit(SIGKILL) | sigbit(SIGSTOP);
    sigreturn_at(&f as *const RtSigframe as usize)
}

static ROUND_TRIPS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count(_sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {
    ROUND_TRIPS.fetch_add(1, Ordering::SeqCst);
}

/// `$f`'s exit status in a child with a SIGSEGV handler installed.
macro_rules! caught_in_child {
    ($f:ident) => {
        in_child(|| {
            catch_segv();
            $f()
        })
    };
}

fn main() -> i32 {
    let segv = SIGSEGV as i32;
    let unmapped = in_child(|| sigreturn_at(0x10));
    let record = in_child(bad_record);
    let magic = in_child(bad_magic);
    check!(
        unmapped == segv && record == segv && magic == segv,
        "sig_badframe: statuses {:#x} {:#x} {:#x}",
        unmapped,
        record,
        magic
    );
    let caught = caught_in_child!(bad_record);
    check!(
        caught == 43 << 8,
        "sig_badframe: SIGSEGV handler for a bad frame: status {:#x}",
        caught
    );
    println!(
        "PASS sig_badframe: unreadable or malformed frames kill only the forger with SIGSEGV (catchable, SI_KERNEL)"
    );

    let kernel = in_child(kernel_pc);
    check!(kernel == segv, "sig_badframe: pc in the kernel: status {:#x}", kernel);
    let caught = caught_in_child!(kernel_pc);
    check!(caught == 42 << 8, "sig_badframe: pc in the kernel, caught: status {:#x}", caught);
    println!(
        "PASS sig_badframe: a frame with a kernel pc resumes in user mode and faults there (SIGSEGV)"
    );

    let forged = in_child(valid_forgery);
    check!(forged == 77 << 8, "sig_badframe: valid forged frame: status {:#x}", forged);
    println!(
        "PASS sig_badframe: a forged valid frame resumes its pc/sp/a0/a1/f10, mask without SIGKILL/SIGSTOP"
    );

    // The kernel is fine: signals still work here.
    on_signal(SIGUSR1, count, 0, 0);
    raise(SIGUSR1);
    check!(
        ROUND_TRIPS.load(Ordering::SeqCst) == 1 && in_child(|| 0) == 0,
        "sig_badframe: kernel unwell afterwards"
    );
    println!("PASS sig_badframe");
    0
}

entry!(main);
