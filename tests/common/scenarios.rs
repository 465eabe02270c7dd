//! Frame scenarios every architecture passes, written once over [`FrameTestArch`]
//! (as [`super::frame::restart_rows`] is the one restart table): each architecture's
//! test file says how its contexts look, gets the shared `#[test]`s from
//! [`shared_frame_tests!`], and calls the parameterised scenarios (`round_trip`, the
//! restart table) from its own tests.

use super::fp::ImageFp;
use super::frame::{
    Restart, any_altstack, delivery, int_aliased, neg, only_ranges, restart_rows, user_u32,
};
use super::signal_setup::{altstack, put_u64, user_u64};
use super::user_stack::{ALT_BASE, REGION, STACK_BASE, memory, stack_top};
use ksignal::frame::{
    BadFrame, ForceSigsegv, FpHook, FrameError, FrameRequest, HandlerFrame, NoFp, RestartOutcome,
    RestoredFrame, TrapFrame, restore_rt_frame, setup_rt_frame, syscall_restart,
};
use ksignal::{
    Errno, SaFlags, SignalAction, SignalInfo, SignalSet, SignalStack, Signo, SsFlags, UserBuffer,
};
use linux_raw_sys::general::SEGV_ACCERR;
use proptest::prelude::{BoxedStrategy, Strategy, TestCaseError, any, prop, prop_assert_eq};
use std::fmt::Debug;

/// What the shared scenarios need to know about one architecture.
pub trait FrameTestArch {
    /// The architecture's user register file.
    type Ctx: TrapFrame + Copy + Debug + PartialEq;
    /// Offset of the `ucontext` in the frame: after the 128-byte siginfo on the
    /// asm-generic architectures (aarch64, riscv64, loongarch64).
    const UC: u64 = 128;
    /// Offset of `uc_sigmask` in the frame: 40 bytes into the asm-generic ucontext.
    const SIGMASK: u64 = Self::UC + 40;
    /// The user context every scenario starts from (on the main stack).
    fn user_ctx() -> Self::Ctx;
    /// Whether a bad frame's SIGSEGV is arm64's `arm64_notify_segfault(regs->sp)` (a
    /// fault at the sp the frame restored) rather than a SIGSEGV with SI_KERNEL and
    /// no address, whether the frame is unmapped or malformed (`force_sig(SIGSEGV)`
    /// on riscv64 and loongarch64, `signal_fault` on x86_64).
    const BAD_FRAME_FAULTS_AT_SP: bool = false;
    /// Sets the user stack pointer.
    fn set_sp(ctx: &mut Self::Ctx, sp: u64);
    /// An FP state the frame carries.
    fn fp() -> ImageFp;
    /// A handler action with `flags`, plus what the architecture requires (x86_64:
    /// SA_RESTORER).
    fn action(flags: SaFlags) -> SignalAction {
        super::frame::action(flags)
    }
    /// What the handler's return does to the context before `rt_sigreturn` runs
    /// (x86_64: its `ret` pops the return address).
    fn handler_returns(_ctx: &mut Self::Ctx) {}
    /// Where a delivery with [`fp`](Self::fp) from the stack pointer `sp` puts its
    /// frame: the architecture's `get_sigframe`.
    fn frame_for(sp: u64) -> u64;
    /// What a delivery onto an alternate stack too small for the frame fails with:
    /// an explicit overflow check (`on_sig_stack` of the new sp), or on arm64 a fault
    /// writing below the stack.
    const ALTSTACK_OVERFLOW: FrameError = FrameError::AltStackOverflow;
    /// The red zone [`frame_for`](Self::frame_for) leaves below the sp of the stack
    /// the thread runs on, and not below the top of an alternate stack it enters
    /// (x86_64: 128 bytes).
    const RED_ZONE: u64 = 0;
}

