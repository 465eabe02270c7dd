//! Signal frames, `rt_sigreturn` and system-call restart, per architecture.
//!
//! The managers decide *which* signal is delivered with *which* action and mask; this
//! module only builds the frame a handler runs on, parses it back in `rt_sigreturn`,
//! and rewrites the interrupted system call's result. Everything is Linux's ABI for
//! x86_64, aarch64, riscv64 and loongarch64 (arch/*/kernel/signal.c and the uapi
//! headers), and all four are compiled and tested on any host: only a kernel's own
//! glue is architecture-specific.
//!
//! # What the kernel provides
//!
//! - its trap frame as a [`TrapFrame`]: conversion to and from the plain per-arch
//!   context ([`X86_64Context`](x86_64::X86_64Context),
//!   [`Aarch64Context`](aarch64::Aarch64Context),
//!   [`Riscv64Context`](riscv64::Riscv64Context),
//!   [`Loongarch64Context`](loongarch64::Loongarch64Context)); the contexts themselves
//!   implement it, so a kernel may also keep one directly;
//! - a [`FpHook`] that saves and restores the FP/SIMD registers as bytes in the
//!   architecture's frame format ([`NoFp`] if there are none);
//! - a [`UserMemory`] (fault-checked copies).
//!
//! # The three entry points
//!
//! - [`setup_rt_frame`]: push a frame for a handler (Linux's `handle_signal` →
//!   `setup_rt_frame` → `signal_delivered`'s `SS_AUTODISARM` reset). On failure the
//!   caller must force SIGSEGV ([`ForceSigsegv`], fatal if the signal was SIGSEGV);
//!   nothing was changed.
//! - [`restore_rt_frame`]: restore the interrupted context from the frame and return the
//!   mask to install (SIGKILL and SIGSTOP removed). On [`BadFrame`] the caller forces
//!   SIGSEGV with the siginfo Linux uses on that architecture; what Linux restored
//!   before the failing step (registers, FP state) stays restored.
//! - [`syscall_restart`]: [the restart table](crate::docs::frames#restart), as a pure
//!   function of the context and whether (and with which flags) a handler runs.
//!
//! The frame is always built in a kernel buffer, every padding and reserved byte
//! zeroed, and written with one [`UserMemory::write`]. `rt_sigreturn` reads only the
//! fields Linux reads, in Linux's order, each into a kernel buffer: a hand-made frame
//! whose unread parts (the siginfo, `uc_flags`' neighbours, padding, the unused end
//! of a record area) are unmapped is accepted as Linux accepts it, and a field that
//! faults fails the call at the step where it fails in Linux.
//! Every user-supplied number (pointers, sizes, magics, flags) is checked with
//! checked arithmetic: no input panics or yields a privileged context.

pub mod aarch64;
pub mod loongarch64;
pub mod riscv64;
pub mod x86_64;

use crate::action::{Disposition, SaFlags, SignalAction};
use crate::arch::Arch;
use crate::errno::Errno;
use crate::info::SignalInfo;
use crate::set::SignalSet;
use crate::signo::Signo;
use crate::stack::{SignalStack, StackT};
use crate::uaccess::UserMemory;
use core::fmt::Debug;

/// The kernel's FP/SIMD state of the current thread, as bytes in the architecture's
/// signal-frame format.
///
/// The image formats (all little-endian):
///
/// | Arch | [`image_len`](Self::image_len) | Format |
/// |---|---|---|
/// | x86_64 | 512, or the XSAVE user size (≥ 576) | an FXSAVE image, or a standard-format (uncompacted) XSAVE image; see [`x86_xfeatures`](Self::x86_xfeatures) |
/// | aarch64 | [`aarch64::FP_IMAGE_LEN`] (520) | `fpsimd_context` without its header: fpsr u32, fpcr u32, vregs 32 × 16 B |
/// | riscv64 | [`riscv64::FP_IMAGE_LEN`] (264) | `__riscv_d_ext_state`: f\[32\] u64, fcsr u32, 4 zero bytes |
/// | loongarch64 | [`loongarch64::FP_IMAGE_LEN`] (272) | `fpu_context`: regs\[32\] u64, fcc u64, fcsr u32, 4 zero bytes |
///
/// `image_len() == 0` means "no FP state": no FPU on x86_64 (`fpstate` NULL), no
/// FPSIMD on aarch64, no F/D on riscv64, and on loongarch64 "the thread has not used
/// the FPU" (`SC_USED_FP` clear). Any other length than the table's makes frame setup
/// fail (a kernel configuration error, reported as [`FrameError::FpLayout`]).
///
/// Images handed to [`restore`](Self::restore) have been validated so that loading
/// them cannot fault: on x86_64 the XSAVE header's reserved bytes are zero, XSTATE_BV
/// is within [`x86_xfeatures`](Self::x86_xfeatures) and MXCSR has no bit outside
/// [`x86_mxcsr_mask`](Self::x86_mxcsr_mask).
///
/// Context: the crate calls every method from [`setup_rt_frame`] and
/// [`restore_rt_frame`], in process context on the thread whose FP state it is, with no
/// lock of this crate held. The methods must not allocate.
pub trait FpHook {
    /// Length of the image [`save`](Self::save) writes, or 0 for none.
    fn image_len(&self) -> usize;
    /// Writes the current FP/SIMD state into `image` (`image_len()` bytes, zeroed).
    fn save(&mut self, image: &mut [u8]);
    /// Loads the FP/SIMD state from `image` (same format and length as `save`).
    /// Returns false to reject the image, which fails the sigreturn (→ SIGSEGV).
    fn restore(&mut self, image: &[u8]) -> bool;
    /// Puts the FP/SIMD state in its initial state (x86_64 does this for every
    /// handler, and on a failed or NULL FP restore; loongarch64 when `SC_USED_FP` is
    /// clear on sigreturn).
    fn reset(&mut self);
    /// x86_64 only: the user xfeatures (the XCR0 bits user space may use), or 0 if the
    /// CPU has no XSAVE and the image is a 512-byte FXSAVE area. When nonzero it must
    /// include x87 and SSE (bits 0 and 1).
    fn x86_xfeatures(&self) -> u64 {
        0
    }
    /// x86_64 only: the MXCSR bits the CPU accepts (`mxcsr_feature_mask`). The
    /// default, 0xFFBF, is Linux's value when the CPU reports none.
    fn x86_mxcsr_mask(&self) -> u32 {
        0xFFBF
    }
}

