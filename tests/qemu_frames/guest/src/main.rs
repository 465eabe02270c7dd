//! A static Linux program (no libc, raw system calls) for aarch64, riscv64 and
//! loongarch64 that tests/qemu_frames.rs runs under qemu-user.
//!
//! For each case of [`CASES`] it installs a handler with raw `rt_sigaction`, sets the
//! alternate stack and the mask, loads every general and FP register with a known
//! value (`raise_asm`) and sends itself the signal with the system call as the
//! interrupted instruction. The handler's entry stub saves every register it was
//! entered with; the handler writes out the frame bytes it received, edits the
//! ucontext (pc, one general register, one FP register, the mask) and returns through
//! `rt_sigreturn`; the code at the edited pc saves every register it resumed with.
//!
//! Output (stdout): records of little-endian u64 words `[tag, case, n, word × n]`:
//! - `TAG_FRAME`: the case's action, mask and alternate stack as the task had them,
//!   the interrupted state ([`Raise`] inputs), the handler's entry registers, and the
//!   stack bytes around the frame;
//! - `TAG_EDITED`: the same bytes after the handler's edits (what `rt_sigreturn` reads);
//! - `TAG_RESUMED`: the registers at the resumed pc, the mask and the alternate stack.
#![no_std]
#![no_main]

use core::ptr::{addr_of, addr_of_mut};

/// System-call numbers (asm-generic: the same on the three architectures).
mod nr {
    pub const PIPE2: usize = 59;
    pub const READ: usize = 63;
    pub const WRITE: usize = 64;
    pub const SETITIMER: usize = 103;
    pub const RT_SIGSUSPEND: usize = 133;
    pub const EXIT_GROUP: usize = 94;
    pub const TGKILL: usize = 131;
    pub const SIGALTSTACK: usize = 132;
    pub const RT_SIGACTION: usize = 134;
    pub const RT_SIGPROCMASK: usize = 135;
    pub const GETPID: usize = 172;
    pub const GETTID: usize = 178;
    pub const RT_TGSIGQUEUEINFO: usize = 240;
}

const SIGHUP: u64 = 1;
const SIGKILL: u64 = 9;
const SIGUSR1: u64 = 10;
const SIGUSR2: u64 = 12;
const SIGALRM: u64 = 14;
const SIGSTOP: u64 = 19;
const SIGWINCH: u64 = 28;
const SIGRTMIN: u64 = 32;

const SA_SIGINFO: u64 = 4;
const SA_RESTORER: u64 = 0x0400_0000;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTART: u64 = 0x1000_0000;
const SA_NODEFER: u64 = 0x4000_0000;
const SS_DISABLE: u64 = 2;
const SI_QUEUE: i32 = -1;

mod protocol;
use protocol::{
    Mode, QUEUE_UID, QUEUE_VALUE, RAISED_WORDS, Raised, TAG_EDITED, TAG_FRAME, TAG_RESUMED,
};