/// One thread's delivery state on `A` for a scenario: its user memory, alternate
/// stack, FP state and registers, and whether the kernel saves FP state at all
/// (`with_fp`; otherwise the hook is [`NoFp`]).
pub struct Fixture<A: FrameTestArch> {
    /// The thread's user memory ([`memory`]).
    pub mem: UserBuffer,
    /// Its alternate stack.
    pub stack: SignalStack,
    /// Its FP state.
    pub fp: ImageFp,
    /// Whether `fp` takes part in deliveries and sigreturns.
    pub with_fp: bool,
    /// Its registers.
    pub ctx: A::Ctx,
}

impl<A: FrameTestArch> Fixture<A> {
    /// The architecture's user context on the main stack, its FP state, no
    /// alternate stack.
    pub fn new() -> Self {
        Self::on(SignalStack::DISABLED)
    }

    /// As [`new`](Self::new), with the alternate stack `stack`.
    pub fn on(stack: SignalStack) -> Self {
        Fixture {
            mem: memory(),
            stack,
            fp: A::fp(),
            with_fp: true,
            ctx: A::user_ctx(),
        }
    }

    /// The same thread on a kernel that saves no FP state.
    pub fn without_fp(mut self) -> Self {
        self.with_fp = false;
        self
    }

    /// The same thread with its stack pointer at `sp`.
    pub fn at_sp(mut self, sp: u64) -> Self {
        A::set_sp(&mut self.ctx, sp);
        self
    }

    /// `setup_rt_frame` for `req`.
    pub fn deliver_request(
        &mut self,
        req: &FrameRequest<'_>,
    ) -> Result<HandlerFrame, ForceSigsegv> {
        let mut none = NoFp;
        let fp: &mut dyn FpHook = if self.with_fp {
            &mut self.fp
        } else {
            &mut none
        };
        setup_rt_frame(&mut self.ctx, fp, &mut self.mem, &mut self.stack, req)
    }

    /// Delivers `sig` to a handler of `act`, with `saved` the mask to restore.
    pub fn deliver_signal(
        &mut self,
        sig: Signo,
        act: &SignalAction,
        saved: SignalSet,
    ) -> Result<HandlerFrame, ForceSigsegv> {
        self.deliver_request(&delivery(sig, act, saved))
    }

    /// Delivers SIGUSR1 to a handler of `act`, with an empty mask to restore.
    pub fn deliver(&mut self, act: &SignalAction) -> Result<HandlerFrame, ForceSigsegv> {
        self.deliver_signal(Signo::SIGUSR1, act, SignalSet::EMPTY)
    }

    /// The thread after SIGUSR1 reached a handler of `act` and the handler
    /// returned (its sigreturn not yet made), and the frame's address.
    pub fn delivered(mut self, act: &SignalAction) -> (Self, u64) {
        let f = self.deliver(act).expect("delivery");
        A::handler_returns(&mut self.ctx);
        (self, f.frame)
    }

    /// `rt_sigreturn` from the current context.
    pub fn sigreturn(&mut self) -> Result<RestoredFrame, BadFrame> {
        let mut none = NoFp;
        let fp: &mut dyn FpHook = if self.with_fp {
            &mut self.fp
        } else {
            &mut none
        };
        restore_rt_frame(&mut self.ctx, fp, &self.mem, &mut self.stack)
    }

    /// `rt_sigreturn` from a frame that says it carries no FP state: it succeeds and
    /// resets the FP state (once) instead of restoring it.
    #[allow(dead_code)] // only some architectures' frames can say so
    pub fn sigreturn_resets_the_fp_state(&mut self) {
        let resets = self.fp.resets;
        self.sigreturn().unwrap();
        assert_eq!(self.fp.resets, resets + 1);
        assert_eq!(self.fp.restores, 0);
    }

    /// The handler returns, then makes its `rt_sigreturn`.
    pub fn return_from_handler(&mut self) -> Result<RestoredFrame, BadFrame> {
        A::handler_returns(&mut self.ctx);
        self.sigreturn()
    }