/// No FP/SIMD state at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoFp;

impl FpHook for NoFp {
    fn image_len(&self) -> usize {
        0
    }
    fn save(&mut self, _image: &mut [u8]) {}
    fn restore(&mut self, _image: &[u8]) -> bool {
        true
    }
    fn reset(&mut self) {}
}

/// The thread's last fault, recorded in the frame (never read back).
///
/// x86_64: `address` → `cr2`, `code` → `err`, `trapno` → `trapno`.
/// aarch64: `address` → `fault_address`, `code` → an `esr_context` record (none if 0).
/// loongarch64: `code` 1 → `SC_ADDRERR_RD`, 2 → `SC_ADDRERR_WR` in `sc_flags`.
/// riscv64: unused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FaultInfo {
    /// Faulting address.
    pub address: u64,
    /// Architecture fault code (x86 error code, arm64 ESR, loongarch error code).
    pub code: u64,
    /// x86 trap number.
    pub trapno: u64,
}

/// One signal to deliver to a handler: what the managers decided (their handler
/// delivery: signal, siginfo, action, saved mask), plus the kernel's trampoline and
/// fault record.
#[derive(Clone, Copy, Debug)]
pub struct FrameRequest<'a> {
    /// The signal.
    pub sig: Signo,
    /// Its action; must be a handler ([`Disposition::Handler`]).
    pub action: &'a SignalAction,
    /// The 128-byte `siginfo_t`, as user space sees it.
    pub info: &'a [u8; 128],
    /// The mask to restore when the handler returns (`sigmask_to_save()`: the saved
    /// mask of sigsuspend and friends, else the current one).
    pub saved_mask: SignalSet,
    /// Where the handler returns when there is no `SA_RESTORER`: the vDSO's
    /// `rt_sigreturn` trampoline (aarch64, riscv64, loongarch64). Unused on x86_64.
    pub trampoline: u64,
    /// The thread's last fault, for the frame's fault fields.
    pub fault: FaultInfo,
}

/// Where a frame was pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandlerFrame {
    /// The `rt_sigframe` (the handler's stack pointer).
    pub frame: u64,
    /// Its `siginfo`.
    pub info: u64,
    /// Its `ucontext`.
    pub ucontext: u64,
}

/// Why a frame could not be built or parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// A user-memory access faulted (or an address computation wrapped).
    Fault,
    /// The frame would not fit on the alternate stack ("overflowed sigaltstack").
    AltStackOverflow,
    /// x86_64 handler without `SA_RESTORER`.
    NoRestorer,
    /// The action is not a handler.
    NotAHandler,
    /// The [`FpHook`]'s image length does not fit the architecture.
    FpLayout,
    /// The resulting user registers are invalid (aarch64 `valid_user_regs`).
    BadRegisters,
    /// aarch64: the stack pointer at `rt_sigreturn` is not 16-byte aligned.
    Misaligned,
    /// A malformed extension record (bad magic, size, alignment, duplicate...).
    BadRecord,
    /// x86_64: the saved instruction pointer is not canonical.
    NonCanonicalPc,
    /// The FP/SIMD image was rejected (x86 FP state that would fault, or the hook
    /// said no).
    BadFpState,
}

impl From<Errno> for FrameError {
    fn from(_: Errno) -> FrameError {
        FrameError::Fault
    }
}

/// Frame setup failed: the caller must force SIGSEGV (`force_sigsegv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForceSigsegv {
    /// The signal being delivered was SIGSEGV itself: the SIGSEGV is fatal (its
    /// handler is reset to `SIG_DFL` before it is forced).
    pub fatal: bool,
    /// What went wrong.
    pub error: FrameError,
}

/// What [`restore_rt_frame`] restored from a well-formed frame: what the caller still
/// has to apply (the mask) and what the system call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoredFrame {
    /// The mask to install (`set_current_blocked`), without SIGKILL and SIGSTOP.
    pub mask: SignalSet,
    /// The system call's return value: the restored return register (the kernel
    /// must leave that register as restored; writing this value back is harmless).
    pub ret: u64,
    /// loongarch64: the frame's FCSR had a cause bit set for an enabled exception;
    /// Linux clears it and forces SIGFPE (`fcsr_pending`). Always false elsewhere.
    pub force_sigfpe: bool,
}

impl RestoredFrame {
    /// The frame's `mask` installed and `ret` restored, no SIGFPE to force.
    pub(crate) fn restored(mask: SignalSet, ret: u64) -> RestoredFrame {
        RestoredFrame {
            mask,
            ret,
            force_sigfpe: false,
        }
    }
}

