//! The user address space of the delivery tests: a main stack and an alternate-stack
//! region, as the crate's `UserBuffer`.

use ksignal::UserBuffer;

/// The main user stack region.
pub const STACK_BASE: usize = 0x7000_0000;
/// The alternate stack region.
pub const ALT_BASE: usize = 0x5000_0000;
/// Length of each region.
pub const REGION: usize = 0x3000;
/// Stack and altstack, both zero-filled.
pub fn memory() -> UserBuffer {
    UserBuffer::new()
        .with_region(STACK_BASE, REGION)
        .with_region(ALT_BASE, REGION)
}

/// A stack pointer near the top of the main stack.
pub fn stack_top() -> u64 {
    (STACK_BASE + REGION - 0x100) as u64
}
