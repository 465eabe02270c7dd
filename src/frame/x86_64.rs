//! x86_64 signal frames (arch/x86/kernel/signal.c, signal_64.c, fpu/signal.c;
//! uapi asm/sigcontext.h, asm/ucontext.h; arch/x86/include/asm/sigframe.h).
//!
//! Layout (high → low): the interrupted stack, a 128-byte red zone, the FP area
//! (64-byte aligned XSAVE/FXSAVE image, followed by `FP_XSTATE_MAGIC2` with XSAVE),
//! then the `rt_sigframe` at `round_down(sp, 16) - 8` so that the handler starts as if
//! `call`ed: `[rsp]` is the return address (`sa_restorer`).
//!
//! Sanitising on `rt_sigreturn`:
//! - RFLAGS: only `FIX_EFLAGS` (CF PF AF ZF SF TF DF OF RF AC = 0x50DD5) come from the
//!   frame; IF, IOPL, NT, VM, VIF, VIP, ID keep the kernel's values (Asterinas #3781).
//! - CS and SS are not taken from the frame at all: the context keeps the user
//!   selectors it entered the kernel with. **Differs from Linux**, which takes them
//!   from the frame with RPL forced to 3 and so lets a task switch to another user
//!   segment (a 32-bit CS, DOSEMU's SS) through sigreturn. This crate does not know
//!   the kernel's GDT, so it keeps the entry selectors, which are user selectors by
//!   construction; likewise delivery leaves CS/SS as they were instead of forcing
//!   `__USER_CS`.
//! - A non-canonical RIP (48-bit) is rejected → SIGSEGV. **Differs from Linux**, which
//!   accepts it and relies on the IRET fault fixup (`fixup_bad_iret`) to turn the
//!   fault into SIGSEGV; a kernel without that fixup would fault in ring 0 (Asterinas
//!   #3859, #3920; SYSRET with a non-canonical RCX is CVE-2012-0217). A kernel using
//!   5-level paging with user addresses above 2^47 would see those rejected.
//! - The FP image is checked so that XRSTOR/FXRSTOR cannot fault (see [`FpHook`]).
//!
//! After `rt_sigreturn` the context may still differ from what SYSRET can return to
//! (RCX ≠ RIP, R11 ≠ RFLAGS, RF/TF set): the kernel must return with IRET unless those
//! hold (Asterinas PR #2271).

use super::{
    BadFrame, FpHook, FrameError, FrameRequest, HandlerFrame, Restore, RestoredFrame, Setup,
    arch_frame, at, le, put_ucontext_header, read_sigframe_mask, read_u64, read_user,
    restore_altstack, round_down, syscall_regs, us, wants_onstack, write_user,
};
use crate::action::SaFlags;
use crate::arch::Arch;
use crate::stack::SignalStack;
use crate::uaccess::UserMemory;
use core::mem::{offset_of, size_of};

/// The ABI structures, mirrored from the uapi headers for their layout.
pub mod abi {