const fn bit(sig: u64) -> u64 {
    1 << (sig - 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Alt {
    /// Leave the alternate stack as it is.
    Keep,
    /// Disabled (`SS_DISABLE`).
    Off,
    /// The whole [`ALTSTACK`], flags 0.
    On,
    /// 8 bytes in and 12 short of the end: a top that is not 16-byte aligned.
    Misaligned,
}

#[derive(Clone, Copy)]
struct Case {
    sig: u64,
    flags: u64,
    sa_mask: u64,
    alt: Alt,
    /// The mask while the signal is raised (`None`: as it is).
    block: Option<u64>,
    /// How the signal is raised.
    mode: Mode,
    /// The handler raises this case (an index into [`CASES`]) before returning.
    nested: Option<usize>,
}

const fn case(sig: u64, flags: u64) -> Case {
    Case { sig, flags, sa_mask: 0, alt: Alt::Off, block: Some(0), mode: Mode::Kill, nested: None }
}

/// The cases, in order; a nested case (run from its parent's handler) is skipped
/// at top level. (No `SS_AUTODISARM` case: qemu-user 7.2's sigaltstack rejects the
/// flag with EINVAL.)
#[rustfmt::skip] // A table: one case per row.
const CASES: [Case; 16] = [
    case(SIGUSR1, SA_SIGINFO | SA_RESTORER),
    case(SIGUSR1, SA_RESTORER),
    case(SIGUSR2, SA_SIGINFO),
    case(SIGUSR2, 0),
    Case { alt: Alt::On, ..case(SIGUSR1, SA_SIGINFO | SA_ONSTACK) },
    Case { alt: Alt::On, ..case(SIGUSR2, SA_ONSTACK | SA_RESTORER) },
    case(SIGUSR1, SA_SIGINFO | SA_ONSTACK),
    Case { alt: Alt::Misaligned, ..case(SIGUSR2, SA_ONSTACK) },
    Case { sa_mask: bit(SIGALRM), block: Some(bit(SIGHUP) | bit(SIGWINCH) | bit(SIGRTMIN + 2)), ..case(SIGUSR1, SA_SIGINFO) },
    Case { mode: Mode::Queue, ..case(SIGRTMIN + 1, SA_SIGINFO) },
    // Nested on the alternate stack: the inner frame goes below the outer one.
    Case { alt: Alt::On, sa_mask: bit(SIGALRM), nested: Some(11), ..case(SIGUSR1, SA_SIGINFO | SA_ONSTACK) },
    Case { alt: Alt::Keep, block: None, ..case(SIGUSR2, SA_SIGINFO | SA_ONSTACK) },
    // Nested on the main stack, the same signal again (SA_NODEFER).
    Case { nested: Some(13), ..case(SIGUSR1, SA_SIGINFO | SA_NODEFER) },
    Case { alt: Alt::Keep, block: None, ..case(SIGUSR1, SA_SIGINFO | SA_NODEFER) },
    Case { mode: Mode::Suspend, block: Some(bit(SIGUSR1) | bit(SIGHUP)), ..case(SIGUSR1, SA_SIGINFO) },
    Case { mode: Mode::PipeRead, ..case(SIGALRM, SA_SIGINFO | SA_RESTART) },
];

/// The register file handed to and filled by `raise_asm` (offsets are used by the
/// assembly: gpr 0, fpr 256, fpctl 768, sp 800, pc 808, resume 816, out 824).
#[repr(C)]
struct Raise {
    /// The state loaded and recorded around the system call.
    raised: Raised,
    /// Written at the resumed pc: gpr, fpr, fpctl as above (the sp slot holds sp).
    out_gpr: [u64; 32],
    out_fpr: [u64; 64],
    out_fpctl: [u64; 4],
}

const _: () = assert!(core::mem::offset_of!(Raise, out_gpr) == 8 * RAISED_WORDS);
const _: () = assert!(RAISED_WORDS == 103);
const _: () = assert!(core::mem::size_of::<Raise>() == 824 + 800);

/// Defines `arch::syscall`: the system-call instruction `$insn` with the number in
/// register `$nr` and the arguments in `$args`; the result comes back in the first.
macro_rules! syscall_instruction {
    ($insn:tt, $nr:tt, [$a0:tt, $a1:tt, $a2:tt, $a3:tt]) => {
        /// Makes system call `nr` with the arguments `a`; its raw result.
        ///
        /// # Safety
        /// Whatever the system call needs of its arguments.
        pub unsafe fn syscall(nr: usize, a: [usize; 4]) -> isize {
            let r: isize;
            // SAFETY: the caller's system call.
            unsafe {
                asm!($insn, in($nr) nr, inlateout($a0) a[0] => r, in($a1) a[1], in($a2) a[2],
                     in($a3) a[3], options(nostack));
            }
            r
        }
    };
}
use syscall_instruction;

// The handler's entry stub and the `sa_restorer` each architecture module defines in
// its `global_asm!`.
unsafe extern "C" {
    fn qf_entry();
    fn qf_restorer();
}

/// The handler address: the entry stub.
fn entry_addr() -> u64 {
    qf_entry as *const () as u64
}

/// The `sa_restorer` address.
fn restorer_addr() -> u64 {
    qf_restorer as *const () as u64
}

/// Offset of uc_mcontext in the ucontext (the asm-generic layout of the three).
const UC_MCONTEXT: u64 = 176;

/// The record with `magic` in a list of sigcontext records (u32 magic, u32 size,
/// payload: aarch64's `_aarch64_ctx`, loongarch64's `sctx_info`) from `rec`,
/// ended by a record of magic or size 0.
///
/// # Safety
/// `rec` points at such a list, readable to its end.
#[cfg(any(target_arch = "aarch64", target_arch = "loongarch64"))]
unsafe fn find_record(mut rec: *mut u8, magic: u32) -> Option<*mut u8> {
    loop {
        // SAFETY: rec is a record header of the list (the caller's promise).
        let (m, size) = unsafe { ((rec as *const u32).read(), (rec.add(4) as *const u32).read()) };
        if m == 0 || size == 0 {
            return None;
        }
        if m == magic {
            return Some(rec);
        }
        // SAFETY: a non-terminal record is followed by the next one.
        rec = unsafe { rec.add(size as usize) };
    }
}

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
mod arch;
#[cfg(target_arch = "riscv64")]
#[path = "riscv64.rs"]
mod arch;
#[cfg(target_arch = "loongarch64")]
#[path = "loongarch64.rs"]
mod arch;

/// A case being run: its raise block and what the handler needs.
struct Running {
    id: usize,
    raise: Raise,
}

/// The case whose signal is being raised; the handler takes it at entry.
static mut CURRENT: *mut Running = core::ptr::null_mut();

#[repr(C, align(16))]
struct AltStack([u8; 0x4000]);
static mut ALTSTACK: AltStack = AltStack([0; 0x4000]);

fn syscall(nr: usize, a: [usize; 4]) -> isize {
    // SAFETY: a raw Linux system call; every caller passes valid pointers.
    unsafe { arch::syscall(nr, a) }
}

fn write_all(b: &[u8]) {
    let mut off = 0;
    while off < b.len() {
        let n = syscall(nr::WRITE, [1, b[off..].as_ptr() as usize, b.len() - off, 0]);
        if n <= 0 {
            exit(3);
        }
        off += n as usize;
    }
}

fn put_words(w: &[u64]) {
    // SAFETY: u64 has no padding; the byte view covers exactly the slice.
    let b = unsafe { core::slice::from_raw_parts(w.as_ptr().cast::<u8>(), w.len() * 8) };
    write_all(b);
}

/// One record: header, then the parts (each a word slice), `n` words in all.
fn record(tag: u64, id: usize, parts: &[&[u64]]) {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    put_words(&[tag, id as u64, n as u64]);
    for p in parts {
        put_words(p);
    }
}

fn exit(code: usize) -> ! {
    syscall(nr::EXIT_GROUP, [code, 0, 0, 0]);
    loop {
        core::hint::spin_loop();
    }
}

fn check(r: isize, code: usize) {
    if r < 0 {
        exit(code);
    }
}

fn set_mask(m: u64) {
    check(syscall(nr::RT_SIGPROCMASK, [2, addr_of!(m) as usize, 0, 8]), 4);
}

fn get_mask() -> u64 {
    let mut m = 0u64;
    check(syscall(nr::RT_SIGPROCMASK, [0, 0, addr_of_mut!(m) as usize, 8]), 5);
    m
}

/// `stack_t`.
#[repr(C)]
#[derive(Clone, Copy)]
struct StackT {
    sp: u64,
    flags: u64,
    size: u64,
}

fn altstack_query() -> StackT {
    let mut old = StackT { sp: 0, flags: 0, size: 0 };
    check(syscall(nr::SIGALTSTACK, [0, addr_of_mut!(old) as usize, 0, 0]), 6);
    // ss_flags is an int followed by padding.
    old.flags &= 0xFFFF_FFFF;
    old
}

fn altstack_set(alt: Alt) {
    let base = addr_of_mut!(ALTSTACK) as u64;
    let len = core::mem::size_of::<AltStack>() as u64;
    let ss = match alt {
        Alt::Keep => return,
        Alt::Off => StackT { sp: 0, flags: SS_DISABLE, size: 0 },
        Alt::On => StackT { sp: base, flags: 0, size: len },
        Alt::Misaligned => StackT { sp: base + 8, flags: 0, size: len - 20 },
    };
    let r = syscall(nr::SIGALTSTACK, [addr_of!(ss) as usize, 0, 0, 0]);
    if r < 0 {
        exit(200 + (-r) as usize);
    }
}

/// The kernel's `struct sigaction` as qemu-user reads it for these targets
/// (handler, flags, restorer, mask).
#[repr(C)]
struct KSigaction {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

fn install(c: &Case) {
    let restorer = if c.flags & SA_RESTORER != 0 { restorer_addr() } else { 0 };
    let sa = KSigaction { handler: entry_addr(), flags: c.flags, restorer, mask: c.sa_mask };
    check(syscall(nr::RT_SIGACTION, [c.sig as usize, addr_of!(sa) as usize, 0, 8]), 8);
}

/// Known register values for case `id`, then the signal is sent with the system
/// call as the interrupted instruction.
fn run_case(id: usize) {
    let c = CASES[id];
    let mut r = Running {
        id,
        // SAFETY: Raise is plain words; all-zero is valid.
        raise: unsafe { core::mem::zeroed() },
    };
    let id64 = id as u64;
    for (i, g) in r.raise.raised.gpr.iter_mut().enumerate() {
        *g = 0x5100_0000_0000_0000 | (id64 << 32) | (0xA0 + i as u64);
    }
    for (i, f) in r.raise.raised.fpr.iter_mut().enumerate() {
        *f = 0x3FF0_0000_0000_0000 ^ (id64 << 40) ^ ((i as u64) << 8) ^ 0x5A;
    }
    r.raise.raised.fpctl = arch::FPCTL;
    let pid = syscall(nr::GETPID, [0; 4]) as u64;
    let tid = syscall(nr::GETTID, [0; 4]) as u64;
    // A SI_QUEUE siginfo: signo, errno, code, then pid, uid, value.
    let mut qinfo = [0u64; 16];
    qinfo[0] = c.sig;
    qinfo[1] = SI_QUEUE as u32 as u64;
    qinfo[2] = pid | (QUEUE_UID << 32);
    qinfo[3] = QUEUE_VALUE;
    let pattern = 0x5100_0000_0000_00A3 | (id64 << 32);
    let sigsuspend_mask = RAISE_MASK.get() & !bit(c.sig);
    let mut fds = [0u32; 2];
    let mut byte = 0u64;
    let (nr, args) = match c.mode {
        Mode::Kill => (nr::TGKILL, [pid, tid, c.sig, pattern]),
        Mode::Queue => (nr::RT_TGSIGQUEUEINFO, [pid, tid, c.sig, addr_of!(qinfo) as u64]),
        Mode::Suspend => {
            // Pending while blocked; the sigsuspend mask lets it in.
            check(syscall(nr::TGKILL, [pid as usize, tid as usize, c.sig as usize, 0]), 9);
            (nr::RT_SIGSUSPEND, [addr_of!(sigsuspend_mask) as u64, 8, pattern, pattern])
        }
        Mode::PipeRead => {
            check(syscall(nr::PIPE2, [addr_of_mut!(fds) as usize, 0, 0, 0]), 10);
            // it_interval 0, it_value 50 ms.
            let itv = [0u64, 0, 0, 50_000];
            check(syscall(nr::SETITIMER, [0, addr_of!(itv) as usize, 0, 0]), 11);
            (nr::READ, [u64::from(fds[0]), addr_of_mut!(byte) as u64, 1, pattern])
        }
    };
    for (i, a) in args.iter().enumerate() {
        r.raise.raised.gpr[arch::ARG0 + i] = *a;
    }
    r.raise.raised.gpr[arch::NR] = nr as u64;
    for z in arch::UNLOADED {
        r.raise.raised.gpr[z] = 0;
    }
    // SAFETY: single-threaded; the handler runs only inside raise_asm below.
    unsafe {
        CURRENT = addr_of_mut!(r);
        arch::raise_asm(addr_of_mut!(r.raise));
    }
    let blocked = get_mask();
    let ss = altstack_query();
    let mut sp_out = r.raise.out_gpr;
    sp_out[arch::SP] = r.raise.raised.sp;
    record(
        TAG_RESUMED,
        id,
        &[
            &sp_out,
            &r.raise.out_fpr,
            &r.raise.out_fpctl,
            &[r.raise.raised.sp, blocked, ss.sp, ss.flags, ss.size],
        ],
    );
}

/// Called by the entry stub with every register the handler was entered with
/// (by register number; the sp slot holds the entry sp).
#[unsafe(no_mangle)]
extern "C" fn qf_on_signal(regs: &[u64; 32]) {
    // SAFETY: CURRENT points at the running case's block, alive in run_case's frame
    // below this handler.
    let run = unsafe { &mut *CURRENT };
    let c = CASES[run.id];
    let sp = regs[arch::SP];
    let uc =
        if arch::UC_IN_A2 || c.flags & SA_SIGINFO != 0 { regs[arch::ARG0 + 2] } else { sp + 128 };
    let alt_base = addr_of!(ALTSTACK) as u64;
    let alt_top = alt_base + core::mem::size_of::<AltStack>() as u64;
    // From 1 KiB below the handler's sp (Linux's frame may sit lower than QEMU's)
    // to the alternate stack's top, or 512 bytes above the interrupted sp.
    let (base, top) = if sp >= alt_base && sp < alt_top {
        ((sp - 1024).max(alt_base) & !15, alt_top)
    } else {
        ((sp - 1024) & !15, run.raise.raised.sp + 512)
    };
    let mut head = [0u64; 10];
    head[0] = c.sig;
    head[1] = c.flags;
    head[2] = if c.flags & SA_RESTORER != 0 { restorer_addr() } else { 0 };
    head[3] = entry_addr();
    head[4] = c.sa_mask;
    head[5] = RAISE_MASK.get();
    head[6] = RAISE_SS[0].get();
    head[7] = RAISE_SS[1].get();
    head[8] = RAISE_SS[2].get();
    head[9] = c.mode as u64;
    let dump = dump_words(base, top);
    // SAFETY: the raise block is plain words.
    let raise_words =
        unsafe { core::slice::from_raw_parts(addr_of!(run.raise).cast::<u64>(), 32 + 64 + 4 + 3) };
    record(TAG_FRAME, run.id, &[&head, raise_words, regs, &[base, top - base], dump]);
    if let Some(n) = c.nested {
        // The inner case's mask and stack are the handler's.
        save_raise_state();
        run_case(n);
        // SAFETY: back to this case's block (the inner one has returned).
        unsafe { CURRENT = run };
    }
    // The edits rt_sigreturn must honour.
    let id = run.id as u64;
    // SAFETY: uc points at the ucontext of the frame this handler runs on.
    unsafe {
        arch::edit(
            (uc + UC_MCONTEXT) as *mut u8,
            run.raise.raised.resume,
            0xED17_0000_0000_0000 | id,
            0xEDF5_0000_0000_0000 | id,
        );
        *((uc + 40) as *mut u64) =
            bit(SIGHUP) | bit(SIGKILL) | bit(SIGSTOP) | bit(SIGRTMIN + 5) | (id << 40);
    }
    record(TAG_EDITED, run.id, &[&[base, top - base], dump_words(base, top)]);
}

/// The stack bytes `[base, top)` as words.
fn dump_words(base: u64, top: u64) -> &'static [u64] {
    // SAFETY: the range lies in this process's stack or its static alternate stack,
    // both mapped; it is only read.
    unsafe { core::slice::from_raw_parts(base as *const u64, ((top - base) / 8) as usize) }
}

/// The mask and alternate stack the task had when the current case raised its
/// signal (recorded by `save_raise_state` just before).
struct Cell(core::cell::UnsafeCell<u64>);
// SAFETY: single-threaded program.
unsafe impl Sync for Cell {}
impl Cell {
    fn get(&self) -> u64 {
        // SAFETY: single-threaded, no reference escapes.
        unsafe { *self.0.get() }
    }
    fn set(&self, v: u64) {
        // SAFETY: as above.
        unsafe { *self.0.get() = v }
    }
}
static RAISE_MASK: Cell = Cell(core::cell::UnsafeCell::new(0));
static RAISE_SS: [Cell; 3] = [
    Cell(core::cell::UnsafeCell::new(0)),
    Cell(core::cell::UnsafeCell::new(0)),
    Cell(core::cell::UnsafeCell::new(0)),
];

fn save_raise_state() {
    RAISE_MASK.set(get_mask());
    let ss = altstack_query();
    RAISE_SS[0].set(ss.sp);
    RAISE_SS[1].set(ss.flags);
    RAISE_SS[2].set(ss.size);
}

#[unsafe(no_mangle)]
extern "C" fn qf_main(_sp: usize) -> ! {
    let mut nested = [false; CASES.len()];
    for c in CASES.iter() {
        if let Some(n) = c.nested {
            nested[n] = true;
        }
    }
    for id in 0..CASES.len() {
        if nested[id] {
            continue;
        }
        let c = CASES[id];
        install(&c);
        if let Some(n) = c.nested {
            install(&CASES[n]);
        }
        altstack_set(Alt::Off);
        altstack_set(c.alt);
        set_mask(c.block.unwrap_or(0));
        save_raise_state();
        run_case(id);
        set_mask(0);
    }
    exit(0)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(101)
}
