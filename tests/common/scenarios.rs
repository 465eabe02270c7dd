//! Frame scenarios every architecture passes, written once over [`FrameTestArch`]
//! (as [`super::frame::restart_rows`] is the one restart table): each architecture's
//! test file says how its contexts look, gets the shared `#[test]`s from
//! [`shared_frame_tests!`], and calls the parameterised scenarios (`round_trip`, the
//! restart table) from its own tests.

use super::fp::ImageFp;
use super::frame::{Restart, delivery, int_aliased, neg, restart_rows, user_u32};
use super::signal_setup::{altstack, put_u64};
use super::user_stack::{ALT_BASE, REGION, STACK_BASE, memory};
use ksignal::frame::{
    NoFp, RestartOutcome, RestoredFrame, TrapFrame, restore_rt_frame, setup_rt_frame,
    syscall_restart,
};
use ksignal::{SaFlags, SignalAction, SignalInfo, SignalSet, SignalStack, Signo, SsFlags};
use linux_raw_sys::general::SEGV_ACCERR;
use proptest::prelude::{TestCaseError, prop_assert_eq};
use std::fmt::Debug;

/// What the shared scenarios need to know about one architecture.
pub trait FrameTestArch {
    /// The architecture's user register file.
    type Ctx: TrapFrame + Copy + Debug + PartialEq;
    /// Offset of the `ucontext` in the frame.
    const UC: u64;
    /// Offset of `uc_sigmask` in the frame.
    const SIGMASK: u64;
    /// The user context every scenario starts from (on the main stack).
    fn user_ctx() -> Self::Ctx;
    /// Whether a bad frame's SIGSEGV is arm64's `arm64_notify_segfault(regs->sp)` (a
    /// fault at the sp the frame restored) rather than `force_sig(SIGSEGV)`.
    const BAD_FRAME_FAULTS_AT_SP: bool = false;
    /// Sets the user stack pointer.
    fn set_sp(ctx: &mut Self::Ctx, sp: u64);
    /// An FP state the frame carries.
    fn fp() -> ImageFp;
    /// A handler action with `flags`, plus what the architecture requires (x86_64:
    /// SA_RESTORER).
    fn action(flags: SaFlags) -> SignalAction;
    /// What the handler's return does to the context before `rt_sigreturn` runs
    /// (x86_64: its `ret` pops the return address).
    fn handler_returns(_ctx: &mut Self::Ctx) {}
}

/// `sas_ss_reset` after `__save_altstack` ([rule 38]): the handler runs with the
/// alternate stack disarmed, `uc_stack` keeps the stored flags, and `rt_sigreturn`
/// restores the armed stack.
///
/// [rule 38]: ksignal::docs::rules#rule-38
pub fn autodisarm_resets_the_altstack_for_the_handler_and_sigreturn_restores_it<
    A: FrameTestArch,
>() {
    let armed = altstack(SsFlags::AUTODISARM.bits());
    let (mut mem, mut stack) = (memory(), armed);
    let mut ctx = A::user_ctx();
    let f = setup_rt_frame(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &delivery(
            Signo::SIGUSR1,
            &A::action(SaFlags::ONSTACK),
            SignalSet::EMPTY,
        ),
    )
    .unwrap();
    assert!(f.frame >= ALT_BASE as u64, "the frame is on the altstack");
    assert_eq!(
        stack,
        SignalStack::DISABLED,
        "disarmed while the handler runs"
    );
    assert_eq!(
        user_u32(&mem, f.frame + A::UC + 16 + 8),
        SsFlags::AUTODISARM.bits(),
        "uc_stack keeps the stored flags"
    );
    A::handler_returns(&mut ctx);
    restore_rt_frame(&mut ctx, &mut NoFp, &mem, &mut stack).unwrap();
    assert_eq!(stack, armed);
}