    /// `struct sigcontext` (uapi asm/sigcontext.h, 64-bit), 256 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct Sigcontext {
        /// r8.
        pub r8: u64,
        /// r9.
        pub r9: u64,
        /// r10.
        pub r10: u64,
        /// r11.
        pub r11: u64,
        /// r12.
        pub r12: u64,
        /// r13.
        pub r13: u64,
        /// r14.
        pub r14: u64,
        /// r15.
        pub r15: u64,
        /// rdi.
        pub di: u64,
        /// rsi.
        pub si: u64,
        /// rbp.
        pub bp: u64,
        /// rbx.
        pub bx: u64,
        /// rdx.
        pub dx: u64,
        /// rax.
        pub ax: u64,
        /// rcx.
        pub cx: u64,
        /// rsp.
        pub sp: u64,
        /// rip.
        pub ip: u64,
        /// rflags.
        pub flags: u64,
        /// cs.
        pub cs: u16,
        /// gs (always written 0, never restored).
        pub gs: u16,
        /// fs (always written 0, never restored).
        pub fs: u16,
        /// ss (the former `__pad0`).
        pub ss: u16,
        /// Error code of the last fault.
        pub err: u64,
        /// Trap number of the last fault.
        pub trapno: u64,
        /// The saved mask's first word.
        pub oldmask: u64,
        /// Fault address of the last page fault.
        pub cr2: u64,
        /// Pointer to the FP area, or 0.
        pub fpstate: u64,
        /// Reserved, zero.
        pub reserved1: [u64; 8],
    }

    /// `struct ucontext` (uapi asm/ucontext.h over asm-generic), 304 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct Ucontext {
        /// `UC_*` flags.
        pub uc_flags: u64,
        /// Always 0.
        pub uc_link: u64,
        /// The alternate stack at delivery.
        pub uc_stack: linux_raw_sys::general::stack_t,
        /// The registers.
        pub uc_mcontext: Sigcontext,
        /// The mask to restore (8 bytes; never write more: musl's 128-byte view
        /// overlaps the siginfo that follows).
        pub uc_sigmask: u64,
    }

    /// `struct rt_sigframe` (arch/x86/include/asm/sigframe.h), 440 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct RtSigframe {
        /// Return address of the handler (`sa_restorer`).
        pub pretcode: u64,
        /// The ucontext.
        pub uc: Ucontext,
        /// The siginfo.
        pub info: [u64; 16],
    }

    /// `struct _fpx_sw_bytes` (uapi asm/sigcontext.h), 48 bytes at FP-area offset 464.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct FpxSwBytes {
        /// `FP_XSTATE_MAGIC1`.
        pub magic1: u32,
        /// `xstate_size + 4` (room for `FP_XSTATE_MAGIC2`).
        pub extended_size: u32,
        /// The user xfeatures.
        pub xfeatures: u64,
        /// Size of the XSAVE image.
        pub xstate_size: u32,
        /// Zero.
        pub padding: [u32; 7],
    }

    /// `struct _fpstate_64` (uapi asm/sigcontext.h): the FXSAVE legacy area, 512 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct Fpstate64 {
        /// x87 control word.
        pub cwd: u16,
        /// x87 status word.
        pub swd: u16,
        /// x87 tag word (abridged).
        pub twd: u16,
        /// Last x87 opcode.
        pub fop: u16,
        /// Last x87 instruction pointer.
        pub rip: u64,
        /// Last x87 data pointer.
        pub rdp: u64,
        /// MXCSR.
        pub mxcsr: u32,
        /// MXCSR mask as FXSAVE reports it.
        pub mxcsr_mask: u32,
        /// ST0-ST7, 16 bytes each.
        pub st_space: [u32; 32],
        /// XMM0-XMM15.
        pub xmm_space: [u32; 64],
        /// Reserved.
        pub reserved2: [u32; 12],
        /// Software-reserved bytes (`sw_reserved`).
        pub sw_reserved: FpxSwBytes,
    }

    /// `struct _header` (the XSAVE header), 64 bytes at FP-area offset 512.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct XstateHeader {
        /// XSTATE_BV.
        pub xfeatures: u64,
        /// XCOMP_BV and one reserved word: must be zero (standard format).
        pub reserved1: [u64; 2],
        /// Reserved.
        pub reserved2: [u64; 5],
    }
}

use abi::{Fpstate64, FpxSwBytes, RtSigframe, Sigcontext, Ucontext, XstateHeader};

/// Size of `rt_sigframe`.
pub const FRAME_SIZE: usize = size_of::<RtSigframe>();
const UC: usize = offset_of!(RtSigframe, uc);
const INFO: usize = offset_of!(RtSigframe, info);
const UC_STACK: usize = offset_of!(Ucontext, uc_stack);
const UC_MCONTEXT: usize = offset_of!(Ucontext, uc_mcontext);
const UC_SIGMASK: usize = offset_of!(Ucontext, uc_sigmask);
/// The part of the sigcontext `restore_sigcontext` copies in: up to `reserved1`.
const SC_READ: usize = offset_of!(Sigcontext, reserved1);

