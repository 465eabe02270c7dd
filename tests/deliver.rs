//! The return-to-user path end to end: managers + frames + user memory, on the x86_64
//! and riscv64 frame layouts ([rule 47], [rule 47a], [rule 48], [rule 49], [rule 52]).
//!
//! [rule 47]: ksignal::docs::rules#rule-47
//! [rule 47a]: ksignal::docs::rules#rule-47a
//! [rule 48]: ksignal::docs::rules#rule-48
//! [rule 49]: ksignal::docs::rules#rule-49
//! [rule 52]: ksignal::docs::rules#rule-52

mod common {
    pub mod fp;
    pub mod return_to_user;
    pub mod signal_setup;
    pub mod user_stack;
    pub mod wait;
}

use common::return_to_user::return_to_user;
use common::signal_setup::{HANDLER, K, RESTORER};
use common::user_stack::{memory, stack_top};
use common::wait::CondvarQueue;
use ksignal::frame::riscv64::Riscv64Context;
use ksignal::frame::x86_64::X86_64Context;
use ksignal::frame::{NoFp, TrapFrame};
use ksignal::{
    Errno, MaskHow, PendingLimit, ProcessSignalManager, SaFlags, SignalAction, SignalActions,
    SignalInfo, SignalSet, Signo, ThreadSignalManager, UserBuffer, UserReturn, rt_sigreturn,
};
use std::sync::Arc;

type Thread = ThreadSignalManager<CondvarQueue>;

fn thread() -> (Arc<ProcessSignalManager<CondvarQueue>>, Thread) {
    let p = Arc::new(ProcessSignalManager::new(
        Arc::new(SignalActions::new()),
        Arc::new(PendingLimit::new(64)),
    ));
    let t = Thread::new(&p, 1, SignalSet::EMPTY, CondvarQueue::default()).unwrap();
    (p, t)
}

/// [`thread`], with a handler of `flags` and `mask` for `sig`.
fn thread_with_handler(
    sig: Signo,
    flags: SaFlags,
    mask: SignalSet,
) -> (Arc<ProcessSignalManager<CondvarQueue>>, Thread) {
    let (p, t) = thread();
    p.sigaction(sig, Some(handler(flags, mask))).unwrap();
    (p, t)
}

/// [`return_to_user`] on a kernel that keeps no FP state.
fn return_without_fp(t: &Thread, ctx: &mut impl TrapFrame, mem: &mut UserBuffer) -> UserReturn {
    return_to_user(t, ctx, &mut NoFp, mem, K)
}

fn x86_ctx() -> X86_64Context {
    X86_64Context {
        rip: 0x40_0500,
        rsp: stack_top(),
        rflags: 0x202,
        cs: 0x33,
        ss: 0x2b,
        rax: 7,
        rdi: 1,
        ..Default::default()
    }
}

fn handler(flags: SaFlags, mask: SignalSet) -> SignalAction {
    SignalAction::new(
        ksignal::Disposition::Handler(HANDLER),
        flags | SaFlags::SIGINFO | SaFlags::RESTORER,
        mask,
        RESTORER,
    )
}

/// What a thread killed by SIGSEGV returns: the group exits, dumping core.
const SEGV_CORE: UserReturn = UserReturn::Exit {
    sig: Signo::SIGSEGV,
    core_dump: true,
};