/// A malformed frame at `rt_sigreturn`: the caller must force SIGSEGV (`force_sig`)
/// with [`info`](Self::info)`()`.
///
/// What Linux's `rt_sigreturn` did before the failing step stays done, as it gives
/// up there: the frame's mask was installed if it could be read ([`mask`](Self::mask);
/// the caller installs it), the alternate stack was restored where Linux restores it
/// before the failing step (x86_64), and the trap frame and FP state hold what
/// Linux's `pt_regs` and FP state hold at that point (each architecture's module
/// says which). The system call itself returns 0 (Linux's `badframe:` path), so the
/// kernel writes 0, not an error, into the return register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadFrame {
    /// What was wrong.
    pub error: FrameError,
    /// The frame's mask, if it was read before the error.
    pub mask: Option<SignalSet>,
    /// The `si_code` of the SIGSEGV Linux forces on this architecture: `SI_KERNEL`
    /// (`force_sig(SIGSEGV)`) on x86_64 (`signal_fault`), riscv64 and loongarch64;
    /// on aarch64 `arm64_notify_segfault(sp)`'s `SEGV_ACCERR`, or `SEGV_MAPERR` when
    /// nothing is mapped at or above the stack pointer
    /// ([`UserMemory::maps_at_or_above`]). See [`info`](Self::info).
    pub si_code: i32,
    /// Its `si_addr` (aarch64: the stack pointer of that moment; 0 with `SI_KERNEL`).
    pub si_addr: u64,
    /// loongarch64: the frame's FCSR had an enabled exception pending and Linux
    /// forced SIGFPE before the step that failed (`restore_altstack`); the caller
    /// forces it before the SIGSEGV. Always false elsewhere.
    pub force_sigfpe: bool,
    /// Whether Linux had reset the restart block (`restart_block.fn =
    /// do_no_restart_syscall`) before the failing step ([rule 57]): always on aarch64
    /// and riscv64 (the first thing their `rt_sigreturn` does), on x86_64 once
    /// `restore_altstack` succeeded (`restore_sigcontext` does it), on loongarch64 once
    /// `sc_flags` and the record walk were read (`restore_sigcontext` does it there).
    /// [`crate::rt_sigreturn`] resets the thread's block when this is set.
    ///
    /// [rule 57]: crate::docs::rules#rule-57
    pub restart_block_reset: bool,
}

impl BadFrame {
    /// `force_sig(SIGSEGV)`: `SI_KERNEL`, no address.
    fn kernel(error: FrameError, mask: Option<SignalSet>) -> BadFrame {
        BadFrame {
            error,
            mask,
            si_code: crate::info::code::SI_KERNEL,
            si_addr: 0,
            force_sigfpe: false,
            restart_block_reset: false,
        }
    }

    /// The same bad frame, with the restart block reset before the failing step.
    pub(crate) fn after_restart_reset(self) -> BadFrame {
        BadFrame {
            restart_block_reset: true,
            ..self
        }
    }

    /// The siginfo of the SIGSEGV to force: `SignalInfo::kernel(SIGSEGV)` for
    /// `SI_KERNEL`, else a fault with [`si_code`](Self::si_code) at
    /// [`si_addr`](Self::si_addr).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn info(&self) -> SignalInfo {
        if self.si_code == crate::info::code::SI_KERNEL {
            SignalInfo::kernel(Signo::SIGSEGV)
        } else {
            SignalInfo::fault(Signo::SIGSEGV, self.si_code, us(self.si_addr))
        }
    }
}

/// What [`syscall_restart`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RestartOutcome {
    /// The context was not in a system call.
    NotInSyscall,
    /// The system call's result is not a restart code; left alone.
    NotRestartable,
    /// The result became `-EINTR`.
    Interrupted,
    /// The pc was rewound to the system-call instruction and the first argument
    /// register restored: the same call runs again.
    Restarted,
    /// As `Restarted`, but with the `restart_syscall` number: the call resumes
    /// through its restart block.
    RestartSyscall,
}

/// An architecture's signal ABI. Implemented by the marker types
/// [`x86_64::X86_64`], [`aarch64::Aarch64`], [`riscv64::Riscv64`] and
/// [`loongarch64::Loongarch64`]; kernels use the free functions
/// [`setup_rt_frame`], [`restore_rt_frame`] and [`syscall_restart`].
pub trait ArchFrame {
    /// The [`Arch`] this is.
    const ARCH: Arch;
    /// `__NR_rt_sigreturn`.
    const NR_RT_SIGRETURN: u64;
    /// `__NR_restart_syscall`: what the return-to-user path loads into the
    /// system-call number register when a call returned `-ERESTART_RESTARTBLOCK` and
    /// no handler runs ([rule 56]).
    ///
    /// [rule 56]: crate::docs::rules#rule-56
    const NR_RESTART_SYSCALL: u64;
    /// Whether `rt_sigreturn` resets the restart block before anything can fail
    /// (aarch64 and riscv64 do it first; x86_64 and loongarch64 in
    /// `restore_sigcontext`, see [`BadFrame::restart_block_reset`]).
    const RESTART_RESET_FIRST: bool;
    /// The plain user context (all GPRs, pc, sp, status, syscall-restart state).
    type Context: TrapFrame<Arch = Self> + Copy + Debug + Default + PartialEq + Eq;

    /// Builds and writes the frame for `d` and points `ctx` at the handler. Does not
    /// touch `stack` (the caller disarms it) and changes nothing on error.
    ///
    /// Context: as [`setup_rt_frame`].
    fn setup_rt_frame<M: UserMemory + ?Sized>(
        ctx: &mut Self::Context,
        fp: &mut dyn FpHook,
        mem: &mut M,
        stack: &SignalStack,
        d: &FrameRequest<'_>,
    ) -> Result<HandlerFrame, FrameError>;

    /// Parses the frame at the context's stack pointer and restores the context,
    /// the FP state and the alternate stack. On error, `ctx`, `fp` and `stack` hold
    /// what Linux's `rt_sigreturn` had restored before the failing step.
    fn restore_rt_frame<M: UserMemory + ?Sized>(
        ctx: &mut Self::Context,
        fp: &mut dyn FpHook,
        mem: &M,
        stack: &mut SignalStack,
    ) -> Result<RestoredFrame, BadFrame>;

    /// Applies the restart table (see [`syscall_restart`]).
    ///
    /// Context: as [`syscall_restart`].
    fn syscall_restart(ctx: &mut Self::Context, handler: Option<&SignalAction>) -> RestartOutcome;
}

/// The kernel's trap frame (saved user registers) for one architecture.
///
/// The crate works on the plain [`ArchFrame::Context`]; a kernel implements this for
/// its own trap-frame type to convert. The contexts implement it themselves.
///
/// Context: the crate calls both methods in process context, on the thread the trap
/// frame belongs to (from [`setup_rt_frame`], [`restore_rt_frame`] and
/// [`syscall_restart`]); they must not block or allocate.
pub trait TrapFrame {
    /// The architecture.
    type Arch: ArchFrame;
    /// The user context held in this trap frame.
    fn context(&self) -> <Self::Arch as ArchFrame>::Context;
    /// Stores `ctx` into this trap frame.
    fn set_context(&mut self, ctx: &<Self::Arch as ArchFrame>::Context);
}

