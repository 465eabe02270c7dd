//! Calls into the SBI firmware (OpenSBI) below us in M-mode.
//!
//! Calling convention: a7 = extension id, a6 = function id, a0..a5 args;
//! returns (error in a0, value in a1). Legacy extensions return in a0 only.

use core::arch::asm;

const EXT_LEGACY_CONSOLE_PUTCHAR: usize = 0x01;
const EXT_LEGACY_SHUTDOWN: usize = 0x08;
const EXT_TIME: usize = 0x5449_4D45; // "TIME"
const EXT_SRST: usize = 0x5352_5354; // "SRST"
const EXT_HSM: usize = 0x0048_534D; // "HSM"
const EXT_IPI: usize = 0x0073_5049; // "sPI"

fn sbi_call(ext: usize, func: usize, a0: usize, a1: usize) -> (isize, usize) {
    sbi_call3(ext, func, a0, a1, 0)
}

fn sbi_call3(ext: usize, func: usize, a0: usize, a1: usize, a2: usize) -> (isize, usize) {
    let (err, val);
    // SAFETY: an SBI call is an ecall into the firmware, which follows the SBI
    // calling convention: it only writes a0/a1 and touches no kernel memory.
    unsafe {
        asm!("ecall",
            inlateout("a0") a0 => err,
            inlateout("a1") a1 => val,
            in("a2") a2,
            in("a6") func,
            in("a7") ext,
            options(nostack));
    }
    (err, val)
}

/// HSM `hart_start`: the stopped hart `hart` starts in S-mode at physical
/// address `start` with a0 = its hart id, a1 = `opaque`, paging off.
/// Err(sbi error) if there is no such hart or it is not stopped.
pub fn hart_start(hart: usize, start: usize, opaque: usize) -> Result<(), isize> {
    let (err, _) = sbi_call3(EXT_HSM, 0, hart, start, opaque);
    if err == 0 { Ok(()) } else { Err(err) }
}

/// sPI `send_ipi`: raises a supervisor software interrupt on every hart in
/// `mask` (bit n = hart n; hart_mask_base 0).
pub fn send_ipi(mask: usize) {
    sbi_call(EXT_IPI, 0, mask, 0);
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
