//! Calls into the SBI firmware (OpenSBI) below us in M-mode.
//!
//! Calling convention: a7 = extension id, a6 = function id, a0..a5 args;
//! returns (error in a0, value in a1). Legacy extensions return in a0 only.

use core::arch::asm;

const EXT_LEGACY_CONSOLE_PUTCHAR: usize = 0x01;
const EXT_LEGACY_SHUTDOWN: usize = 0x08;
const EXT_TIME: usize = 0x5449_4D45; // "TIME"
const EXT_SRST: usize = 0x5352_5354; // "SRST"

fn sbi_call(ext: usize, func: usize, a0: usize, a1: usize) -> (isize, usize) {
    let (err, val);
    // SAFETY: an SBI call is an ecall into the firmware, which follows the SBI
    // calling convention: it only writes a0/a1 and touches no kernel memory.
    unsafe {
        asm!("ecall",
            inlateout("a0") a0 => err,
            inlateout("a1") a1 => val,
            in("a6") func,
            in("a7") ext,
            options(nostack));
    }
    (err, val)
}

/// Writes one byte to the console (the legacy call: simple and universally
/// supported by OpenSBI; we need no input and no MMIO mapping for it).
pub fn console_putchar(byte: u8) {
    sbi_call(EXT_LEGACY_CONSOLE_PUTCHAR, 0, byte as usize, 0);
}

/// Arms the timer: a supervisor timer interrupt becomes pending once the
/// `time` CSR reaches `deadline`. Re-arming also clears a pending one.
pub fn set_timer(deadline: u64) {
    sbi_call(EXT_TIME, 0, deadline as usize, 0);
}

/// QEMU virt's "sifive,test" finisher device (physical address).
const VIRT_TEST_FINISHER: usize = 0x10_0000;
/// FINISHER_FAIL with exit code 1 in the upper half: QEMU exits with 1.
const FINISHER_FAIL_1: u32 = (1 << 16) | 0x3333;

/// Powers the machine off, so QEMU exits by itself.
pub fn shutdown(failure: bool) -> ! {
    if failure {
        // OpenSBI reports every SRST shutdown to QEMU as success, so a failed
        // run goes straight to the virt test device to make QEMU exit with 1.
        // Paging is turned off first: the device is not in our page tables,
        // and the kernel's identity mapping means we keep running unchanged.
        // SAFETY: this ends the machine; the store targets a QEMU virt MMIO
        // register (physical address, S-mode may access it per OpenSBI's
        // PMP setup) and the code/stack stay valid with satp = 0.
        unsafe {
            asm!("csrw satp, zero", "sfence.vma");
            core::ptr::write_volatile(VIRT_TEST_FINISHER as *mut u32, FINISHER_FAIL_1);
        }
    }
    // SRST: type 0 = shutdown; reason 0 = none, 1 = system failure.
    sbi_call(EXT_SRST, 0, 0, failure as usize);
    // Firmware without SRST: the legacy call.
    sbi_call(EXT_LEGACY_SHUTDOWN, 0, 0, 0);
    loop {
        core::hint::spin_loop();
    }
}