#[test]
fn handler_runs_with_its_mask_and_sigreturn_restores_context_and_mask() {
    let (_p, t) = thread_with_handler(
        Signo::SIGUSR1,
        SaFlags::empty(),
        SignalSet::single(Signo::SIGUSR2),
    );
    t.send(
        Signo::SIGUSR1,
        Some(&SignalInfo::queue(Signo::SIGUSR1, 9, 0, 77)),
    )
    .unwrap();
    let mut mem = memory();
    let orig = x86_ctx();
    let mut ctx = orig;
    assert_eq!(
        return_without_fp(&t, &mut ctx, &mut mem),
        UserReturn::Resume
    );
    assert_eq!(ctx.rip, HANDLER as u64);
    assert_eq!(ctx.rdi, 10, "signo in rdi");
    assert_eq!(
        t.blocked(),
        [Signo::SIGUSR1, Signo::SIGUSR2].into_iter().collect(),
        "sa_mask and the signal"
    );
    // The handler returns through its restorer: `ret` popped pretcode.
    ctx.rsp += 8;
    let ret = rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem).unwrap();
    assert_eq!(ret, orig.rax);
    assert_eq!(
        (ctx.rip, ctx.rsp, ctx.rax, ctx.rdi),
        (orig.rip, orig.rsp, orig.rax, orig.rdi)
    );
    assert!(t.blocked().is_empty(), "mask restored (rule 52)");
}

#[test]
fn several_pending_handlers_are_stacked_and_run_in_reverse_dequeue_order() {
    let (p, t) = thread();
    for s in [Signo::SIGHUP, Signo::SIGUSR1] {
        p.sigaction(s, Some(handler(SaFlags::empty(), SignalSet::EMPTY)))
            .unwrap();
    }
    t.sigprocmask(MaskHow::Block, SignalSet::ALL);
    p.send(Signo::SIGHUP, None).unwrap();
    p.send(Signo::SIGUSR1, None).unwrap();
    t.sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    let mut mem = memory();
    let mut ctx = x86_ctx();
    return_without_fp(&t, &mut ctx, &mut mem);
    assert_eq!(ctx.rdi, 10, "USR1 dequeued last, runs first (rule 47a)");
    ctx.rsp += 8;
    rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem).unwrap();
    assert_eq!(ctx.rdi, 1, "back in HUP's handler frame");
    ctx.rsp += 8;
    rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem).unwrap();
    assert_eq!(ctx.rip, 0x40_0500);
}

#[test]
fn frame_that_cannot_be_written_forces_sigsegv_and_kills_when_it_was_sigsegv() {
    let (_p, t) = thread_with_handler(Signo::SIGSEGV, SaFlags::empty(), SignalSet::EMPTY);
    t.force_signal(Signo::SIGSEGV, &SignalInfo::fault(Signo::SIGSEGV, 1, 0x10))
        .unwrap();
    let mut mem = memory();
    let mut ctx = X86_64Context {
        rsp: 0x10,
        ..x86_ctx()
    }; // unmapped stack
    assert_eq!(return_without_fp(&t, &mut ctx, &mut mem), SEGV_CORE);
}

#[test]
fn x86_handler_without_sa_restorer_gets_sigsegv() {
    let (p, t) = thread();
    let a = SignalAction::handler(HANDLER, SaFlags::SIGINFO, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(a)).unwrap();
    t.send(Signo::SIGUSR1, None).unwrap();
    let mut mem = memory();
    let mut ctx = x86_ctx();
    assert_eq!(return_without_fp(&t, &mut ctx, &mut mem), SEGV_CORE);
}

#[test]
fn forged_frame_at_sigreturn_forces_sigsegv() {
    let (_p, t) = thread();
    let mut mem = memory();
    let mut ctx = Riscv64Context::default();
    ctx.x[2] = 0x10; // sp: nothing mapped there
    assert_eq!(
        rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem),
        Err(Errno::EFAULT)
    );
    assert_eq!(return_without_fp(&t, &mut ctx, &mut mem), SEGV_CORE);
}