/// Pushes a signal frame for a handler and redirects the trap frame to it.
///
/// On success the trap frame runs the handler on return to user space and, if the
/// stack has `SS_AUTODISARM`, `stack` is disarmed (`signal_delivered`). The caller then
/// blocks `sa_mask` plus the signal unless `SA_NODEFER` ([rule 47]).
///
/// On failure nothing changed and the caller must force SIGSEGV as
/// [`ForceSigsegv`] says ([rule 48]).
///
/// Context: process context, on the thread the frame is for, with no lock of this crate
/// held: it writes user memory through [`UserMemory`], which may fault and sleep. Never
/// allocates.
///
/// [rule 47]: crate::docs::rules#rule-47
/// [rule 48]: crate::docs::rules#rule-48
pub fn setup_rt_frame<T: TrapFrame + ?Sized, M: UserMemory + ?Sized>(
    tf: &mut T,
    fp: &mut dyn FpHook,
    mem: &mut M,
    stack: &mut SignalStack,
    d: &FrameRequest<'_>,
) -> Result<HandlerFrame, ForceSigsegv> {
    let mut ctx = tf.context();
    match T::Arch::setup_rt_frame(&mut ctx, fp, mem, stack, d) {
        Ok(frame) => {
            tf.set_context(&ctx);
            stack.disarm_after_delivery();
            Ok(frame)
        }
        Err(error) => Err(ForceSigsegv {
            fatal: d.sig == Signo::SIGSEGV,
            error,
        }),
    }
}

/// The frame half of Linux's `rt_sigreturn` (`restore_sigcontext` and its per-architecture
/// kin): restores the context saved by [`setup_rt_frame`] from the frame at
/// the trap frame's stack pointer.
///
/// On success the trap frame holds the interrupted context (sanitised: see each
/// architecture), its system-call state is cleared (so no restart happens on this
/// return), and the caller installs [`RestoredFrame::mask`] and resets the thread's
/// restart block to "no restart" (`do_no_restart_syscall`), as Linux does
/// ([`crate::rt_sigreturn`] does both).
///
/// On [`BadFrame`] the trap frame, the FP state and `stack` hold what Linux had
/// restored before the failing step (the registers of a frame whose records or FP
/// state are bad, for example, sanitised as on success); the caller installs
/// [`BadFrame::mask`] if any and forces SIGSEGV.
///
/// Context: process context, on the thread whose frame it is, with no lock of this
/// crate held: it reads user memory through [`UserMemory`], which may fault and
/// sleep. Never allocates.
pub fn restore_rt_frame<T: TrapFrame + ?Sized, M: UserMemory + ?Sized>(
    tf: &mut T,
    fp: &mut dyn FpHook,
    mem: &M,
    stack: &mut SignalStack,
) -> Result<RestoredFrame, BadFrame> {
    let mut ctx = tf.context();
    let r = T::Arch::restore_rt_frame(&mut ctx, fp, mem, stack);
    tf.set_context(&ctx);
    r.map_err(|bad| {
        if T::Arch::RESTART_RESET_FIRST {
            bad.after_restart_reset()
        } else {
            bad
        }
    })
}

/// Rewrites an interrupted system call's result before returning to user space ([the
/// restart table](crate::docs::frames#restart), [rule 49]): `handler` is the action of
/// the handler about to run, or `None` when no handler runs (nothing pending, ignored,
/// stop).
///
/// | Result | Handler with SA_RESTART | Handler | No handler |
/// |---|---|---|---|
/// | `-ERESTARTSYS` | restart | `-EINTR` | restart |
/// | `-ERESTARTNOINTR` | restart | restart | restart |
/// | `-ERESTARTNOHAND` | `-EINTR` | `-EINTR` | restart |
/// | `-ERESTART_RESTARTBLOCK` | `-EINTR` | `-EINTR` | `restart_syscall` |
///
/// The result is read as Linux reads it: all 64 bits on x86_64 and loongarch64, only
/// its low 32 bits (an `int`) on aarch64 and riscv64, so there `0x1_ffff_fe00` is
/// `-ERESTARTSYS`.
///
/// Call it once per return, before [`setup_rt_frame`] when a handler runs. Except on
/// x86_64 (which keeps `orig_ax` as Linux does), the context is then marked "not in a
/// system call", so a second call does nothing.
///
/// Context: any; it only edits the trap frame (process context in practice, on the
/// returning thread). Never allocates, never blocks.
///
/// [rule 49]: crate::docs::rules#rule-49
pub fn syscall_restart<T: TrapFrame + ?Sized>(
    tf: &mut T,
    handler: Option<&SignalAction>,
) -> RestartOutcome {
    let mut ctx = tf.context();
    let r = T::Arch::syscall_restart(&mut ctx, handler);
    tf.set_context(&ctx);
    r
}

// ---------------------------------------------------------------------------
// Shared helpers for the architecture modules.
// ---------------------------------------------------------------------------

/// Whether the kernel's FP hook has state to carry in a frame whose fixed FP image
/// is `image_len` bytes (aarch64, riscv64, loongarch64): none, exactly that, or a
/// kernel configuration error.
pub(crate) fn fp_present(fp: &dyn FpHook, image_len: usize) -> Result<bool, FrameError> {
    match fp.image_len() {
        0 => Ok(false),
        n if n == image_len => Ok(true),
        _ => Err(FrameError::FpLayout),
    }
}

/// How wide the return register is read when it is compared with the restart codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetWidth {
    /// All 64 bits (x86_64's `syscall_get_error`, loongarch64's `switch (regs[4])`).
    Long,
    /// Its low 32 bits as an `int` (`int retval = regs->regs[0]` in aarch64's and
    /// `int retval = regs->a0` in riscv64's `arch_do_signal_or_restart`).
    Int,
}

