//! Boot: the first instructions, the boot stack, BSS, and the panic handler.
//!
//! OpenSBI (`-bios default`) starts us in S-mode at 0x8020_0000 with
//! a0 = hart id, a1 = physical address of the device tree, paging off.

use core::arch::global_asm;

/// Size of the boot stack; the scheduler loop keeps running on it later.
const BOOT_STACK_SIZE: usize = 64 * 1024;

// `.text.entry` is placed first by linker.ld, so `_start` is at the load
// address. The stack lives in `.bss.stack`, which linker.ld keeps outside the
// [sbss, ebss) range that `clear_bss` zeroes.
global_asm!(
    ".section .text.entry",
    ".globl _start",
    "_start:",
    "    la sp, boot_stack_top",
    "    call {main}",
    "1:  wfi",
    "    j 1b",
    ".section .bss.stack",
    ".balign 16",
    "boot_stack_bottom:",
    ".space {size}",
    ".globl boot_stack_top",
    "boot_stack_top:",
    main = sym rust_start,
    size = const BOOT_STACK_SIZE,
);

unsafe extern "C" {
    static sbss: u8;
    static ebss: u8;
}

extern "C" fn rust_start(hart_id: usize, dtb: usize) -> ! {
    clear_bss();
    crate::kernel_main(hart_id, dtb)
}

/// Zeroes `.bss` (statics that start as zero). Must run before any of them
/// is used, which is why it is the very first thing `rust_start` does.
fn clear_bss() {
    let start = &raw const sbss as usize;
    let end = &raw const ebss as usize;
    // SAFETY: [sbss, ebss) is the BSS range laid out by linker.ld; nothing in
    // it is in use yet and the boot stack lies outside it.
    unsafe { core::ptr::write_bytes(start as *mut u8, 0, end - start) };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // `FAIL` makes run.sh report the failure even if the shutdown code is lost.
    println!("FAIL [kernel] panic: {info}");
    crate::sbi::shutdown(true)
}