#[test]
fn interrupted_syscall_restarts_without_handler_and_eintrs_with_one() {
    // sigsuspend returned -ERESTARTNOHAND: with a handler the call ends with EINTR.
    let (_p, t) = thread_with_handler(Signo::SIGUSR1, SaFlags::RESTART, SignalSet::EMPTY);
    t.send(Signo::SIGUSR1, None).unwrap();
    let mut mem = memory();
    let mut ctx = X86_64Context {
        in_syscall: true,
        orig_rax: 130,
        rax: Errno::ERESTARTNOHAND.as_neg_ret() as u64,
        ..x86_ctx()
    };
    return_without_fp(&t, &mut ctx, &mut mem);
    ctx.rsp += 8;
    rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem).unwrap();
    assert_eq!(ctx.rax as i64, -(Errno::EINTR.get() as i64));
    // An ignored signal: ERESTARTSYS restarts (pc rewound, rax = orig_rax).
    let (p, t) = thread();
    p.sigaction(Signo::SIGUSR2, Some(SignalAction::IGNORE))
        .unwrap();
    t.sigprocmask(MaskHow::Block, SignalSet::single(Signo::SIGUSR2));
    t.send(Signo::SIGUSR2, None).unwrap();
    t.sigprocmask(MaskHow::Unblock, SignalSet::single(Signo::SIGUSR2));
    let mut ctx = X86_64Context {
        in_syscall: true,
        orig_rax: 0,
        rax: Errno::ERESTARTSYS.as_neg_ret() as u64,
        ..x86_ctx()
    };
    assert_eq!(
        return_without_fp(&t, &mut ctx, &mut mem),
        UserReturn::Resume
    );
    assert_eq!((ctx.rip, ctx.rax), (0x40_0500 - 2, 0));
}

#[test]
fn autodisarm_altstack_is_disarmed_during_the_handler_and_restored_after() {
    use ksignal::{SsFlags, StackT};
    let (_p, t) = thread_with_handler(Signo::SIGUSR1, SaFlags::ONSTACK, SignalSet::EMPTY);
    let mut stack = t.altstack();
    let ss = StackT {
        ss_sp: common::user_stack::ALT_BASE,
        ss_flags: SsFlags::AUTODISARM.bits(),
        ss_size: common::user_stack::REGION,
    };
    stack
        .sigaltstack(Some(ss), stack_top() as usize, 2048)
        .unwrap();
    t.set_altstack(stack);
    t.send(Signo::SIGUSR1, None).unwrap();
    let mut mem = memory();
    let mut ctx = x86_ctx();
    return_without_fp(&t, &mut ctx, &mut mem);
    assert!(
        (common::user_stack::ALT_BASE as u64
            ..(common::user_stack::ALT_BASE + common::user_stack::REGION) as u64)
            .contains(&ctx.rsp)
    );
    assert_eq!(
        t.altstack(),
        ksignal::SignalStack::DISABLED,
        "disarmed while the handler runs"
    );
    ctx.rsp += 8;
    rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem).unwrap();
    assert_eq!(t.altstack(), stack, "uc_stack restored");
}

/// Linux's x86_64 `rt_sigreturn` installs the frame's mask, then its alternate stack
/// (`restore_altstack`), then the sigcontext and FP state: when the FP state fails
/// (here a misaligned `fpstate`), the alternate stack it already restored stays.
#[test]
fn failed_x86_64_rt_sigreturn_keeps_the_alternate_stack_it_restored() {
    use common::fp::ImageFp;
    use common::signal_setup::{altstack, put_u32, put_u64};
    use common::user_stack::{ALT_BASE, REGION};
    let (_p, t) = thread();
    let mut mem = memory();
    let frame = stack_top() - 0x800;
    let uc = frame + 8;
    put_u64(&mut mem, uc + 16, ALT_BASE as u64); // uc_stack.ss_sp
    put_u32(&mut mem, uc + 24, 0); // ss_flags
    put_u64(&mut mem, uc + 32, REGION as u64); // ss_size
    put_u64(&mut mem, uc + 40 + 128, 0x40_0500); // rip
    put_u64(&mut mem, uc + 40 + 184, frame + 0x208); // fpstate, not 16-aligned
    put_u64(&mut mem, uc + 296, 1 << (Signo::SIGUSR2.get() - 1)); // uc_sigmask
    let mut ctx = X86_64Context {
        rsp: frame + 8,
        ..x86_ctx()
    };
    let mut fp = ImageFp::new(vec![0; 512]);
    assert_eq!(
        rt_sigreturn(&t, &mut ctx, &mut fp, &mem),
        Err(Errno::EFAULT)
    );
    assert_eq!(t.altstack(), altstack(0), "uc_stack was restored first");
    assert_eq!(t.blocked(), SignalSet::single(Signo::SIGUSR2));
}