/// An architecture's system-call registers, as its restart code
/// (`arch_do_signal_or_restart` / `handle_signal`) reads and rewrites them: the
/// context implements it, [`restart_syscall`] is the one restart for all four.
pub(crate) trait SyscallRegs {
    /// How wide the result is read.
    const RET_WIDTH: RetWidth;
    /// Length of the system-call instruction the pc is rewound over.
    const INSN_LEN: u64;
    /// Whether the restart forgets the system call whatever the result (all but
    /// x86_64, which keeps `orig_ax`).
    const FORGETS_SYSCALL: bool;
    /// Whether the context was entered through a system call.
    fn in_syscall(&mut self) -> &mut bool;
    /// The return register.
    fn ret(&mut self) -> &mut u64;
    /// The first argument at entry (x86_64: the number, `orig_ax`).
    fn orig_arg(&self) -> u64;
    /// The pc.
    fn pc(&mut self) -> &mut u64;
    /// The register that carries the system-call number (x86_64: the return
    /// register itself, so it is written last).
    fn nr(&mut self) -> &mut u64;
}

/// The restart table ([rule 49]) applied to the context's interrupted system call
/// on an architecture whose `restart_syscall` is `nr_restart`: the result becomes
/// `-EINTR`, or the pc goes back over the system-call instruction with the first
/// argument restored (and, for `restart_syscall`, its number loaded).
///
/// [rule 49]: crate::docs::rules#rule-49
pub(crate) fn restart_syscall<C: SyscallRegs>(
    ctx: &mut C,
    nr_restart: u64,
    handler: Option<&SignalAction>,
) -> RestartOutcome {
    if !*ctx.in_syscall() {
        return RestartOutcome::NotInSyscall;
    }
    if C::FORGETS_SYSCALL {
        *ctx.in_syscall() = false;
    }
    let r = restart_decision(*ctx.ret(), C::RET_WIDTH, handler);
    match r {
        RestartOutcome::Interrupted => *ctx.ret() = EINTR_RET,
        RestartOutcome::Restarted | RestartOutcome::RestartSyscall => {
            *ctx.ret() = ctx.orig_arg();
            let pc = ctx.pc();
            *pc = pc.wrapping_sub(C::INSN_LEN);
            if r == RestartOutcome::RestartSyscall {
                *ctx.nr() = nr_restart;
            }
        }
        RestartOutcome::NotInSyscall | RestartOutcome::NotRestartable => {}
    }
    r
}

/// Implements [`SyscallRegs`] for an architecture's context from the fields that
/// hold its system-call registers (every context keeps `in_syscall`).
macro_rules! syscall_regs {
    ($context:ty {
        ret: $ret:ident $([$reti:literal])?,
        orig_arg: $orig:ident,
        pc: $pc:ident,
        nr: $nr:ident $([$nri:literal])? $(,)?
    },
    ret_width: $width:ident, insn_len: $insn:expr, forgets_syscall: $forgets:expr $(,)?) => {
        impl $crate::frame::SyscallRegs for $context {
            const RET_WIDTH: $crate::frame::RetWidth = $crate::frame::RetWidth::$width;
            const INSN_LEN: u64 = $insn;
            const FORGETS_SYSCALL: bool = $forgets;
            fn in_syscall(&mut self) -> &mut bool {
                &mut self.in_syscall
            }
            fn ret(&mut self) -> &mut u64 {
                &mut self.$ret $([$reti])?
            }
            fn orig_arg(&self) -> u64 {
                self.$orig
            }
            fn pc(&mut self) -> &mut u64 {
                &mut self.$pc
            }
            fn nr(&mut self) -> &mut u64 {
                &mut self.$nr $([$nri])?
            }
        }
    };
}
pub(crate) use syscall_regs;

/// Implements [`TrapFrame`] for an architecture's plain context (the conversions
/// are copies).
macro_rules! context_is_trap_frame {
    ($context:ty, $arch:ty) => {
        impl $crate::frame::TrapFrame for $context {
            type Arch = $arch;
            fn context(&self) -> $context {
                *self
            }
            fn set_context(&mut self, ctx: &$context) {
                *self = *ctx;
            }
        }
    };
}
pub(crate) use context_is_trap_frame;

/// What an architecture's frame setup works on: the arguments of
/// [`ArchFrame::setup_rt_frame`] (the context, the FP hook, user memory, the
/// alternate stack, the delivery), then the handler's address, already taken from
/// the action ([`handler_addr`], the first check on every architecture).
pub(crate) struct Setup<'a, C, M: ?Sized>(
    pub(crate) &'a mut C,
    pub(crate) &'a mut dyn FpHook,
    pub(crate) &'a mut M,
    pub(crate) &'a SignalStack,
    pub(crate) &'a FrameRequest<'a>,
    pub(crate) u64,
);

/// What an architecture's `rt_sigreturn` works on: the arguments of
/// [`ArchFrame::restore_rt_frame`] (the context, the FP hook, user memory, the
/// alternate stack).
pub(crate) struct Restore<'a, C, M: ?Sized>(
    pub(crate) &'a mut C,
    pub(crate) &'a mut dyn FpHook,
    pub(crate) &'a M,
    pub(crate) &'a mut SignalStack,
);

