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

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("FAIL panic: {}", info);
    sys::exit_group(101)
}
