//! A handler gets Linux's arguments: (signo, &siginfo, &ucontext) in a0..a2,
//! sp at the 16-byte aligned rt_sigframe, ra at the sigreturn trampoline.
//! The siginfo says who sent what (SI_QUEUE with its value, SI_TKILL,
//! SI_USER, the sender's pid, also from another process); the ucontext holds
//! the interrupted pc, sp, a0 and mask; returning resumes right after the
//! interrupted instruction with the mask restored.
#![no_std]
#![no_main]

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use user::*;

/// What the assembly entry stub saw: ra, sp, a0, a1, a2 at handler entry.
#[unsafe(no_mangle)]
static mut PROBE: [u64; 5] = [0; 5];

// A handler entry that records its registers, then tail-calls the Rust
// handler (which returns to the unchanged ra).
global_asm!(
    ".text",
    ".globl probe_entry",
    "probe_entry:",
    "    la t0, PROBE",
    "    sd ra, 0(t0)",
    "    sd sp, 8(t0)",
    "    sd a0, 16(t0)",
    "    sd a1, 24(t0)",
    "    sd a2, 32(t0)",
    "    tail {handler}",
    handler = sym record,
);

unsafe extern "C" {
    fn probe_entry();
}

static SIGNO: AtomicI32 = AtomicI32::new(0);
static CODE: AtomicI32 = AtomicI32::new(0);
static PID: AtomicI32 = AtomicI32::new(0);
static UID: AtomicI32 = AtomicI32::new(-1);
static VALUE: AtomicU64 = AtomicU64::new(0);
static UC_PC: AtomicU64 = AtomicU64::new(0);
static UC_SP: AtomicU64 = AtomicU64::new(0);
static UC_A0: AtomicU64 = AtomicU64::new(1);
static UC_MASK: AtomicU64 = AtomicU64::new(0);
static MASK_IN_HANDLER: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn record(sig: i32, info: *mut SigInfo, uc: *mut UContext) {
    // SAFETY: the kernel passes valid pointers into the signal frame.
    let (info, uc) = unsafe { (&*info, &*uc) };
    SIGNO.store(sig, Ordering::SeqCst);
    CODE.store(info.code(), Ordering::SeqCst);
    PID.store(info.pid(), Ordering::SeqCst);
    UID.store(info.uid(), Ordering::SeqCst);
    VALUE.store(info.value(), Ordering::SeqCst);
    UC_PC.store(uc.mcontext.regs[REG_PC], Ordering::SeqCst);
    UC_SP.store(uc.mcontext.regs[REG_SP], Ordering::SeqCst);
    UC_A0.store(uc.mcontext.regs[REG_A0], Ordering::SeqCst);
    UC_MASK.store(uc.uc_sigmask, Ordering::SeqCst);
    MASK_IN_HANDLER.store(sigmask(), Ordering::SeqCst);
    CALLS.fetch_add(1, Ordering::SeqCst);
}

fn probe() -> [u64; 5] {
    // SAFETY: written only by the handler stub, which has returned.
    unsafe { core::ptr::read_volatile(&raw const PROBE) }
}

/// rt_sigqueueinfo(getpid(), sig, info) with the ecall in line, returning
/// (result, pc after the ecall, sp at the ecall).
fn sigqueue_here(sig: usize, info: &SigInfo) -> (isize, u64, u64) {
    let (ret, pc, sp): (isize, u64, u64);
    // SAFETY: a plain system call; the handler that runs before the ecall
    // "returns" gets its own frame below sp, and sigreturn restores every
    // register, so only a0 changes (declared).
    unsafe {
        asm!(
            "la {pc}, 1f",
            "mv {sp}, sp",
            "ecall",
            "1:",
            pc = out(reg) pc,
            sp = out(reg) sp,
            inlateout("a0") getpid() as usize => ret,
            in("a1") sig,
            in("a2") info as *const SigInfo as usize,
            in("a7") SYS_RT_SIGQUEUEINFO,
        );
    }
    (ret, pc, sp)
}