/// Implements [`ArchFrame`] for an architecture's marker type (whose name is its
/// [`Arch`] variant's) and [`TrapFrame`] for its context: the constants, frame setup
/// and `rt_sigreturn` through the module's own `setup_rt_frame(Setup)` and
/// `restore_rt_frame(Restore)`, the one restart of all four ([`restart_syscall`]),
/// and, in a build for that architecture, the check that both system-call numbers
/// agree with linux-raw-sys's.
macro_rules! arch_frame {
    ($arch:ident for $target:literal {
        context: $context:ty,
        nr_rt_sigreturn: $sigreturn:literal,
        nr_restart_syscall: $restart:literal,
        restart_reset_first: $first:literal $(,)?
    }) => {
        $crate::frame::context_is_trap_frame!($context, $arch);

        impl $crate::frame::ArchFrame for $arch {
            const ARCH: $crate::arch::Arch = $crate::arch::Arch::$arch;
            const NR_RT_SIGRETURN: u64 = $sigreturn;
            const NR_RESTART_SYSCALL: u64 = $restart;
            const RESTART_RESET_FIRST: bool = $first;
            type Context = $context;

            fn setup_rt_frame<M: $crate::uaccess::UserMemory + ?Sized>(
                ctx: &mut $context,
                fp: &mut dyn $crate::frame::FpHook,
                mem: &mut M,
                stack: &$crate::stack::SignalStack,
                d: &$crate::frame::FrameRequest<'_>,
            ) -> Result<$crate::frame::HandlerFrame, $crate::frame::FrameError> {
                let handler = $crate::frame::handler_addr(d)?;
                setup_rt_frame($crate::frame::Setup(ctx, fp, mem, stack, d, handler))
            }

            fn restore_rt_frame<M: $crate::uaccess::UserMemory + ?Sized>(
                ctx: &mut $context,
                fp: &mut dyn $crate::frame::FpHook,
                mem: &M,
                stack: &mut $crate::stack::SignalStack,
            ) -> Result<$crate::frame::RestoredFrame, $crate::frame::BadFrame> {
                restore_rt_frame($crate::frame::Restore(ctx, fp, mem, stack))
            }

            fn syscall_restart(
                ctx: &mut $context,
                handler: Option<&$crate::action::SignalAction>,
            ) -> $crate::frame::RestartOutcome {
                $crate::frame::restart_syscall(ctx, $restart, handler)
            }
        }

        #[cfg(target_arch = $target)]
        const _: () = {
            use linux_raw_sys::general::{__NR_restart_syscall, __NR_rt_sigreturn};
            assert!($restart == __NR_restart_syscall as u64);
            assert!($sigreturn == __NR_rt_sigreturn as u64);
        };
    };
}
pub(crate) use arch_frame;

/// What the restart table says for a result `ret`, read `width` wide.
pub(crate) fn restart_decision(
    ret: u64,
    width: RetWidth,
    handler: Option<&SignalAction>,
) -> RestartOutcome {
    let code = match width {
        RetWidth::Long => ret as i64,
        RetWidth::Int => i64::from(ret as u32 as i32),
    };
    let is = |e: Errno| code == e.as_neg_ret() as i64;
    let restart_flag = handler.map(|a| a.flags().contains(SaFlags::RESTART));
    if is(Errno::ERESTARTNOINTR) {
        RestartOutcome::Restarted
    } else if is(Errno::ERESTARTSYS) {
        match restart_flag {
            Some(false) => RestartOutcome::Interrupted,
            _ => RestartOutcome::Restarted,
        }
    } else if is(Errno::ERESTARTNOHAND) {
        match restart_flag {
            Some(_) => RestartOutcome::Interrupted,
            None => RestartOutcome::Restarted,
        }
    } else if is(Errno::ERESTART_RESTARTBLOCK) {
        match restart_flag {
            Some(_) => RestartOutcome::Interrupted,
            None => RestartOutcome::RestartSyscall,
        }
    } else {
        RestartOutcome::NotRestartable
    }
}

/// `-EINTR` as a register value.
pub(crate) const EINTR_RET: u64 = Errno::EINTR.as_neg_ret() as u64;

/// The handler's address, or [`FrameError::NotAHandler`].
pub(crate) fn handler_addr(d: &FrameRequest<'_>) -> Result<u64, FrameError> {
    match d.action.disposition() {
        Disposition::Handler(h) => Ok(h as u64),
        _ => Err(FrameError::NotAHandler),
    }
}

/// The return address for arches with an optional `SA_RESTORER` (aarch64).
pub(crate) fn restorer_or_trampoline(d: &FrameRequest<'_>) -> u64 {
    if d.action.flags().contains(SaFlags::RESTORER) {
        d.action.restorer() as u64
    } else {
        d.trampoline
    }
}

/// Whether the action asked for the alternate stack.
pub(crate) fn wants_onstack(d: &FrameRequest<'_>) -> bool {
    d.action.flags().contains(SaFlags::ONSTACK)
}

/// A register value as an address for [`SignalStack`] (64-bit hosts: exact).
pub(crate) fn us(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// A user address for [`UserMemory`]; an unrepresentable one faults.
pub(crate) fn uaddr(v: u64) -> Result<usize, FrameError> {
    usize::try_from(v).map_err(|_| FrameError::Fault)
}

/// `sigsp` on register values; `None` (wrapped altstack top) is a fault.
pub(crate) fn sigsp(stack: &SignalStack, sp: u64, onstack: bool) -> Result<u64, FrameError> {
    stack
        .sigsp(us(sp), onstack)
        .map(|v| v as u64)
        .ok_or(FrameError::Fault)
}

pub(crate) const fn round_down(v: u64, align: u64) -> u64 {
    v & !(align - 1)
}

pub(crate) fn read_user<M: UserMemory + ?Sized>(
    mem: &M,
    addr: u64,
    buf: &mut [u8],
) -> Result<(), FrameError> {
    mem.read(uaddr(addr)?, buf).map_err(FrameError::from)
}

pub(crate) fn write_user<M: UserMemory + ?Sized>(
    mem: &mut M,
    addr: u64,
    buf: &[u8],
) -> Result<(), FrameError> {
    mem.write(uaddr(addr)?, buf).map_err(FrameError::from)
}

/// `access_ok(addr, len)` as far as the crate can check it: the range must not wrap
/// the address space. (Whether it lies in user space is the kernel's
/// [`UserMemory`]'s to check on each access.)
pub(crate) fn access_ok(addr: u64, len: usize) -> bool {
    addr.checked_add(len as u64).is_some()
}

/// `addr + off` for an offset inside a range [`access_ok`] accepted.
pub(crate) fn at(addr: u64, off: usize) -> u64 {
    addr.wrapping_add(off as u64)
}

/// Most 64-bit fields [`read_user_words`] reads in one copy.
const MAX_WORDS: usize = 34;

/// What a field that faults does to [`read_user_words`], as Linux's two ways of
/// reading registers from a frame.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnFault {
    /// Field-by-field `__get_user` (aarch64's `__get_user_error`, loongarch64's
    /// `err |= __get_user(...)`): every field is read, and one that faults reads as 0.
    ReadsZero,
    /// `__copy_from_user` straight into the registers (riscv64's `sc_regs`): the
    /// fields before the fault are copied and the rest keep their values.
    Stops,
}

