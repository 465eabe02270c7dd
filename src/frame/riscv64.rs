//! riscv64 signal frames (arch/riscv/kernel/signal.c; uapi asm/sigcontext.h,
//! asm/ucontext.h, asm/ptrace.h).
//!
//! The `rt_sigframe` (1088 bytes: siginfo, ucontext) sits at
//! `(sigsp(sp) − 1088) & ~15`. The FP state is always the **d** layout of the
//! `__riscv_fp_state` union; the extension area holds only the END header (the V
//! extension is not modelled: a V record on sigreturn is rejected, as Linux does when
//! V is not live). siginfo is always written and a0/a1/a2 = signo, &info, &uc; ra is
//! the vDSO trampoline (riscv has no `SA_RESTORER`).
//!
//! `sstatus` is not in the frame: user space cannot change it through sigreturn
//! (mimiker PR #1307 took SPP from the frame). `rt_sigreturn` also forces the
//! context's SPP to user and SPIE on, so whatever the kernel stored, the context
//! returns to U-mode with interrupts enabled.

use super::{
    BadFrame, FrameError, HandlerFrame, OnFault, Restore, RestoredFrame, Setup, arch_frame, at,
    fp_present, le, open_sigframe, put_ucontext_header, read_u32, read_user, read_user_words,
    restore_altstack, round_down, sigframe_top, syscall_regs, write_user,
};
use crate::arch::Arch;
use crate::uaccess::UserMemory;
use core::mem::{offset_of, size_of};

/// The ABI structures, mirrored from the uapi headers for their layout.
pub mod abi {
    use crate::frame::GenericUcontext;

    /// `struct __riscv_f_ext_state`.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct FExtState {
        /// f0-f31 (single).
        pub f: [u32; 32],
        /// fcsr.
        pub fcsr: u32,
    }

    /// `struct __riscv_d_ext_state`, 264 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct DExtState {
        /// f0-f31 (double).
        pub f: [u64; 32],
        /// fcsr.
        pub fcsr: u32,
    }

    /// `struct __riscv_q_ext_state`, 528 bytes.
    #[repr(C, align(16))]
    #[derive(Clone, Copy, Debug)]
    pub struct QExtState {
        /// f0-f31 (quad).
        pub f: [u64; 64],
        /// fcsr.
        pub fcsr: u32,
        /// Reserved.
        pub reserved: [u32; 3],
    }

    /// `struct __riscv_ctx_hdr`: an extension record header.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct CtxHdr {
        /// Record type.
        pub magic: u32,
        /// Record size including the header.
        pub size: u32,
    }

    /// `struct __riscv_extra_ext_header`: the view of the FP union that locates the
    /// extension area.
    #[repr(C, align(16))]
    #[derive(Clone, Copy, Debug)]
    pub struct ExtraExtHeader {
        /// Overlaps the FP state.
        pub padding: [u32; 129],
        /// Must be zero.
        pub reserved: u32,
        /// The first extension header.
        pub hdr: CtxHdr,
    }

    /// `union __riscv_fp_state` (with the extension-header view), 528 bytes.
    #[repr(C, align(16))]
    #[derive(Clone, Copy)]
    pub union FpState {
        /// F.
        pub f: FExtState,
        /// D (what Linux saves and restores).
        pub d: DExtState,
        /// Q.
        pub q: QExtState,
        /// Extension-header view.
        pub ext: ExtraExtHeader,
    }

    /// `struct sigcontext` (uapi asm/sigcontext.h), 784 bytes.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct Sigcontext {
        /// `user_regs_struct`: pc, then x1-x31.
        pub sc_regs: [u64; 32],
        /// FP state and extension header.
        pub sc_fpregs: FpState,
    }

    /// `struct ucontext` (uapi asm/ucontext.h: asm-generic's), 960 bytes.
    pub type Ucontext = GenericUcontext<Sigcontext>;

    /// `struct rt_sigframe` (arch/riscv/kernel/signal.c, MMU), 1088 bytes.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct RtSigframe {
        /// The siginfo.
        pub info: [u64; 16],
        /// The ucontext.
        pub uc: Ucontext,
    }
}

use abi::{CtxHdr, DExtState, ExtraExtHeader, RtSigframe, Sigcontext, Ucontext};

