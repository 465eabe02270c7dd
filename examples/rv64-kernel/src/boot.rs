//! Boot: the first instructions, the boot stacks, BSS, and the panic handler.
//!
//! OpenSBI (`-bios default`) starts one hart in S-mode at 0x8020_0000
//! (`_start`) with a0 = hart id, a1 = physical address of the device tree,
//! paging off. The other harts are started later by the boot hart
//! (`smp::start_secondary_harts`) at `_start_secondary`, a0 = hart id.
//! Every hart gets its own boot stack (indexed by hart id), on which its
//! scheduler loop keeps running later, and keeps its hart id in `tp`.

use crate::smp::MAX_HARTS;
use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, Ordering};

/// Size of each hart's boot stack: 64 KiB (a power of two, so the entry
/// code finds hart n's stack with a shift).
const BOOT_STACK_SHIFT: usize = 16;
const BOOT_STACK_SIZE: usize = 1 << BOOT_STACK_SHIFT;

// `.text.entry` is placed first by linker.ld, so `_start` is at the load
// address. The stacks live in `.bss.stack`, which linker.ld keeps outside
// the [sbss, ebss) range that `clear_bss` zeroes. Hart n's stack is the n-th
// BOOT_STACK_SIZE block; a hart id beyond MAX_HARTS parks forever.
global_asm!(
    ".section .text.entry",
    ".globl _start",
    "_start:",
    "    la t0, {main}",
    "    j 2f",
    ".globl _start_secondary",
    "_start_secondary:",
    "    la t0, {secondary}",
    "2:  li t1, {max}",
    "    bgeu a0, t1, 1f",
    "    mv tp, a0",
    "    addi t1, a0, 1",
    "    slli t1, t1, {shift}",
    "    la sp, boot_stacks",
    "    add sp, sp, t1",
    "    jalr t0",
    "1:  wfi",
    "    j 1b",
    ".section .bss.stack",
    ".balign 16",
    ".globl boot_stacks",
    "boot_stacks:",
    ".space {total}",
    main = sym rust_start,
    secondary = sym rust_start_secondary,
    max = const MAX_HARTS,
    shift = const BOOT_STACK_SHIFT,
    total = const BOOT_STACK_SIZE * MAX_HARTS,
);

unsafe extern "C" {
    static sbss: u8;
    static ebss: u8;
    fn _start_secondary();
}

/// The physical address where secondary harts start (`_start_secondary`).
pub fn secondary_entry() -> usize {
    _start_secondary as *const () as usize
}

extern "C" fn rust_start(hart_id: usize, dtb: usize) -> ! {
    clear_bss();
    crate::kernel_main(hart_id, dtb)
}

extern "C" fn rust_start_secondary(hart_id: usize) -> ! {
    crate::secondary_main(hart_id)
}

/// Zeroes `.bss` (statics that start as zero). Must run before any of them
/// is used, which is why it is the very first thing `rust_start` does (the
/// other harts are still stopped then).
fn clear_bss() {
    let start = &raw const sbss as usize;
    let end = &raw const ebss as usize;
    // SAFETY: [sbss, ebss) is the BSS range laid out by linker.ld; nothing in
    // it is in use yet and the boot stacks lie outside it.
    unsafe { core::ptr::write_bytes(start as *mut u8, 0, end - start) };
}

/// Set by the first hart that panics: the others only stop.
static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if PANICKING.swap(true, Ordering::AcqRel) {
        loop {
            core::hint::spin_loop();
        }
    }
    // `FAIL` makes run.sh report the failure even if the shutdown code is lost.
    crate::console::print_unlocked(format_args!(
        "FAIL [kernel] panic on hart {}: {info}\n",
        crate::smp::hart_id()
    ));
    crate::sbi::shutdown(true)
}