/// Reads `words.len()` consecutive little-endian 64-bit fields at `addr`, a field
/// that faults handled as `on_fault` says. Returns whether all were read. One copy
/// when the whole block is readable.
pub(crate) fn read_user_words<M: UserMemory + ?Sized>(
    mem: &M,
    addr: u64,
    words: &mut [u64],
    on_fault: OnFault,
) -> bool {
    if read_words(mem, addr, words) {
        return true;
    }
    let mut all = true;
    for (i, w) in words.iter_mut().enumerate() {
        match word_at(mem, addr, i) {
            Some(v) => *w = v,
            None if on_fault == OnFault::Stops => return false,
            None => {
                *w = 0;
                all = false;
            }
        }
    }
    all
}

/// The `i`th 64-bit field from `addr`, or `None` if reading it faults.
fn word_at<M: UserMemory + ?Sized>(mem: &M, addr: u64, i: usize) -> Option<u64> {
    addr.checked_add(8 * i as u64)
        .and_then(|a| read_u64(mem, a).ok())
}

/// One copy of `words.len()` (at most [`MAX_WORDS`]) fields; false if it faults
/// (`words` untouched then).
fn read_words<M: UserMemory + ?Sized>(mem: &M, addr: u64, words: &mut [u64]) -> bool {
    let mut buf = [0u8; 8 * MAX_WORDS];
    if words.len() > MAX_WORDS {
        return false;
    }
    let bytes = le::slice_mut(&mut buf, 0, 8 * words.len());
    if read_user(mem, addr, bytes).is_err() {
        return false;
    }
    for (i, w) in words.iter_mut().enumerate() {
        *w = le::u64_at(bytes, 8 * i);
    }
    true
}