/// Size of `rt_sigframe` (no V state).
pub const FRAME_SIZE: usize = size_of::<RtSigframe>();
const UC: usize = offset_of!(RtSigframe, uc);
const UC_STACK: usize = UC + offset_of!(Ucontext, uc_stack);
const UC_SIGMASK: usize = UC + offset_of!(Ucontext, uc_sigmask);
const MC: usize = UC + offset_of!(Ucontext, uc_mcontext);
const SC_FP: usize = MC + offset_of!(Sigcontext, sc_fpregs);
const SC_EXT_RESERVED: usize = SC_FP + offset_of!(ExtraExtHeader, reserved);
const SC_EXT_HDR: usize = SC_FP + offset_of!(ExtraExtHeader, hdr);

/// Bytes of the FP image ([`FpHook`](super::FpHook)): `__riscv_d_ext_state`.
pub const FP_IMAGE_LEN: usize = size_of::<DExtState>();
/// `END_MAGIC`.
pub const END_MAGIC: u32 = 0;
/// `END_HDR_SIZE`.
pub const END_HDR_SIZE: u32 = 0;
/// `RISCV_V_MAGIC`.
pub const RISCV_V_MAGIC: u32 = 0x5346_5457;
/// sstatus.SPIE.
pub const SSTATUS_SPIE: u64 = 1 << 5;
/// sstatus.SPP.
pub const SSTATUS_SPP: u64 = 1 << 8;

/// The riscv64 user context: the `pt_regs` prefix a signal frame saves and restores,
/// plus the status and system-call state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Riscv64Context {
    /// sepc.
    pub pc: u64,
    /// x0-x31 by number (x\[2\] = sp, x\[10\] = a0); x\[0\] is never read or written.
    pub x: [u64; 32],
    /// sstatus as the kernel saved it (only SPP and SPIE are touched).
    pub sstatus: u64,
    /// Entered through a system call (`cause == EXC_SYSCALL`).
    pub in_syscall: bool,
    /// a0 at system-call entry (`orig_a0`), for restarting.
    pub orig_a0: u64,
}

/// riscv64 (marker type for [`ArchFrame`](super::ArchFrame)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Riscv64;

// `arch_do_signal_or_restart` / `handle_signal`: result in a0, read as an `int`
// (`int retval = regs->a0`: only its low 32 bits are compared with the restart
// codes), 4-byte `ecall`, `restart_syscall` number in a7; `cause` is reset
// whatever the result.
syscall_regs!(Riscv64Context { ret: x[10], orig_arg: orig_a0, pc: pc, nr: x[17] },
    ret_width: Int, insn_len: 4, forgets_syscall: true);

// The numbers are Linux's (include/uapi/asm-generic/unistd.h).
arch_frame!(Riscv64 for "riscv64" {
    context: Riscv64Context,
    nr_rt_sigreturn: 139,
    nr_restart_syscall: 128,
    restart_reset_first: true,
});

/// `setup_rt_frame` + `get_sigframe` + `setup_sigcontext`.
fn setup_rt_frame<M: UserMemory + ?Sized>(
    Setup(ctx, fp, mem, stack, d, handler): Setup<'_, Riscv64Context, M>,
) -> Result<HandlerFrame, FrameError> {
    let has_fp = fp_present(fp, FP_IMAGE_LEN)?;
    let top = sigframe_top(stack, ctx.x[2], FRAME_SIZE, d)?;
    let frame = round_down(
        top.checked_sub(FRAME_SIZE as u64)
            .ok_or(FrameError::Fault)?,
        16,
    );

    let mut buf = [0u8; FRAME_SIZE];
    le::put(&mut buf, 0, d.info);
    put_ucontext_header(&mut buf, UC_STACK, UC_SIGMASK, stack, d);
    le::put_u64(&mut buf, MC, ctx.pc);
    le::put_words(&mut buf, MC + 8, &ctx.x[1..]);
    if has_fp {
        fp.save(le::slice_mut(&mut buf, SC_FP, FP_IMAGE_LEN));
        // The struct's tail padding: nothing of the kernel's leaks.
        le::put_u32(&mut buf, SC_FP + FP_IMAGE_LEN - 4, 0);
    }
    // reserved = 0 and the END header are the zeroed bytes already there.
    write_user(mem, frame, &buf)?;

    ctx.x[1] = d.trampoline;
    ctx.pc = handler;
    ctx.x[2] = frame;
    ctx.x[10] = u64::from(d.sig.get());
    ctx.x[11] = frame;
    ctx.x[12] = frame + UC as u64;
    Ok(HandlerFrame::at(frame, 0, UC))
}

