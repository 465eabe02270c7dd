//! Tiny user-space runtime for the rv64-kernel test programs.
//!
//! No libc: every system call is a raw `ecall` with the Linux riscv64 ABI
//! (a7 = number, a0..a5 = arguments, result in a0, negative = -errno), so the
//! same binaries would also run on a real Linux kernel.
#![no_std]

pub mod console;
pub mod signal;
pub mod sys;
pub mod thread;

pub use signal::*;
pub use sys::*;

/// Defines the ELF entry point `_start`, which calls `$main` and exits with
/// its return value. The kernel starts us with `sp` pointing at argc (0).
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        #[unsafe(link_section = ".text.entry")]
        extern "C" fn _start() -> ! {
            let code: i32 = $main();
            $crate::sys::exit_group(code)
        }
    };
}

/// Prints a `FAIL` line (which the run script looks for) and exits with 1.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {{
        $crate::println!("FAIL {}", format_args!($($arg)*));
        $crate::sys::exit_group(1)
    }};
}

/// Like `assert!`, but reports through `fail!` so the run script sees it.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::fail!($($arg)*);
        }
    };
}

/// Assembly (a template string for `asm!` or `global_asm!`) that runs `$op`
/// (`"fld"` or `"fsd"`) on each of f0..f31 with the 32 doublewords at the
/// address in register `$base`.
#[macro_export]
macro_rules! f0_f31 {
    ($op:literal, $base:literal) => {
        concat!(
            ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n",
            $op, " f\\n, \\n*8(", $base, ")\n",
            ".endr"
        )
    };
}

/// `asm!` with `$args` (template strings and operands, ending in a comma),
/// declaring every FP register f0..f31 clobbered: for blocks that load, trash
/// or outlive the FP registers as a whole.
#[macro_export]
macro_rules! asm_clobbering_fp {
    ($($args:tt)*) => {
        core::arch::asm!(
            $($args)*
            out("f0") _, out("f1") _, out("f2") _, out("f3") _, out("f4") _, out("f5") _, out("f6") _, out("f7") _,
            out("f8") _, out("f9") _, out("f10") _, out("f11") _, out("f12") _, out("f13") _, out("f14") _, out("f15") _,
            out("f16") _, out("f17") _, out("f18") _, out("f19") _, out("f20") _, out("f21") _, out("f22") _, out("f23") _,
            out("f24") _, out("f25") _, out("f26") _, out("f27") _, out("f28") _, out("f29") _, out("f30") _, out("f31") _,
        )
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("FAIL panic: {}", info);
    sys::exit_group(101)
}