/// Reads a `u64` at `addr`.
pub(crate) fn read_u64<M: UserMemory + ?Sized>(mem: &M, addr: u64) -> Result<u64, FrameError> {
    let mut b = [0u8; 8];
    read_user(mem, addr, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Reads a `u32` at `addr`.
pub(crate) fn read_u32<M: UserMemory + ?Sized>(mem: &M, addr: u64) -> Result<u32, FrameError> {
    let mut b = [0u8; 4];
    read_user(mem, addr, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// Reads the frame's `uc_sigmask` at `addr`, as `set_current_blocked` installs it
/// (SIGKILL and SIGSTOP removed).
pub(crate) fn read_mask<M: UserMemory + ?Sized>(
    mem: &M,
    addr: u64,
) -> Result<SignalSet, FrameError> {
    read_u64(mem, addr).map(|m| SignalSet::from_bits(m).without_unblockable())
}

/// `restore_altstack`: reads `uc_stack` at `addr` (a fault fails the sigreturn) and
/// re-installs it as `sigaltstack` would for the stack pointer `sp`.
pub(crate) fn restore_altstack<M: UserMemory + ?Sized>(
    mem: &M,
    addr: u64,
    stack: &mut SignalStack,
    sp: u64,
    arch: Arch,
) -> Result<(), FrameError> {
    let mut raw = [0u8; StackT::SIZE];
    read_user(mem, addr, &mut raw)?;
    stack.restore(StackT::from_bytes(&raw), us(sp), arch.min_sigstksz());
    Ok(())
}

/// The ucontext header every architecture writes the same way: `uc_stack` (the
/// alternate stack as `sigaltstack` would report it) at `uc_stack` and the saved
/// mask at `uc_sigmask`, both offsets in `buf`; `uc_flags` and `uc_link` stay as the
/// caller leaves them (0 but on x86_64).
pub(crate) fn put_ucontext_header(
    buf: &mut [u8],
    uc_stack: usize,
    uc_sigmask: usize,
    stack: &SignalStack,
    d: &FrameRequest<'_>,
) {
    put_stack(buf, uc_stack, stack.to_uc_stack());
    le::put_u64(buf, uc_sigmask, d.saved_mask.bits());
}

/// `get_sigframe`'s opening on riscv64 and loongarch64: running on the alternate
/// stack, a `size`-byte frame below `sp` must not leave it ("overflowed
/// sigaltstack"); then the top of the stack the frame goes on ([`sigsp`]).
pub(crate) fn sigframe_top(
    stack: &SignalStack,
    sp: u64,
    size: usize,
    d: &FrameRequest<'_>,
) -> Result<u64, FrameError> {
    if stack.on_stack(us(sp)) && !stack.on_stack(us(sp.wrapping_sub(size as u64))) {
        return Err(FrameError::AltStackOverflow);
    }
    sigsp(stack, sp, wants_onstack(d))
}

/// The opening of `rt_sigreturn` on x86_64, riscv64 and loongarch64: the
/// `frame_size`-byte frame at `frame` must pass `access_ok`, then its mask at
/// offset `uc_sigmask` is read; either failing is a `SI_KERNEL` bad frame with
/// no mask.
pub(crate) fn read_sigframe_mask<M: UserMemory + ?Sized>(
    mem: &M,
    frame: u64,
    frame_size: usize,
    uc_sigmask: usize,
) -> Result<SignalSet, BadFrame> {
    let bad = |e| BadFrame::kernel(e, None);
    if !access_ok(frame, frame_size) {
        return Err(bad(FrameError::Fault));
    }
    read_mask(mem, at(frame, uc_sigmask)).map_err(bad)
}

/// The opening of `rt_sigreturn` on riscv64 and loongarch64: whether the FP hook
/// holds state for the frame's `image_len`-byte FP image (a misconfigured hook is a
/// `SI_KERNEL` bad frame with no mask), then [`read_sigframe_mask`]. Returns
/// (FP state present, the frame's mask).
pub(crate) fn open_sigframe<M: UserMemory + ?Sized>(
    fp: &dyn FpHook,
    image_len: usize,
    mem: &M,
    frame: u64,
    frame_size: usize,
    uc_sigmask: usize,
) -> Result<(bool, SignalSet), BadFrame> {
    let has_fp = fp_present(fp, image_len).map_err(|e| BadFrame::kernel(e, None))?;
    Ok((
        has_fp,
        read_sigframe_mask(mem, frame, frame_size, uc_sigmask)?,
    ))
}

impl HandlerFrame {
    /// The frame at `frame`, its siginfo and ucontext at those offsets in it.
    pub(crate) fn at(frame: u64, info: usize, ucontext: usize) -> HandlerFrame {
        HandlerFrame {
            frame,
            info: frame + info as u64,
            ucontext: frame + ucontext as u64,
        }
    }
}

/// Little-endian field access on kernel buffers. Offsets are the layout constants of
/// the architecture modules, always in range for the buffers they index; an
/// out-of-range access would read 0 / write nothing rather than panic.
pub(crate) mod le {
    pub(crate) fn slice(b: &[u8], off: usize, len: usize) -> &[u8] {
        b.get(off..).and_then(|s| s.get(..len)).unwrap_or(&[])
    }

    pub(crate) fn slice_mut(b: &mut [u8], off: usize, len: usize) -> &mut [u8] {
        match b.get_mut(off..).and_then(|s| s.get_mut(..len)) {
            Some(s) => s,
            None => &mut [],
        }
    }

    pub(crate) fn put(b: &mut [u8], off: usize, src: &[u8]) {
        let dst = slice_mut(b, off, src.len());
        if dst.len() == src.len() {
            dst.copy_from_slice(src);
        }
    }

    pub(crate) fn put_u64(b: &mut [u8], off: usize, v: u64) {
        put(b, off, &v.to_le_bytes());
    }

    /// Writes `words` as consecutive 64-bit fields from `off`.
    pub(crate) fn put_words(b: &mut [u8], off: usize, words: &[u64]) {
        for (i, w) in words.iter().enumerate() {
            put_u64(b, off + 8 * i, *w);
        }
    }

    pub(crate) fn put_u32(b: &mut [u8], off: usize, v: u32) {
        put(b, off, &v.to_le_bytes());
    }

    pub(crate) fn put_u16(b: &mut [u8], off: usize, v: u16) {
        put(b, off, &v.to_le_bytes());
    }

    /// The `N` bytes at `off`, or zeros if they are out of range.
    fn bytes_at<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
        slice(b, off, N).try_into().unwrap_or([0; N])
    }

    pub(crate) fn u64_at(b: &[u8], off: usize) -> u64 {
        u64::from_le_bytes(bytes_at(b, off))
    }

    pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
        u32::from_le_bytes(bytes_at(b, off))
    }
}

/// Writes a `stack_t` at `off`.
pub(crate) fn put_stack(b: &mut [u8], off: usize, s: StackT) {
    le::put(b, off, &s.to_bytes());
}

/// `struct ucontext` of asm-generic/ucontext.h, the one aarch64, riscv64 and
/// loongarch64 share (each `abi::Ucontext` is this over its own `sigcontext`):
/// the mask comes before the registers, with room for a C library's 1024-bit
/// `sigset_t`, so that `uc_mcontext` is 16-aligned at 176.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GenericUcontext<Mcontext> {
    /// Always 0.
    pub uc_flags: u64,
    /// Always 0.
    pub uc_link: u64,
    /// The alternate stack at delivery.
    pub uc_stack: linux_raw_sys::general::stack_t,
    /// The mask to restore.
    pub uc_sigmask: u64,
    /// Room for libc's 1024-bit sigset_t.
    pub unused: [u8; 120],
    /// The registers (and, but on riscv64, the records).
    pub uc_mcontext: Mcontext,
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn generic_ucontext_head_matches_linux() {
        #[repr(C, align(16))]
        struct Mcontext([u8; 16]);
        type Uc = GenericUcontext<Mcontext>;
        assert_eq!(offset_of!(Uc, uc_stack), 16);
        assert_eq!(offset_of!(Uc, uc_sigmask), 40);
        assert_eq!(offset_of!(Uc, unused), 48);
        assert_eq!(offset_of!(Uc, uc_mcontext), 176);
    }

    #[test]
    fn restart_table_matches_linux() {
        use RestartOutcome::*;
        let plain = SignalAction::handler(0x1000, SaFlags::empty(), SignalSet::EMPTY);
        let restart = SignalAction::handler(0x1000, SaFlags::RESTART, SignalSet::EMPTY);
        let r = |e: Errno| e.as_neg_ret() as u64;
        let rows = [
            (Errno::ERESTARTSYS, Restarted, Interrupted, Restarted),
            (Errno::ERESTARTNOINTR, Restarted, Restarted, Restarted),
            (Errno::ERESTARTNOHAND, Interrupted, Interrupted, Restarted),
            (
                Errno::ERESTART_RESTARTBLOCK,
                Interrupted,
                Interrupted,
                RestartSyscall,
            ),
            (Errno::EINTR, NotRestartable, NotRestartable, NotRestartable),
        ];
        for w in [RetWidth::Long, RetWidth::Int] {
            for (e, with_restart, with_handler, none) in rows {
                assert_eq!(
                    restart_decision(r(e), w, Some(&restart)),
                    with_restart,
                    "{e}"
                );
                assert_eq!(restart_decision(r(e), w, Some(&plain)), with_handler, "{e}");
                assert_eq!(restart_decision(r(e), w, None), none, "{e}");
            }
            assert_eq!(
                restart_decision(515u64.wrapping_neg(), w, None),
                NotRestartable
            );
            assert_eq!(
                restart_decision(512, w, None),
                NotRestartable,
                "positive 512"
            );
        }
        // Only the low 32 bits count when Linux reads the register as an int.
        let low = 0x1_0000_0000 | (r(Errno::ERESTARTSYS) & 0xFFFF_FFFF);
        assert_eq!(restart_decision(low, RetWidth::Int, None), Restarted);
        assert_eq!(restart_decision(low, RetWidth::Long, None), NotRestartable);
    }
}
