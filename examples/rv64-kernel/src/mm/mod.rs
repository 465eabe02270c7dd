//! Memory management: physical frames, Sv39 page tables, per-process address
//! spaces, and checked access to user memory.
//!
//! The physical memory map (QEMU virt, `-m 128M`):
//!
//! ```text
//! 0x8000_0000  OpenSBI (M-mode, not ours)
//! 0x8020_0000  kernel image: text, rodata, data, bss (incl. heap arena)
//! ekernel      free frames, handed out by `frame`
//! 0x8800_0000  end of RAM
//! ```
//!
//! The kernel runs with an identity mapping of all of that, present in every
//! address space (without the U bit, so user mode cannot touch it). User
//! programs live below `USER_END`, far from the kernel, so switching `satp`
//! between processes never changes what kernel addresses mean.

pub mod address_space;
pub mod frame;
pub mod page_table;
pub mod uaccess;

pub use address_space::AddressSpace;

pub const PAGE_SIZE: usize = 4096;
/// End of RAM; matches `-m 128M` in run.sh. (A bigger kernel would read it
/// from the device tree.)
pub const MEMORY_END: usize = 0x8800_0000;
/// User addresses are [0, USER_END); the kernel lives above.
pub const USER_END: usize = 0x8000_0000;
/// Top of the main thread's user stack, and its size.
pub const USER_STACK_TOP: usize = 0x4000_0000;
pub const USER_STACK_SIZE: usize = 64 * 1024;
/// A read+execute page in every process holding `li a7, 139; ecall`
/// (rt_sigreturn). There is no vDSO (and riscv has no SA_RESTORER), so
/// signal delivery points every handler's return address (ra) here.
pub const SIGRETURN_TRAMPOLINE: usize = USER_STACK_TOP;

pub fn init() {
    frame::init();
    page_table::init_kernel_space();
}