/// Bytes below the interrupted stack pointer that the frame must not touch.
pub const RED_ZONE: u64 = 128;
/// Size of an FXSAVE image.
pub const FXSAVE_LEN: usize = size_of::<Fpstate64>();
/// Minimum size of an XSAVE image (legacy area + header).
pub const XSAVE_MIN_LEN: usize = FXSAVE_LEN + size_of::<XstateHeader>();
/// Largest XSAVE image accepted from a [`FpHook`]: enough for x87, SSE, AVX and
/// AVX-512 (2,696 bytes). The frame code keeps the image in a stack buffer of this
/// size so that delivery never allocates; a bigger state (AMX needs about 11 KiB)
/// is refused as a kernel configuration error ([`FrameError::FpLayout`]).
pub const XSAVE_MAX_LEN: usize = 3 * 1024;
/// `FP_XSTATE_MAGIC1`.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// `FP_XSTATE_MAGIC2`.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
/// `UC_FP_XSTATE`: the FP area has extended state.
pub const UC_FP_XSTATE: u64 = 1;
/// `UC_SIGCONTEXT_SS`: the sigcontext's ss slot is valid.
pub const UC_SIGCONTEXT_SS: u64 = 2;
/// `UC_STRICT_RESTORE_SS`: restore SS strictly (interrupted code was 64-bit).
pub const UC_STRICT_RESTORE_SS: u64 = 4;
/// `FIX_EFLAGS`: the RFLAGS bits `rt_sigreturn` takes from the frame.
pub const FIX_EFLAGS: u64 = 0x50DD5;
/// RFLAGS.TF.
pub const RFLAGS_TF: u64 = 1 << 8;
/// RFLAGS.DF.
pub const RFLAGS_DF: u64 = 1 << 10;
/// RFLAGS.RF.
pub const RFLAGS_RF: u64 = 1 << 16;
/// x87 | SSE xfeatures.
pub const XFEATURE_MASK_FPSSE: u64 = 0b11;
/// x87 | SSE | AVX: the xfeatures whose restore loads MXCSR.
const XFEATURE_MASK_MXCSR: u64 = 0b110;
/// `MXCSR_DEFAULT`.
const MXCSR_DEFAULT: u32 = 0x1F80;

const FP_MXCSR: usize = offset_of!(Fpstate64, mxcsr);
const FP_RESERVED2: usize = offset_of!(Fpstate64, reserved2);
const FP_SW: usize = offset_of!(Fpstate64, sw_reserved);
const SW_EXTENDED_SIZE: usize = FP_SW + offset_of!(FpxSwBytes, extended_size);
const SW_XFEATURES: usize = FP_SW + offset_of!(FpxSwBytes, xfeatures);
const SW_XSTATE_SIZE: usize = FP_SW + offset_of!(FpxSwBytes, xstate_size);
const XHDR: usize = FXSAVE_LEN;
const XHDR_RESERVED1: usize = XHDR + offset_of!(XstateHeader, reserved1);
const XHDR_RESERVED2: usize = XHDR + offset_of!(XstateHeader, reserved2);

/// Whether `a` is canonical for 48-bit virtual addresses.
///
/// Context: any, interrupt context included: a pure function of its arguments (no lock,
/// no allocation).
pub const fn is_canonical(a: u64) -> bool {
    (((a << 16) as i64) >> 16) as u64 == a
}

/// The x86_64 user context: the `pt_regs` a signal frame saves and restores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct X86_64Context {
    /// r15.
    pub r15: u64,
    /// r14.
    pub r14: u64,
    /// r13.
    pub r13: u64,
    /// r12.
    pub r12: u64,
    /// rbp.
    pub rbp: u64,
    /// rbx.
    pub rbx: u64,
    /// r11.
    pub r11: u64,
    /// r10.
    pub r10: u64,
    /// r9.
    pub r9: u64,
    /// r8.
    pub r8: u64,
    /// rax.
    pub rax: u64,
    /// rcx.
    pub rcx: u64,
    /// rdx.
    pub rdx: u64,
    /// rsi.
    pub rsi: u64,
    /// rdi.
    pub rdi: u64,
    /// rip.
    pub rip: u64,
    /// rsp.
    pub rsp: u64,
    /// rflags.
    pub rflags: u64,
    /// User code segment selector (kept across delivery and sigreturn).
    pub cs: u64,
    /// User stack segment selector (kept across delivery and sigreturn).
    pub ss: u64,
    /// Entered through a system call (`orig_ax != -1`).
    pub in_syscall: bool,
    /// The system-call number (`orig_ax`), for restarting.
    pub orig_rax: u64,
}

/// x86_64 (marker type for [`ArchFrame`](super::ArchFrame)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct X86_64;

// `handle_signal` / `arch_do_signal_or_restart`: result in rax, compared on all 64
// bits (`syscall_get_error` of a 64-bit task), `syscall` is 2 bytes, the
// `restart_syscall` number goes in rax too; `orig_ax` is kept (Linux does not
// clear it here).
syscall_regs!(X86_64Context { ret: rax, orig_arg: orig_rax, pc: rip, nr: rax },
    ret_width: Long, insn_len: 2, forgets_syscall: false);

