//! Kernel context switch.
//!
//! A switch happens only at a function call (`switch_context`), so only the
//! registers a callee must preserve (ra, sp, s0-s11) need saving; the
//! compiler already saved everything else around the call. User registers
//! are not involved: they sit in the thread's `TrapFrame`.

use core::arch::global_asm;

#[repr(C)]
#[derive(Debug, Default)]
pub struct Context {
    pub ra: usize,
    pub sp: usize,
    pub s: [usize; 12],
}

impl Context {
    pub const fn zero() -> Self {
        Context { ra: 0, sp: 0, s: [0; 12] }
    }

    /// A context that starts running `entry` on the stack whose top is `sp`.
    pub fn new(entry: usize, sp: usize) -> Self {
        Context { ra: entry, sp, s: [0; 12] }
    }
}

global_asm!(
    r"
    .section .text
    .globl __switch_context
__switch_context:
    # a0 = &mut old context, a1 = &new context
    sd ra, 0(a0)
    sd sp, 8(a0)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    sd s\n, (16+\n*8)(a0)
    .endr
    ld ra, 0(a1)
    ld sp, 8(a1)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    ld s\n, (16+\n*8)(a1)
    .endr
    ret
    "
);

unsafe extern "C" {
    fn __switch_context(old: *mut Context, new: *const Context);
}

/// Saves the callee-saved registers into `old` and resumes `new`.
///
/// # Safety
/// `old` must be writable; `new` must hold a context saved by a previous
/// switch or built by `Context::new` with a valid stack, and both must stay
/// alive until they are switched back to.
pub unsafe fn switch_context(old: *mut Context, new: *const Context) {
    // SAFETY: forwarded to the caller.
    unsafe { __switch_context(old, new) }
}
