//! The record format between the guest, which writes it, and tests/qemu_frames.rs,
//! which reads it: both compile this one file.

/// A case's action, mask, alternate stack and interrupted state, the handler's
/// entry registers, and the stack bytes around the frame.
pub const TAG_FRAME: u64 = 1;
/// The same bytes after the handler's edits (what `rt_sigreturn` reads).
pub const TAG_EDITED: u64 = 2;
/// The registers at the resumed pc, the mask and the alternate stack.
pub const TAG_RESUMED: u64 = 3;

/// How the signal interrupts the system call in the known registers (word 9 of
/// a frame record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Mode {
    /// `tgkill` sends it to the thread itself: delivered as the call returns 0.
    Kill = 0,
    /// `rt_tgsigqueueinfo` with an `SI_QUEUE` siginfo and a value.
    Queue = 1,
    /// Sent while blocked, then `rt_sigsuspend` with a mask that lets it in: the call
    /// ends with ERESTARTNOHAND (-EINTR for a handler) and the frame saves the mask
    /// from before the call.
    Suspend = 2,
    /// A `read` from an empty pipe, interrupted by the SIGALRM of a 50 ms
    /// `setitimer`: ERESTARTSYS, restarted under SA_RESTART.
    PipeRead = 3,
}

/// The uid the guest puts in its `SI_QUEUE` siginfo.
pub const QUEUE_UID: u64 = 1000;
/// The value the guest queues.
pub const QUEUE_VALUE: u64 = 0x1234_5678_9ABC_DEF0;

/// The known state a case raises its signal in: what the guest loads into the
/// registers and what its assembly records around the system call. A frame record
/// carries it from word 10 on; the guest's `Raise` block starts with it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Raised {
    /// Values loaded into the general registers, by register number.
    pub gpr: [u64; 32],
    /// FP registers: aarch64 v0-v31 as (low, high) pairs; riscv64 and loongarch64
    /// f0-f31 in the first 32 words.
    pub fpr: [u64; 64],
    /// aarch64: fpsr, fpcr, nzcv; riscv64: fcsr; loongarch64: fcsr0, fcc (byte i =
    /// fcc_i).
    pub fpctl: [u64; 4],
    /// Written by the assembly: sp at the system call.
    pub sp: u64,
    /// Written by the assembly: the address after the system-call instruction.
    pub pc: u64,
    /// Written by the assembly: where the handler sends the resumed context.
    pub resume: u64,
}

/// [`Raised`] in words.
pub const RAISED_WORDS: usize = core::mem::size_of::<Raised>() / 8;