/// The FP area's shape, from the hook.
struct FpArea {
    /// Image length (`user_size`), 0 for none.
    len: usize,
    /// XSAVE (vs FXSAVE only).
    xsave: bool,
    /// The user xfeatures (`XFEATURE_MASK_FPSSE` without XSAVE).
    xfeatures: u64,
}

impl FpArea {
    fn of(fp: &dyn FpHook) -> Result<FpArea, FrameError> {
        let len = fp.image_len();
        let xf = fp.x86_xfeatures();
        match (len, xf) {
            (0, _) => Ok(FpArea {
                len: 0,
                xsave: false,
                xfeatures: 0,
            }),
            (FXSAVE_LEN, 0) => Ok(FpArea {
                len,
                xsave: false,
                xfeatures: XFEATURE_MASK_FPSSE,
            }),
            (l, x) if x != 0 && (XSAVE_MIN_LEN..=XSAVE_MAX_LEN).contains(&l) => Ok(FpArea {
                len,
                xsave: true,
                xfeatures: x,
            }),
            _ => Err(FrameError::FpLayout),
        }
    }

    /// Bytes the area takes on the stack (`xstate_sigframe_size`).
    fn frame_len(&self) -> usize {
        if self.xsave { self.len + 4 } else { self.len }
    }
}

fn put_regs(b: &mut [u8], mc: usize, c: &X86_64Context) {
    let regs = [
        (offset_of!(Sigcontext, r8), c.r8),
        (offset_of!(Sigcontext, r9), c.r9),
        (offset_of!(Sigcontext, r10), c.r10),
        (offset_of!(Sigcontext, r11), c.r11),
        (offset_of!(Sigcontext, r12), c.r12),
        (offset_of!(Sigcontext, r13), c.r13),
        (offset_of!(Sigcontext, r14), c.r14),
        (offset_of!(Sigcontext, r15), c.r15),
        (offset_of!(Sigcontext, di), c.rdi),
        (offset_of!(Sigcontext, si), c.rsi),
        (offset_of!(Sigcontext, bp), c.rbp),
        (offset_of!(Sigcontext, bx), c.rbx),
        (offset_of!(Sigcontext, dx), c.rdx),
        (offset_of!(Sigcontext, ax), c.rax),
        (offset_of!(Sigcontext, cx), c.rcx),
        (offset_of!(Sigcontext, sp), c.rsp),
        (offset_of!(Sigcontext, ip), c.rip),
        (offset_of!(Sigcontext, flags), c.rflags),
    ];
    for (off, v) in regs {
        le::put_u64(b, mc + off, v);
    }
    le::put_u16(b, mc + offset_of!(Sigcontext, cs), c.cs as u16);
    le::put_u16(b, mc + offset_of!(Sigcontext, ss), c.ss as u16);
}

fn get_regs(b: &[u8], mc: usize, c: &mut X86_64Context) {
    let r = |off: usize| le::u64_at(b, mc + off);
    c.r8 = r(offset_of!(Sigcontext, r8));
    c.r9 = r(offset_of!(Sigcontext, r9));
    c.r10 = r(offset_of!(Sigcontext, r10));
    c.r11 = r(offset_of!(Sigcontext, r11));
    c.r12 = r(offset_of!(Sigcontext, r12));
    c.r13 = r(offset_of!(Sigcontext, r13));
    c.r14 = r(offset_of!(Sigcontext, r14));
    c.r15 = r(offset_of!(Sigcontext, r15));
    c.rdi = r(offset_of!(Sigcontext, di));
    c.rsi = r(offset_of!(Sigcontext, si));
    c.rbp = r(offset_of!(Sigcontext, bp));
    c.rbx = r(offset_of!(Sigcontext, bx));
    c.rdx = r(offset_of!(Sigcontext, dx));
    c.rax = r(offset_of!(Sigcontext, ax));
    c.rcx = r(offset_of!(Sigcontext, cx));
    c.rsp = r(offset_of!(Sigcontext, sp));
    c.rip = r(offset_of!(Sigcontext, ip));
    let flags = r(offset_of!(Sigcontext, flags));
    c.rflags = (c.rflags & !FIX_EFLAGS) | (flags & FIX_EFLAGS);
}