/// `set_current_blocked` drops SIGKILL and SIGSTOP from the mask `rt_sigreturn`
/// reads ([rule 52]).
///
/// [rule 52]: ksignal::docs::rules#rule-52
pub fn sigreturn_mask_never_holds_sigkill_or_sigstop<A: FrameTestArch>() {
    let (mut mem, mut stack, mut fp) = (memory(), SignalStack::DISABLED, A::fp());
    let mut ctx = A::user_ctx();
    let f = setup_rt_frame(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &delivery(
            Signo::SIGUSR1,
            &A::action(SaFlags::SIGINFO),
            SignalSet::EMPTY,
        ),
    )
    .unwrap();
    put_u64(&mut mem, f.frame + A::SIGMASK, u64::MAX);
    A::handler_returns(&mut ctx);
    let r = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(r.mask, SignalSet::ALL.without_unblockable());
}

/// A frame `rt_sigreturn` cannot read raises SIGSEGV ([rule 52]), whether the frame
/// lies below every mapping, above every mapping, or runs off the end of the stack:
/// `force_sig(SIGSEGV)` (SI_KERNEL, no address), or on arm64 a fault at the sp the
/// frame restored, which reads as 0 from an unreadable frame, with SEGV_ACCERR
/// because something is mapped above address 0.
///
/// [rule 52]: ksignal::docs::rules#rule-52
pub fn unreadable_frame_sigsegv<A: FrameTestArch>() {
    for sp in [0x10u64, 0x7fff_0000_0000, (STACK_BASE + REGION - 16) as u64] {
        let mut ctx = A::user_ctx();
        A::set_sp(&mut ctx, sp);
        let e = restore_rt_frame(&mut ctx, &mut NoFp, &memory(), &mut SignalStack::default())
            .unwrap_err();
        if A::BAD_FRAME_FAULTS_AT_SP {
            let info = e.info();
            assert_eq!(info.signo(), Some(Signo::SIGSEGV), "sp {sp:#x}");
            assert_eq!(info.code(), SEGV_ACCERR as i32, "sp {sp:#x}");
            assert_eq!(info.addr(), 0, "sp {sp:#x}");
        } else {
            assert_eq!(e.info(), SignalInfo::kernel(Signo::SIGSEGV), "sp {sp:#x}");
        }
    }
}

/// How an architecture's system-call registers take part in the restart table.
pub trait RestartArch: FrameTestArch {
    /// Whether Linux reads the return register as an `int` (aarch64, riscv64) rather
    /// than as all 64 bits (x86_64, loongarch64).
    const RESTART_CODE_IS_INT: bool;
    /// Whether the context still counts as in a system call after the restart
    /// decision (x86_64 keeps `orig_ax`; the others forget the call).
    const KEEPS_SYSCALL: bool;
    /// A context stopped after a system call that returned `ret`.
    fn in_syscall(ret: u64) -> Self::Ctx;
    /// The registers the restart decision may change: the return register, the pc
    /// and the register holding the system-call number.
    fn syscall_regs(ctx: &Self::Ctx) -> (u64, u64, u64);
    /// Whether the context counts as in a system call.
    fn is_in_syscall(ctx: &Self::Ctx) -> bool;
    /// What [`syscall_regs`](Self::syscall_regs) reads after a row's outcome, where
    /// the call returned `ret` (its value when left untouched).
    fn restart_expected(want: Restart, ret: u64) -> (u64, u64, u64);
}

/// Every row of the restart table ([rule 49]) on this architecture's registers.
///
/// [rule 49]: ksignal::docs::rules#rule-49
pub fn restart_table_with_and_without_handler<A: RestartArch>() {
    for (code, flags, want) in restart_rows() {
        let handler = flags.map(A::action);
        let mut ctx = A::in_syscall(neg(code));
        syscall_restart(&mut ctx, handler.as_ref());
        assert_eq!(
            A::syscall_regs(&ctx),
            A::restart_expected(want, neg(code)),
            "{code:?} {flags:?}"
        );
        assert_eq!(
            A::is_in_syscall(&ctx),
            A::KEEPS_SYSCALL,
            "{code:?} {flags:?}"
        );
        if !A::KEEPS_SYSCALL {
            assert_eq!(
                syscall_restart(&mut ctx, handler.as_ref()),
                RestartOutcome::NotInSyscall,
                "a forgotten call is not restarted twice"
            );
        }
    }
}