fn main() -> i32 {
    let me = getpid() as i32;
    let sig = SIGRTMIN + 1;

    // 1. sigqueue to ourselves; SIGHUP blocked beforehand, SIGUSR2 in sa_mask.
    check!(
        sigaction(sig, probe_entry as *const () as usize, SA_SIGINFO, sigbit(SIGUSR2)) == 0,
        "sig_info: rt_sigaction"
    );
    sigprocmask(SIG_SETMASK, sigbit(SIGHUP));
    let info = SigInfo::queue(sig, 0x1234_5678_9abc);
    let (ret, pc_after, sp_at) = sigqueue_here(sig, &info);
    check!(ret == 0, "sig_info: rt_sigqueueinfo returned {}", ret);
    check!(
        CALLS.load(Ordering::SeqCst) == 1,
        "sig_info: handler ran {} times",
        CALLS.load(Ordering::SeqCst)
    );
    let [ra, sp, a0, a1, a2] = probe();
    check!(a0 == sig as u64, "sig_info: a0 = {} not the signal", a0);
    check!(
        sp == a1 && a2 == a1 + 128,
        "sig_info: sp {:#x} a1 {:#x} a2 {:#x} not frame/info/uc",
        sp,
        a1,
        a2
    );
    check!(
        sp % 16 == 0 && sp < sp_at && sp >= sp_at - 1088 - 16,
        "sig_info: frame at {:#x}, sp was {:#x}",
        sp,
        sp_at
    );
    check!(ra == SIGRETURN_TRAMPOLINE as u64, "sig_info: ra {:#x} is not the trampoline", ra);
    println!("PASS sig_info: handler args a0-a2, ra = trampoline, 16-byte aligned frame");

    check!(SIGNO.load(Ordering::SeqCst) == sig as i32, "sig_info: si_signo");
    check!(
        CODE.load(Ordering::SeqCst) == SI_QUEUE,
        "sig_info: si_code {}",
        CODE.load(Ordering::SeqCst)
    );
    check!(
        PID.load(Ordering::SeqCst) == me && UID.load(Ordering::SeqCst) == 0,
        "sig_info: si_pid/si_uid"
    );
    check!(
        VALUE.load(Ordering::SeqCst) == 0x1234_5678_9abc,
        "sig_info: si_value {:#x}",
        VALUE.load(Ordering::SeqCst)
    );
    println!("PASS sig_info: SI_QUEUE siginfo with value, pid and uid");

    check!(
        UC_PC.load(Ordering::SeqCst) == pc_after,
        "sig_info: uc pc {:#x} != {:#x}",
        UC_PC.load(Ordering::SeqCst),
        pc_after
    );
    check!(
        UC_SP.load(Ordering::SeqCst) == sp_at,
        "sig_info: uc sp {:#x} != {:#x}",
        UC_SP.load(Ordering::SeqCst),
        sp_at
    );
    check!(
        UC_A0.load(Ordering::SeqCst) == 0,
        "sig_info: uc a0 {:#x} is not the syscall result",
        UC_A0.load(Ordering::SeqCst)
    );
    check!(
        UC_MASK.load(Ordering::SeqCst) == sigbit(SIGHUP),
        "sig_info: uc_sigmask {:#x}",
        UC_MASK.load(Ordering::SeqCst)
    );
    let inside = MASK_IN_HANDLER.load(Ordering::SeqCst);
    check!(
        inside == sigbit(SIGHUP) | sigbit(sig) | sigbit(SIGUSR2),
        "sig_info: mask in handler {:#x}",
        inside
    );
    check!(sigmask() == sigbit(SIGHUP), "sig_info: mask after return {:#x}", sigmask());
    println!("PASS sig_info: ucontext pc/sp/a0/sigmask are the interrupted ones; mask restored");

    // 2. tkill -> SI_TKILL, kill -> SI_USER; both with our pid.
    on_signal(SIGUSR1, record, 0, 0);
    check!(raise(SIGUSR1) == 0, "sig_info: tkill");
    check!(
        CODE.load(Ordering::SeqCst) == SI_TKILL && PID.load(Ordering::SeqCst) == me,
        "sig_info: tkill gave code {} pid {}",
        CODE.load(Ordering::SeqCst),
        PID.load(Ordering::SeqCst)
    );
    check!(kill(me as isize, SIGUSR1) == 0, "sig_info: kill");
    check!(
        CODE.load(Ordering::SeqCst) == SI_USER && PID.load(Ordering::SeqCst) == me,
        "sig_info: kill gave code {} pid {}",
        CODE.load(Ordering::SeqCst),
        PID.load(Ordering::SeqCst)
    );
    check!(
        SIGNO.load(Ordering::SeqCst) == SIGUSR1 as i32 && CALLS.load(Ordering::SeqCst) == 3,
        "sig_info: calls"
    );
    println!("PASS sig_info: SI_TKILL and SI_USER carry the sender's pid");

    // 3. Another process sends: its pid. SIGUSR1 is blocked until sigsuspend,
    //    so it cannot arrive before we wait for it.
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR1));
    let child = fork();
    if child == 0 {
        exit_group(if kill(getppid(), SIGUSR1) == 0 { 0 } else { 1 });
    }
    let r = sigsuspend(sigbit(SIGHUP));
    check!(r == -EINTR, "sig_info: sigsuspend returned {}", r);
    check!(CALLS.load(Ordering::SeqCst) == 4, "sig_info: handler did not run in sigsuspend");
    check!(
        PID.load(Ordering::SeqCst) == child as i32 && CODE.load(Ordering::SeqCst) == SI_USER,
        "sig_info: si_pid {} not child {}",
        PID.load(Ordering::SeqCst),
        child
    );
    check!(
        UC_MASK.load(Ordering::SeqCst) == sigbit(SIGHUP) | sigbit(SIGUSR1),
        "sig_info: sigsuspend frame saved mask {:#x}",
        UC_MASK.load(Ordering::SeqCst)
    );
    check!(
        sigmask() == sigbit(SIGHUP) | sigbit(SIGUSR1),
        "sig_info: mask after sigsuspend {:#x}",
        sigmask()
    );
    check!(wait4(child, 0) == (child, 0), "sig_info: child status");
    println!("PASS sig_info: sigsuspend; SI_USER from another process carries its pid");

    // 4. Argument checks through the syscall layer.
    check!(sigaction(SIGKILL, SIG_IGN, 0, 0) == -EINVAL, "sig_info: SIGKILL action accepted");
    check!(sigaction(65, SIG_IGN, 0, 0) == -EINVAL, "sig_info: signal 65 accepted");
    check!(kill(me as isize, 65) == -EINVAL, "sig_info: kill(65)");
    check!(kill(99999, SIGUSR1) == -ESRCH, "sig_info: kill(no such pid)");
    check!(kill(me as isize, 0) == 0, "sig_info: kill(me, 0)");
    check!(
        syscall(SYS_RT_SIGQUEUEINFO, me as usize, sig, 0x10) == -EFAULT,
        "sig_info: sigqueueinfo(bad ptr)"
    );
    let mut forged = SigInfo::queue(sig, 1);
    forged.bytes[8..12].copy_from_slice(&SI_USER.to_le_bytes());
    let r = syscall(SYS_RT_SIGQUEUEINFO, child as usize, sig, &forged as *const SigInfo as usize);
    check!(r == -EPERM, "sig_info: impersonating kill() to another pid gave {}", r);
    println!("PASS sig_info: EINVAL, ESRCH, EFAULT, EPERM from the syscall layer");
    println!("PASS sig_info");
    0
}

entry!(main);