/// Writes the FP image into `area` (`fp.len` bytes plus the trailing magic) as
/// `copy_fpstate_to_sigframe` leaves it.
fn save_fp(fp: &mut dyn FpHook, shape: &FpArea, area: &mut [u8]) {
    fp.save(le::slice_mut(area, 0, shape.len));
    // Reserved and software-reserved bytes: nothing of the kernel's leaks.
    le::put(area, FP_RESERVED2, &[0u8; FXSAVE_LEN - FP_RESERVED2]);
    le::put_u32(area, FP_SW, FP_XSTATE_MAGIC1);
    le::put_u32(area, SW_EXTENDED_SIZE, (shape.len + 4) as u32);
    le::put_u64(area, SW_XFEATURES, shape.xfeatures);
    le::put_u32(area, SW_XSTATE_SIZE, shape.len as u32);
    if shape.xsave {
        // The header was cleared before XSAVE; XSTATE_BV always has x87|SSE.
        let bv = le::u64_at(area, XHDR) | XFEATURE_MASK_FPSSE;
        le::put(area, XHDR, &[0u8; size_of::<XstateHeader>()]);
        le::put_u64(area, XHDR, bv);
        le::put_u32(area, shape.len, FP_XSTATE_MAGIC2);
    }
}

/// `fpu__restore_sig` for a 64-bit frame: validates the user's FP area at `addr` so
/// that the hook's XRSTOR/FXRSTOR cannot fault, and loads it.
fn restore_fp<M: UserMemory + ?Sized>(
    fp: &mut dyn FpHook,
    mem: &M,
    addr: u64,
) -> Result<(), FrameError> {
    if addr == 0 {
        fp.reset();
        return Ok(());
    }
    let shape = FpArea::of(fp)?;
    if shape.len == 0 {
        return Ok(());
    }
    let mut legacy = [0u8; FXSAVE_LEN];
    read_user(mem, addr, &mut legacy)?;
    let (fx_only, xrestore) = check_xstate_in_sigframe(mem, addr, &shape, &legacy)?;
    // XRSTOR needs a 64-byte aligned area, FXRSTOR 16; both #GP otherwise.
    let align = if fx_only { 16 } else { 64 };
    if !addr.is_multiple_of(align) {
        return Err(FrameError::BadFpState);
    }
    let mut img_buf = [0u8; XSAVE_MAX_LEN];
    let img = le::slice_mut(&mut img_buf, 0, shape.len);
    if fx_only {
        le::put(img, 0, &legacy);
        if shape.xsave {
            le::put_u64(img, XHDR, XFEATURE_MASK_FPSSE);
        }
    } else {
        read_user(mem, addr, img)?;
        validate_user_xstate_header(img, &shape, xrestore)?;
    }
    check_mxcsr(img, fp, fx_only, xrestore)?;
    le::put(img, FP_RESERVED2, &[0u8; FXSAVE_LEN - FP_RESERVED2]);
    if fp.restore(img) {
        Ok(())
    } else {
        Err(FrameError::BadFpState)
    }
}

/// `check_xstate_in_sigframe`: whether the area at `addr` (its legacy part already
/// read into `legacy`) is to be restored as FXSAVE only (no XSAVE, or
/// `FP_XSTATE_MAGIC1` or `FP_XSTATE_MAGIC2` at the task's user size missing), and
/// which xfeatures it restores.
#[inline]
fn check_xstate_in_sigframe<M: UserMemory + ?Sized>(
    mem: &M,
    addr: u64,
    shape: &FpArea,
    legacy: &[u8; FXSAVE_LEN],
) -> Result<(bool, u64), FrameError> {
    if !shape.xsave {
        return Ok((true, XFEATURE_MASK_FPSSE));
    }
    let mut fx_only = le::u32_at(legacy, FP_SW) != FP_XSTATE_MAGIC1;
    if !fx_only {
        let mut m2 = [0u8; 4];
        let at = addr
            .checked_add(shape.len as u64)
            .ok_or(FrameError::Fault)?;
        read_user(mem, at, &mut m2)?;
        fx_only = u32::from_le_bytes(m2) != FP_XSTATE_MAGIC2;
    }
    if fx_only {
        Ok((true, XFEATURE_MASK_FPSSE))
    } else {
        Ok((false, le::u64_at(legacy, SW_XFEATURES) & shape.xfeatures))
    }
}