/// `rt_sigreturn` + `restore_sigcontext` + `restore_altstack`, reading only the
/// fields Linux reads (the mask, `sc_regs`, the d-layout FP state, the
/// extension area's reserved word and first header, `uc_stack`): the siginfo
/// and the rest of the FP union may be unmapped.
///
/// As in Linux, a bad frame leaves what was loaded before the failing step: pc
/// and x1-x31 up to a fault in `sc_regs`, then the FP state, both kept when the
/// extension area or `uc_stack` turns out bad. The system-call state is cleared
/// only on success (Linux's `cause = -1`); the call then returns 0, which is no
/// restart code.
fn restore_rt_frame<M: UserMemory + ?Sized>(
    Restore(ctx, fp, mem, stack): Restore<'_, Riscv64Context, M>,
) -> Result<RestoredFrame, BadFrame> {
    let frame = ctx.x[2];
    let (has_fp, mask) = open_sigframe(fp, FP_IMAGE_LEN, mem, frame, FRAME_SIZE, UC_SIGMASK)?;
    let bad = |e| BadFrame::kernel(e, Some(mask));

    // restore_sigcontext copies sc_regs straight over pt_regs (a fault leaves the
    // part before it copied), then loads the FP state, then checks the
    // extension area: what it loaded stays loaded when a later step fails.
    let mut regs = [0u64; 32];
    regs[0] = ctx.pc;
    regs[1..].copy_from_slice(&ctx.x[1..]);
    let all_read = read_user_words(mem, at(frame, MC), &mut regs, OnFault::Stops);
    ctx.pc = regs[0];
    ctx.x[1..].copy_from_slice(&regs[1..]);
    ctx.sstatus = (ctx.sstatus & !SSTATUS_SPP) | SSTATUS_SPIE;
    if !all_read {
        return Err(bad(FrameError::Fault));
    }
    if has_fp {
        let mut img = [0u8; FP_IMAGE_LEN];
        read_user(mem, at(frame, SC_FP), &mut img).map_err(bad)?;
        if !fp.restore(&img) {
            return Err(bad(FrameError::BadFpState));
        }
    }
    if read_u32(mem, at(frame, SC_EXT_RESERVED)).map_err(bad)? != 0 {
        return Err(bad(FrameError::BadRecord));
    }
    // Only END is known (no V state), so the walk ends at the first header.
    let magic = read_u32(mem, at(frame, SC_EXT_HDR + offset_of!(CtxHdr, magic))).map_err(bad)?;
    let size = read_u32(mem, at(frame, SC_EXT_HDR + offset_of!(CtxHdr, size))).map_err(bad)?;
    if magic != END_MAGIC || size != END_HDR_SIZE {
        return Err(bad(FrameError::BadRecord));
    }
    restore_altstack(mem, at(frame, UC_STACK), stack, ctx.x[2], Arch::Riscv64).map_err(bad)?;
    ctx.in_syscall = false;
    Ok(RestoredFrame::restored(mask, ctx.x[10]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::{FExtState, FpState, QExtState};

    #[test]
    fn rt_sigframe_layout_matches_linux() {
        assert_eq!(FRAME_SIZE, 1088);
        assert_eq!(UC, 128);
        assert_eq!(size_of::<Ucontext>(), 960);
        assert_eq!(UC_STACK - UC, 16);
        assert_eq!(UC_SIGMASK - UC, 40);
        assert_eq!(offset_of!(Ucontext, unused), 48);
        assert_eq!(MC - UC, 176);
        assert_eq!(MC, 304);
        assert_eq!(size_of::<Sigcontext>(), 784);
        assert_eq!(SC_FP - MC, 256);
    }

    #[test]
    fn fp_union_layout_matches_linux() {
        assert_eq!(size_of::<FpState>(), 528);
        assert_eq!(size_of::<FExtState>(), 132);
        assert_eq!(FP_IMAGE_LEN, 264);
        assert_eq!(offset_of!(DExtState, fcsr), 256);
        assert_eq!(size_of::<QExtState>(), 528);
        assert_eq!(offset_of!(QExtState, fcsr), 512);
        assert_eq!(SC_EXT_RESERVED - MC, 772);
        assert_eq!(SC_EXT_HDR - MC, 776);
        assert_eq!(SC_EXT_HDR + size_of::<CtxHdr>(), UC + size_of::<Ucontext>());
    }
}