/// After a bad aarch64 `rt_sigreturn` the SIGSEGV is `arm64_notify_segfault(sp)`'s:
/// a fault at sp, SEGV_MAPERR when nothing is mapped at or above it; on the other
/// architectures it is `force_sig(SIGSEGV)`'s SI_KERNEL.
#[test]
fn bad_frame_sigsegv_carries_linuxs_siginfo_per_architecture() {
    use ksignal::frame::aarch64::Aarch64Context;
    let segv_handler = || handler(SaFlags::empty(), SignalSet::EMPTY);
    let (p, t) = thread();
    p.sigaction(Signo::SIGSEGV, Some(segv_handler())).unwrap();
    let mem = memory();
    let mut ctx = Aarch64Context {
        sp: 0x7fff_0000_0008, // misaligned, above every mapping
        ..Default::default()
    };
    assert_eq!(
        rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem),
        Err(Errno::EFAULT)
    );
    match t.get_signal() {
        Some(ksignal::Delivery::Handler(h)) => {
            assert_eq!(h.sig, Signo::SIGSEGV);
            assert_eq!(h.info.code(), linux_raw_sys::general::SEGV_MAPERR as i32);
            assert_eq!(h.info.addr(), 0x7fff_0000_0008);
        }
        other => panic!("{other:?}"),
    }

    let (p, t) = thread();
    p.sigaction(Signo::SIGSEGV, Some(segv_handler())).unwrap();
    let mut ctx = Riscv64Context::default();
    ctx.x[2] = 0x10;
    assert_eq!(
        rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem),
        Err(Errno::EFAULT)
    );
    match t.get_signal() {
        Some(ksignal::Delivery::Handler(h)) => {
            assert_eq!(h.info, SignalInfo::kernel(Signo::SIGSEGV))
        }
        other => panic!("{other:?}"),
    }
}

/// A failed `rt_sigreturn` leaves what Linux had restored: on x86_64 a bad FP area is
/// found after the registers are in `pt_regs`, so the SIGSEGV handler's frame saves
/// the frame's registers, not the old handler's.
#[test]
fn sigsegv_after_a_bad_fp_state_sees_the_restored_registers() {
    use common::fp::ImageFp;
    use common::signal_setup::{put_u64, user_u64};
    let (_p, t) = thread_with_handler(Signo::SIGSEGV, SaFlags::empty(), SignalSet::EMPTY);
    let mut mem = memory();
    let frame = stack_top() - 0x800;
    let sc = frame + 48;
    put_u64(&mut mem, sc + 128, 0x40_0777); // rip
    put_u64(&mut mem, sc + 120, stack_top() - 0x100); // rsp
    put_u64(&mut mem, sc + 80, 0xbeef); // rbp
    put_u64(&mut mem, sc + 184, frame + 0x208); // fpstate, not 16-aligned
    let mut ctx = X86_64Context {
        rsp: frame + 8,
        in_syscall: true,
        orig_rax: 15,
        ..x86_ctx()
    };
    let mut fp = ImageFp::new(vec![0; 512]);
    assert_eq!(
        rt_sigreturn(&t, &mut ctx, &mut fp, &mem),
        Err(Errno::EFAULT)
    );
    assert_eq!(
        (ctx.rip, ctx.rbp, ctx.in_syscall),
        (0x40_0777, 0xbeef, false)
    );
    ctx.rax = 0; // the call returns 0
    assert_eq!(
        return_to_user(&t, &mut ctx, &mut fp, &mut mem, K),
        UserReturn::Resume
    );
    assert_eq!(ctx.rip, HANDLER as u64);
    let saved = ctx.rsp + 48; // the new frame's sigcontext
    assert_eq!(user_u64(&mem, saved + 128), 0x40_0777);
    assert_eq!(user_u64(&mem, saved + 80), 0xbeef);
}