/// `validate_user_xstate_header`, and the features outside `xrestore` sent to
/// their initial state: a standard-format XRSTOR faults on XCOMP_BV or the next
/// word being set, and on XSTATE_BV bits outside XCR0.
#[inline]
fn validate_user_xstate_header(
    img: &mut [u8],
    shape: &FpArea,
    xrestore: u64,
) -> Result<(), FrameError> {
    let bv = le::u64_at(img, XHDR);
    if le::u64_at(img, XHDR_RESERVED1) != 0
        || le::u64_at(img, XHDR_RESERVED1 + 8) != 0
        || bv & !shape.xfeatures != 0
    {
        return Err(FrameError::BadFpState);
    }
    // Features outside `xrestore` go to their initial state (init_bv).
    le::put(img, XHDR_RESERVED2, &[0u8; 40]);
    le::put_u64(img, XHDR, bv & xrestore);
    Ok(())
}

/// MXCSR is loaded (and checked against the CPU's mask) only when SSE or AVX is
/// restored; otherwise the init_bv restore resets it to `MXCSR_DEFAULT`.
#[inline]
fn check_mxcsr(
    img: &mut [u8],
    fp: &dyn FpHook,
    fx_only: bool,
    xrestore: u64,
) -> Result<(), FrameError> {
    if fx_only || xrestore & XFEATURE_MASK_MXCSR != 0 {
        if le::u32_at(img, FP_MXCSR) & !fp.x86_mxcsr_mask() != 0 {
            return Err(FrameError::BadFpState);
        }
    } else {
        le::put_u32(img, FP_MXCSR, MXCSR_DEFAULT);
    }
    Ok(())
}

/// `get_sigframe`: below the red zone of the interrupted stack (or the alternate
/// stack's top when entering it), the 64-byte aligned FP area of `math` bytes, then
/// the frame as if `call`ed. Returns the frame's and the FP area's addresses (0 for
/// no FP area).
#[inline]
fn get_sigframe(
    ctx: &X86_64Context,
    stack: &SignalStack,
    d: &FrameRequest<'_>,
    math: u64,
) -> Result<(u64, u64), FrameError> {
    let nested = stack.on_stack(us(ctx.rsp));
    let mut sp = ctx.rsp.checked_sub(RED_ZONE).ok_or(FrameError::Fault)?;
    let entering = stack.switches_to_altstack(us(sp), wants_onstack(d));
    if entering {
        sp = super::sigsp(stack, sp, true)?;
    }
    let fp_addr = if math != 0 {
        sp = round_down(sp.checked_sub(math).ok_or(FrameError::Fault)?, 64);
        sp
    } else {
        0
    };
    let frame = round_down(
        sp.checked_sub(FRAME_SIZE as u64).ok_or(FrameError::Fault)?,
        16,
    )
    .checked_sub(8)
    .ok_or(FrameError::Fault)?;
    if (nested || entering) && !stack.contains(us(frame)) {
        return Err(FrameError::AltStackOverflow);
    }
    Ok((frame, fp_addr))
}

/// `setup_sigcontext`: the registers, the fault record, the saved mask's first word
/// and the FP area's address, into the `uc_mcontext` at `mc` in `buf`.
#[inline]
fn setup_sigcontext(
    buf: &mut [u8; FRAME_SIZE],
    mc: usize,
    ctx: &X86_64Context,
    d: &FrameRequest<'_>,
    fp_addr: u64,
) {
    put_regs(buf, mc, ctx);
    let sc = |field: usize| mc + field;
    le::put_u64(buf, sc(offset_of!(Sigcontext, err)), d.fault.code);
    le::put_u64(buf, sc(offset_of!(Sigcontext, trapno)), d.fault.trapno);
    le::put_u64(
        buf,
        sc(offset_of!(Sigcontext, oldmask)),
        d.saved_mask.bits(),
    );
    le::put_u64(buf, sc(offset_of!(Sigcontext, cr2)), d.fault.address);
    le::put_u64(buf, sc(offset_of!(Sigcontext, fpstate)), fp_addr);
}