    /// Leaves mapped only the ranges `[frame + start, frame + end)` of the memory.
    pub fn map_only(&mut self, frame: u64, ranges: &[(u64, u64)]) {
        self.mem = only_ranges(&self.mem, frame, ranges);
    }
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
    let mut t = Fixture::<A>::on(armed).without_fp();
    let f = t.deliver(&A::action(SaFlags::ONSTACK)).unwrap();
    assert!(f.frame >= ALT_BASE as u64, "the frame is on the altstack");
    let disarmed = SignalStack::DISABLED;
    assert_eq!(t.stack, disarmed, "disarmed while the handler runs");
    let stored = user_u32(&t.mem, f.frame + A::UC + 16 + 8);
    assert_eq!(
        stored,
        SsFlags::AUTODISARM.bits(),
        "uc_stack keeps the flags"
    );
    t.return_from_handler().unwrap();
    assert_eq!(t.stack, armed);
}

/// `set_current_blocked` drops SIGKILL and SIGSTOP from the mask `rt_sigreturn`
/// reads ([rule 52]).
///
/// [rule 52]: ksignal::docs::rules#rule-52
pub fn sigreturn_mask_never_holds_sigkill_or_sigstop<A: FrameTestArch>() {
    let mut t = Fixture::<A>::new();
    let f = t.deliver(&A::action(SaFlags::SIGINFO)).unwrap();
    put_u64(&mut t.mem, f.frame + A::SIGMASK, u64::MAX);
    let r = t.return_from_handler().unwrap();
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
    for sp in [
        0,
        0x10u64,
        0x7fff_0000_0000,
        (STACK_BASE + REGION - 16) as u64,
    ] {
        let mut t = Fixture::<A>::new().without_fp().at_sp(sp);
        let e = t.sigreturn().unwrap_err();
        assert_eq!((e.error, e.mask), (FrameError::Fault, None), "sp {sp:#x}");
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
    /// The pc [`in_syscall`](Self::in_syscall) stopped at: just after the
    /// system-call instruction.
    const SYSCALL_END: u64;
    /// The length of the system-call instruction (the pc's rewind on a restart).
    const INSN_LEN: u64;
    /// The return and number registers after the call is restarted as itself; the
    /// number register's value is also what every other outcome leaves.
    const AGAIN: (u64, u64);
    /// The return and number registers after `restart_syscall` is set up.
    const AGAIN_VIA_RESTART_SYSCALL: (u64, u64);
    /// A context stopped after a system call that returned `ret`.
    fn in_syscall(ret: u64) -> Self::Ctx;
    /// The registers the restart decision may change: the return register, the pc
    /// and the register holding the system-call number.
    fn syscall_regs(ctx: &Self::Ctx) -> (u64, u64, u64);
    /// What [`syscall_regs`](Self::syscall_regs) reads after a row's outcome, where
    /// the call returned `ret` (its value when left untouched).
    fn restart_expected(want: Restart, ret: u64) -> (u64, u64, u64) {
        let (end, start, nr) = (
            Self::SYSCALL_END,
            Self::SYSCALL_END - Self::INSN_LEN,
            Self::AGAIN.1,
        );
        match want {
            Restart::Eintr => (neg(Errno::EINTR), end, nr),
            Restart::Again => (Self::AGAIN.0, start, Self::AGAIN.1),
            Restart::AgainViaRestartSyscall => (
                Self::AGAIN_VIA_RESTART_SYSCALL.0,
                start,
                Self::AGAIN_VIA_RESTART_SYSCALL.1,
            ),
            Restart::Untouched => (ret, end, nr),
        }
    }
}

/// [`RestartArch`] for an asm-generic architecture (aarch64, riscv64, loongarch64):
/// a 4-byte system-call instruction ending at `syscall_end`, the call forgotten by
/// the restart decision, the first argument (3) given back from `orig` to the return
/// register and the number (63) in a register of its own; `int` says whether the
/// return register is read as an `int`. Also the architecture's
/// `restart_table_with_and_without_handler` test.
#[allow(unused_macros)] // x86_64's restart registers are its own
macro_rules! generic_restart_arch {
    ($arch:ty: $ctx:ident {
        ret: $ret:ident[$r:literal], nr: $nr:ident[$n:literal], pc: $pc:ident, orig: $orig:ident
    }, int: $int:literal, syscall_end: $end:literal) => {
        impl $crate::common::scenarios::RestartArch for $arch {
            const RESTART_CODE_IS_INT: bool = $int;
            const KEEPS_SYSCALL: bool = false;
            const SYSCALL_END: u64 = $end;
            const INSN_LEN: u64 = 4;
            const AGAIN: (u64, u64) = (3, 63);
            /// asm-generic's `__NR_restart_syscall` is 128.
            const AGAIN_VIA_RESTART_SYSCALL: (u64, u64) = (3, 128);
            fn in_syscall(ret: u64) -> $ctx {
                let mut c = <$arch as $crate::common::scenarios::FrameTestArch>::user_ctx();
                c.in_syscall = true;
                c.$orig = 3;
                (c.$ret[$r], c.$nr[$n], c.$pc) = (ret, 63, $end);
                c
            }
            fn syscall_regs(ctx: &$ctx) -> (u64, u64, u64) {
                (ctx.$ret[$r], ctx.$pc, ctx.$nr[$n])
            }
        }

        #[test]
        fn restart_table_with_and_without_handler() {
            $crate::common::scenarios::restart_table_with_and_without_handler::<$arch>();
        }
    };
}
#[allow(unused_imports)]
pub(crate) use generic_restart_arch;

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
        let again = syscall_restart(&mut ctx, handler.as_ref());
        if A::KEEPS_SYSCALL {
            assert_ne!(again, RestartOutcome::NotInSyscall, "{code:?} {flags:?}");
        } else {
            let why = "a forgotten call is not restarted twice";
            assert_eq!(
                again,
                RestartOutcome::NotInSyscall,
                "{why}: {code:?} {flags:?}"
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

/// [`round_trip`] from the architecture's user context and FP state on the main
/// stack, with SIGUSR1 and the saved mask `saved`.
pub fn deliver_then_sigreturn<A: FrameTestArch>(
    flags: SaFlags,
    saved: u64,
    clobber: impl FnOnce(&mut A::Ctx, &mut ImageFp),
) -> RestoredFrame {
    let (orig, fp) = (A::user_ctx(), A::fp());
    let want_fp = fp.state.clone();
    let d = Delivered {
        stack0: SignalStack::DISABLED,
        flags,
        sig: Signo::SIGUSR1.get(),
        saved,
    };
    round_trip::<A>(orig, fp, d, clobber, &want_fp).unwrap()
}

/// One delivery of a [`round_trip`]: the alternate stack before it, the handler's
/// flags, the signal and the mask to restore.
#[derive(Clone, Debug)]
pub struct Delivered {
    pub stack0: SignalStack,
    pub flags: SaFlags,
    pub sig: u32,
    pub saved: u64,
}

/// Any [`Delivered`] from one of `stacks`: SA_ONSTACK and SA_SIGINFO each set or
/// not, any signal, any saved mask.
pub fn any_delivery(
    stacks: impl Strategy<Value = SignalStack>,
) -> impl Strategy<Value = Delivered> {
    let bits = (any::<bool>(), any::<bool>(), 1u32..=64, any::<u64>());
    (stacks, bits).prop_map(|(stack0, (onstack, siginfo, sig, saved))| {
        let mut flags = SaFlags::empty();
        flags.set(SaFlags::ONSTACK, onstack);
        flags.set(SaFlags::SIGINFO, siginfo);
        Delivered {
            stack0,
            flags,
            sig,
            saved,
        }
    })
}

/// The round trip every architecture's property test runs ([rule 52]): `d.sig`
/// delivered with a handler of `d.flags` from `orig` on `d.stack0` with `d.saved` as
/// the mask to restore; the handler clobbers the registers and FP state (`clobber`) and
/// returns; `rt_sigreturn` must bring back `orig`, the FP image `want_fp`, the
/// alternate stack as it was and the mask without SIGKILL and SIGSTOP. Returns what
/// `rt_sigreturn` answered, for the architecture's own checks.
///
/// [rule 52]: ksignal::docs::rules#rule-52
pub fn round_trip<A: FrameTestArch>(
    orig: A::Ctx,
    fp0: ImageFp,
    d: Delivered,
    clobber: impl FnOnce(&mut A::Ctx, &mut ImageFp),
    want_fp: &[u8],
) -> Result<RestoredFrame, TestCaseError> {
    let stack0 = d.stack0;
    let mut t = Fixture::<A>::on(stack0);
    (t.fp, t.ctx) = (fp0, orig);
    let saved = SignalSet::from_bits(d.saved);
    let sig = Signo::new(d.sig).unwrap();
    let fail = |e: &dyn Debug| TestCaseError::fail(format!("{e:?}"));
    t.deliver_signal(sig, &A::action(d.flags), saved)
        .map_err(|e| fail(&e))?;
    clobber(&mut t.ctx, &mut t.fp);
    let r = t.return_from_handler().map_err(|e| fail(&e))?;
    let (ctx, fp, stack) = (t.ctx, t.fp, t.stack);
    prop_assert_eq!(ctx, orig);
    prop_assert_eq!(r.mask, saved.without_unblockable());
    prop_assert_eq!(&fp.state[..], want_fp);
    prop_assert_eq!(stack, stack0);
    Ok(r)
}

/// What the round-trip property ([`any_round_trip`]) draws and does on one
/// architecture.
pub trait RoundTripArch: FrameTestArch {
    /// Any context user space may run with: every register, a stack pointer on the
    /// main or the alternate stack ([`any_sp`]), the status bits user space sets.
    fn any_ctx() -> BoxedStrategy<Self::Ctx>;
    /// How many bytes at the end of the FP image are struct padding (zero).
    const FP_PADDING: usize = 4;
    /// Any FP state the kernel's hook may hold: any bytes of
    /// [`fp`](FrameTestArch::fp)'s length but the padding.
    fn any_fp() -> BoxedStrategy<ImageFp> {
        any_fp_image(Self::fp().state.len(), Self::FP_PADDING)
    }
    /// The alternate stacks a delivery starts from.
    fn any_stack() -> BoxedStrategy<SignalStack> {
        any_altstack().boxed()
    }
    /// The handler's work: clobbers the registers (from `words`) and the FP state.
    fn clobber(ctx: &mut Self::Ctx, fp: &mut ImageFp, words: &[u64; 32]);
    /// The FP image `rt_sigreturn` brings back from a frame that saved `image`, and
    /// whether it forces SIGFPE for it: the image itself, no SIGFPE, but where Linux
    /// changes it (loongarch64's pending FCSR exceptions).
    fn restored_fp(image: &[u8]) -> (Vec<u8>, bool) {
        (image.to_vec(), false)
    }
}

/// Registers, a pc, a stack pointer ([`any_sp`]) and a status word, for an
/// architecture's [`RoundTripArch::any_ctx`].
pub fn any_regs<R: Strategy>(regs: R) -> impl Strategy<Value = (R::Value, u64, u64, u64)> {
    (regs, any::<u64>(), any_sp(), any::<u64>())
}

/// [`round_trip`] from any context and FP state with any delivery ([rule 52]): the
/// handler clobbers what [`RoundTripArch::clobber`] says, and `rt_sigreturn` brings
/// back the context, the FP image of [`RoundTripArch::restored_fp`] and its SIGFPE.
///
/// [rule 52]: ksignal::docs::rules#rule-52
pub fn any_round_trip<A: RoundTripArch>(
    orig: A::Ctx,
    fp0: ImageFp,
    d: Delivered,
    words: [u64; 32],
) -> Result<(), TestCaseError> {
    let (want, sigfpe) = A::restored_fp(&fp0.state);
    let r = round_trip::<A>(orig, fp0, d, |ctx, fp| A::clobber(ctx, fp, &words), &want)?;
    prop_assert_eq!(r.force_sigfpe, sigfpe);
    Ok(())
}

/// A frame nests below the one before it on the alternate stack ([rule 38]): the
/// second handler's `uc_stack` reports the configured stack, and each
/// `rt_sigreturn` brings back the context and mask its frame saved, the
/// alternate stack unchanged.
///
/// [rule 38]: ksignal::docs::rules#rule-38
pub fn nested_delivery_on_the_altstack<A: FrameTestArch>() {
    let mut t = Fixture::<A>::on(altstack(0));
    let onstack = A::action(SaFlags::ONSTACK | SaFlags::SIGINFO);
    let orig = t.ctx;
    let f1 = t.deliver(&onstack).unwrap();
    let h1 = t.ctx;
    let usr1 = SignalSet::single(Signo::SIGUSR1);
    let f2 = t.deliver_signal(Signo::SIGUSR2, &onstack, usr1).unwrap();
    assert_eq!(
        f2.frame,
        A::frame_for(f1.frame),
        "nested frame below the first"
    );
    assert!(f2.frame >= ALT_BASE as u64);
    assert_eq!(
        user_u64(&t.mem, f2.frame + A::UC + 16),
        ALT_BASE as u64,
        "uc_stack"
    );
    assert_eq!(t.return_from_handler().unwrap().mask, usr1);
    assert_eq!(t.ctx, h1);
    assert_eq!(t.return_from_handler().unwrap().mask, SignalSet::EMPTY);
    assert_eq!(t.ctx, orig);
    assert_eq!(t.stack, altstack(0));
}

/// The frame goes on the alternate stack only for an SA_ONSTACK handler while the
/// stack is enabled, at its top, and below sp when the thread already runs on it
/// (`sigsp`, [rule 38]).
///
/// [rule 38]: ksignal::docs::rules#rule-38
pub fn altstack_used_only_with_sa_onstack_when_enabled_and_not_on_it<A: FrameTestArch>() {
    let onstack = A::action(SaFlags::ONSTACK);
    let main = STACK_BASE as u64..(STACK_BASE + REGION) as u64;
    let frame = |stack: SignalStack, act: &SignalAction, sp: u64| {
        let mut t = Fixture::<A>::on(stack).at_sp(sp);
        t.deliver(act).unwrap().frame
    };
    let top = A::frame_for((ALT_BASE + REGION) as u64 + A::RED_ZONE);
    assert_eq!(frame(altstack(0), &onstack, stack_top()), top);
    let plain = A::action(SaFlags::empty());
    assert!(
        main.contains(&frame(altstack(0), &plain, stack_top())),
        "not requested"
    );
    let disabled = frame(SignalStack::DISABLED, &onstack, stack_top());
    assert!(main.contains(&disabled), "disabled");
    let on = (ALT_BASE + 0x2003) as u64;
    assert_eq!(
        frame(altstack(0), &onstack, on),
        A::frame_for(on),
        "already on it"
    );
}

/// A frame that does not fit on the rest of the alternate stack forces SIGSEGV
/// ([rule 52]), fatal when the signal being delivered is SIGSEGV itself, and
/// leaves the registers as they were.
///
/// [rule 52]: ksignal::docs::rules#rule-52
pub fn altstack_overflow_forces_sigsegv<A: FrameTestArch>() {
    let onstack = A::action(SaFlags::ONSTACK);
    let mut t = Fixture::<A>::on(altstack(0)).at_sp((ALT_BASE + 400) as u64);
    let before = t.ctx;
    let e = t.deliver(&onstack).unwrap_err();
    assert_eq!((e.error, e.fatal), (A::ALTSTACK_OVERFLOW, false));
    assert_eq!(t.ctx, before);
    let e = t
        .deliver_signal(Signo::SIGSEGV, &onstack, SignalSet::EMPTY)
        .unwrap_err();
    assert_eq!(
        (e.error, e.fatal),
        (A::ALTSTACK_OVERFLOW, true),
        "a failed SIGSEGV frame is fatal"
    );
    assert_eq!(t.ctx, before);
}

/// `rt_sigreturn` reads only the fields Linux reads: a frame delivered by `t` and
/// mapped only at `ranges` brings back the user context (and FP state).
pub fn sigreturn_reads_only<A: FrameTestArch>(
    t: Fixture<A>,
    act: &SignalAction,
    ranges: &[(u64, u64)],
) {
    let (mut t, frame) = t.delivered(act);
    let want_fp = t.fp.state.clone();
    t.fp.state.fill(0);
    t.map_only(frame, ranges);
    t.sigreturn().unwrap();
    assert_eq!(t.ctx, A::user_ctx());
    if t.with_fp {
        assert_eq!(t.fp.state, want_fp);
    }
}

/// A stack pointer anywhere in the main or the alternate stack.
pub fn any_sp() -> impl Strategy<Value = u64> {
    (any::<bool>(), 0x2000u64..0x2f00)
        .prop_map(|(on_alt, off)| off + if on_alt { ALT_BASE } else { STACK_BASE } as u64)
}

/// Any FP image of `len` bytes whose last `padding` bytes (struct padding) are zero.
pub fn any_image(len: usize, padding: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), len).prop_map(move |mut v| {
        v[len - padding..].fill(0);
        v
    })
}

/// Any FP state of `len` bytes whose last `padding` bytes (struct padding) are zero,
/// for an architecture's [`RoundTripArch::any_fp`].
pub fn any_fp_image(len: usize, padding: usize) -> BoxedStrategy<ImageFp> {
    any_image(len, padding).prop_map(ImageFp::new).boxed()
}

/// [`RoundTripArch::clobber`] for an architecture with 31 general registers after a
/// zero register and a separate pc: every general register but the stack pointer
/// `regs[sp]`, the pc, and the FP state.
#[allow(dead_code)] // aarch64 and x86_64 clobber their own registers
pub fn clobber_all_but_sp(
    (regs, sp, pc): (&mut [u64; 32], usize, &mut u64),
    fp: &mut ImageFp,
    words: &[u64; 32],
) {
    for i in (1..32).filter(|i| *i != sp) {
        regs[i] = words[i];
    }
    *pc = words[0];
    fp.state.fill(0x5A);
}

/// The `#[test]`s every architecture runs as they are, for the [`FrameTestArch`]
/// `$arch`: each calls the scenario of its name.
macro_rules! shared_frame_tests {
    ($arch:ident) => {
        /// This architecture for the shared scenarios (`tests/common/scenarios.rs`).
        struct $arch;
        /// Its [`Fixture`](crate::common::scenarios::Fixture).
        type T = $crate::common::scenarios::Fixture<$arch>;

        $crate::common::scenarios::shared_frame_tests!(@each $arch:
            autodisarm_resets_the_altstack_for_the_handler_and_sigreturn_restores_it,
            sigreturn_mask_never_holds_sigkill_or_sigstop,
            unreadable_frame_sigsegv,
            nested_delivery_on_the_altstack,
            altstack_used_only_with_sa_onstack_when_enabled_and_not_on_it,
            altstack_overflow_forces_sigsegv,
            restart_code_is_read_as_linux_reads_it,
        );
    };
    (@each $arch:ty: $($scenario:ident,)*) => {
        $(
            #[test]
            fn $scenario() {
                $crate::common::scenarios::$scenario::<$arch>();
            }
        )*

        proptest::proptest! {
            #![proptest_config($crate::common::frame::cases())]

            #[test]
            fn any_context_survives_deliver_and_sigreturn(
                orig in <$arch as $crate::common::scenarios::RoundTripArch>::any_ctx(),
                fp in <$arch as $crate::common::scenarios::RoundTripArch>::any_fp(),
                d in $crate::common::scenarios::any_delivery(
                    <$arch as $crate::common::scenarios::RoundTripArch>::any_stack(),
                ),
                words in proptest::prelude::any::<[u64; 32]>(),
            ) {
                $crate::common::scenarios::any_round_trip::<$arch>(orig, fp, d, words)?;
            }
        }
    };
}
pub(crate) use shared_frame_tests;