/// The restart code is read as Linux reads the return register: a value whose low
/// 32 bits alone are a restart code is that code where Linux reads an `int`, and an
/// ordinary result where it reads all 64 bits.
pub fn restart_code_is_read_as_linux_reads_it<A: RestartArch>() {
    for (code, flags, want) in restart_rows() {
        let handler = flags.map(A::action);
        let mut ctx = A::in_syscall(int_aliased(code));
        let outcome = syscall_restart(&mut ctx, handler.as_ref());
        if A::RESTART_CODE_IS_INT {
            assert_eq!(
                A::syscall_regs(&ctx),
                A::restart_expected(want, int_aliased(code)),
                "{code:?} {flags:?}"
            );
        } else {
            assert_eq!(
                outcome,
                RestartOutcome::NotRestartable,
                "{code:?} {flags:?}"
            );
            assert_eq!(
                A::syscall_regs(&ctx),
                A::restart_expected(Restart::Untouched, int_aliased(code)),
                "{code:?} {flags:?}"
            );
        }
    }
}

/// The round trip every architecture's property test runs ([rule 52]): `sig`
/// delivered with a handler of `flags` from `orig` on `stack0` with `saved` as the
/// mask to restore; the handler clobbers the registers and FP state (`clobber`) and
/// returns; `rt_sigreturn` must bring back `orig`, the FP image `want_fp`, the
/// alternate stack as it was and the mask without SIGKILL and SIGSTOP. Returns what
/// `rt_sigreturn` answered, for the architecture's own checks.
///
/// [rule 52]: ksignal::docs::rules#rule-52
#[allow(clippy::too_many_arguments)]
pub fn round_trip<A: FrameTestArch>(
    orig: A::Ctx,
    fp0: ImageFp,
    stack0: SignalStack,
    flags: SaFlags,
    sig: u32,
    saved: u64,
    clobber: impl FnOnce(&mut A::Ctx, &mut ImageFp),
    want_fp: &[u8],
) -> Result<RestoredFrame, TestCaseError> {
    let (mut mem, mut stack, mut fp) = (memory(), stack0, fp0);
    let act = A::action(flags);
    let saved = SignalSet::from_bits(saved);
    let mut ctx = orig;
    setup_rt_frame(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &delivery(Signo::new(sig).unwrap(), &act, saved),
    )
    .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    clobber(&mut ctx, &mut fp);
    A::handler_returns(&mut ctx);
    let r = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack)
        .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    prop_assert_eq!(ctx, orig);
    prop_assert_eq!(r.mask, saved.without_unblockable());
    prop_assert_eq!(&fp.state[..], want_fp);
    prop_assert_eq!(stack, stack0);
    Ok(r)
}

/// The `#[test]`s every architecture runs as they are, for the [`FrameTestArch`]
/// `$arch`.
macro_rules! shared_frame_tests {
    ($arch:ty) => {
        #[test]
        fn autodisarm_resets_the_altstack_for_the_handler_and_sigreturn_restores_it() {
            $crate::common::scenarios::autodisarm_resets_the_altstack_for_the_handler_and_sigreturn_restores_it::<$arch>();
        }

        #[test]
        fn sigreturn_mask_never_holds_sigkill_or_sigstop() {
            $crate::common::scenarios::sigreturn_mask_never_holds_sigkill_or_sigstop::<$arch>();
        }

        #[test]
        fn unreadable_frame_sigsegv() {
            $crate::common::scenarios::unreadable_frame_sigsegv::<$arch>();
        }

        #[test]
        fn restart_code_is_read_as_linux_reads_it() {
            $crate::common::scenarios::restart_code_is_read_as_linux_reads_it::<$arch>();
        }
    };
}
pub(crate) use shared_frame_tests;