/// `copy_fpstate_to_sigframe`: saves the FP state as the `math`-byte area at
/// `fp_addr` and writes it.
#[inline]
fn copy_fpstate_to_sigframe<M: UserMemory + ?Sized>(
    fp: &mut dyn FpHook,
    shape: &FpArea,
    mem: &mut M,
    fp_addr: u64,
    math: usize,
) -> Result<(), FrameError> {
    let mut area = [0u8; XSAVE_MAX_LEN + 4];
    let area = le::slice_mut(&mut area, 0, math);
    save_fp(fp, shape, area);
    write_user(mem, fp_addr, area)
}

// The numbers are Linux's (arch/x86/entry/syscalls/syscall_64.tbl).
arch_frame!(X86_64 for "x86_64" {
    context: X86_64Context,
    nr_rt_sigreturn: 15,
    nr_restart_syscall: 219,
    restart_reset_first: false,
});

/// `x64_setup_rt_frame` + `get_sigframe` + `setup_sigcontext` +
/// `copy_fpstate_to_sigframe` + the register changes of `handle_signal`; the FP
/// state is reset for the handler.
fn setup_rt_frame<M: UserMemory + ?Sized>(
    Setup(ctx, fp, mem, stack, d, handler): Setup<'_, X86_64Context, M>,
) -> Result<HandlerFrame, FrameError> {
    if !d.action.flags().contains(SaFlags::RESTORER) {
        return Err(FrameError::NoRestorer);
    }
    let shape = FpArea::of(fp)?;
    let math = shape.frame_len();
    let (frame, fp_addr) = get_sigframe(ctx, stack, d, math as u64)?;

    // Two stack buffers, not one heap buffer: delivery never allocates. As in
    // Linux, the FP area and the frame are written separately and the few bytes
    // of alignment between them are left as they were.
    let mut buf = [0u8; FRAME_SIZE];
    le::put_u64(&mut buf, 0, d.action.restorer() as u64);
    let mut uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    if shape.xsave {
        uc_flags |= UC_FP_XSTATE;
    }
    le::put_u64(&mut buf, UC, uc_flags);
    put_ucontext_header(&mut buf, UC + UC_STACK, UC + UC_SIGMASK, stack, d);
    setup_sigcontext(&mut buf, UC + UC_MCONTEXT, ctx, d, fp_addr);
    if d.action.flags().contains(SaFlags::SIGINFO) {
        le::put(&mut buf, INFO, d.info);
    }
    if math != 0 {
        copy_fpstate_to_sigframe(fp, &shape, mem, fp_addr, math)?;
    }
    write_user(mem, frame, &buf)?;

    ctx.rdi = u64::from(d.sig.get());
    ctx.rax = 0;
    ctx.rsi = frame + INFO as u64;
    ctx.rdx = frame + UC as u64;
    ctx.rip = handler;
    ctx.rsp = frame;
    ctx.rflags &= !(RFLAGS_DF | RFLAGS_RF | RFLAGS_TF);
    if math != 0 {
        fp.reset();
    }
    Ok(HandlerFrame::at(frame, INFO, UC))
}

/// `rt_sigreturn` (signal_64.c): frame at rsp − 8; reads `uc_sigmask` and
/// `uc_flags`, installs the mask, then `restore_altstack` (with the handler's
/// rsp, as Linux), then `restore_sigcontext` (the sigcontext up to `reserved1`,
/// then the FP state). Only those fields are read: the siginfo, `uc_link` and
/// `reserved1` may be unmapped. `uc_flags` is read for its fault only (the crate
/// does not restore SS, see the module documentation).
///
/// On a bad frame what Linux did stays done: the mask once read, the alternate
/// stack once `restore_altstack` ran, and, when the FP state is what fails, the
/// registers (with `orig_ax` = -1) and the reset FPU. A non-canonical RIP is
/// refused before the registers are touched (see the module documentation).
fn restore_rt_frame<M: UserMemory + ?Sized>(
    Restore(ctx, fp, mem, stack): Restore<'_, X86_64Context, M>,
) -> Result<RestoredFrame, BadFrame> {
    let bad = |e| BadFrame::kernel(e, None);
    let frame = ctx.rsp.checked_sub(8).ok_or(bad(FrameError::Fault))?;
    let mask = read_sigframe_mask(mem, frame, FRAME_SIZE, UC + UC_SIGMASK)?;
    let uc = at(frame, UC);
    read_u64(mem, uc).map_err(bad)?; // uc_flags
    let bad = |e| BadFrame::kernel(e, Some(mask));

    restore_altstack(mem, at(uc, UC_STACK), stack, ctx.rsp, Arch::X86_64).map_err(bad)?;
    // `restore_sigcontext` resets the restart block first.
    let bad = |e| BadFrame::kernel(e, Some(mask)).after_restart_reset();

    let mut sc = [0u8; SC_READ];
    read_user(mem, at(uc, UC_MCONTEXT), &mut sc).map_err(bad)?;
    let mut new = *ctx;
    get_regs(&sc, 0, &mut new);
    new.in_syscall = false;
    if !is_canonical(new.rip) {
        return Err(bad(FrameError::NonCanonicalPc));
    }
    // The registers are in `pt_regs` before the FP state is tried: a bad FP area
    // leaves them restored (and the FPU reset), as in Linux.
    *ctx = new;
    let fpstate = le::u64_at(&sc, offset_of!(Sigcontext, fpstate));
    if let Err(e) = restore_fp(fp, mem, fpstate) {
        fp.reset();
        return Err(bad(e));
    }
    Ok(RestoredFrame::restored(mask, new.rax))
}

