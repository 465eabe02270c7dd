//! Frame scenarios every architecture passes, written once over [`FrameTestArch`]
//! (as [`super::frame::restart_rows`] is the one restart table): each architecture's
//! test file says how its contexts look and calls these from its own `#[test]`s.

use super::fp::ImageFp;
use super::frame::{delivery, user_u32};
use super::signal_setup::{altstack, put_u64};
use super::user_stack::{ALT_BASE, memory};
use ksignal::frame::{NoFp, TrapFrame, rt_sigreturn, setup_rt_frame};
use ksignal::{SaFlags, SignalAction, SignalSet, SignalStack, Signo, SsFlags};
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
    rt_sigreturn(&mut ctx, &mut NoFp, &mem, &mut stack).unwrap();
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
    let r = rt_sigreturn(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(r.mask, SignalSet::ALL.without_unblockable());
}