const _: () = assert!(crate::info::SIGINFO_SIZE == size_of::<[u64; 16]>());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_sigframe_layout_matches_linux() {
        assert_eq!(size_of::<Sigcontext>(), 256);
        assert_eq!(size_of::<Ucontext>(), 304);
        assert_eq!(FRAME_SIZE, 440);
        assert_eq!(UC, 8);
        assert_eq!(INFO, 312);
        assert_eq!(UC_STACK, 16);
        assert_eq!(UC_MCONTEXT, 40);
        assert_eq!(UC_SIGMASK, 296);
        assert_eq!(UC + UC_MCONTEXT, 48, "uc_mcontext in the frame");
        assert_eq!(UC + UC_SIGMASK, 304, "uc_sigmask in the frame");
    }

    #[test]
    fn sigcontext_offsets_match_the_gregs_order() {
        assert_eq!(offset_of!(Sigcontext, r8), 0);
        assert_eq!(offset_of!(Sigcontext, r15), 56);
        assert_eq!(offset_of!(Sigcontext, di), 64);
        assert_eq!(offset_of!(Sigcontext, ax), 104);
        assert_eq!(offset_of!(Sigcontext, sp), 120);
        assert_eq!(offset_of!(Sigcontext, ip), 128);
        assert_eq!(offset_of!(Sigcontext, flags), 136);
        assert_eq!(offset_of!(Sigcontext, cs), 144);
        assert_eq!(offset_of!(Sigcontext, gs), 146);
        assert_eq!(offset_of!(Sigcontext, fs), 148);
        assert_eq!(offset_of!(Sigcontext, ss), 150);
        assert_eq!(offset_of!(Sigcontext, err), 152);
        assert_eq!(offset_of!(Sigcontext, trapno), 160);
        assert_eq!(offset_of!(Sigcontext, oldmask), 168);
        assert_eq!(offset_of!(Sigcontext, cr2), 176);
        assert_eq!(offset_of!(Sigcontext, fpstate), 184);
        assert_eq!(offset_of!(Sigcontext, reserved1), 192);
    }

    #[test]
    fn fp_area_layout_matches_linux() {
        assert_eq!(FXSAVE_LEN, 512);
        assert_eq!(FP_MXCSR, 24);
        assert_eq!(offset_of!(Fpstate64, st_space), 32);
        assert_eq!(offset_of!(Fpstate64, xmm_space), 160);
        assert_eq!(FP_RESERVED2, 416);
        assert_eq!(FP_SW, 464);
        assert_eq!(size_of::<FpxSwBytes>(), 48);
        assert_eq!(SW_EXTENDED_SIZE, 468);
        assert_eq!(SW_XFEATURES, 472);
        assert_eq!(SW_XSTATE_SIZE, 480);
        assert_eq!(XHDR, 512);
        assert_eq!(XHDR_RESERVED1, 520);
        assert_eq!(XHDR_RESERVED2, 536);
        assert_eq!(XSAVE_MIN_LEN, 576);
    }

    #[test]
    fn canonical_addresses_are_sign_extended_48_bit() {
        assert!(is_canonical(0));
        assert!(is_canonical(0x0000_7fff_ffff_ffff));
        assert!(!is_canonical(0x0000_8000_0000_0000));
        assert!(!is_canonical(0x8000_0000_0000_0000));
        assert!(is_canonical(0xffff_8000_0000_0000));
    }
}
