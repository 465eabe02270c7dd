//! `print!`/`println!` for the kernel, on the SBI console.

use core::fmt::{self, Write};
use spin::Mutex;

struct SbiConsole;

impl Write for SbiConsole {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Serialises whole `print!` calls (a kernel line is never cut by another).
static CONSOLE: Mutex<SbiConsole> = Mutex::new(SbiConsole);

/// Raw bytes to the console (used by the `write` system call).
pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        crate::sbi::console_putchar(b);
    }
}

#[doc(hidden)]
pub fn print_fmt(args: fmt::Arguments) {
    // A panic while printing would deadlock on the lock; the panic handler
    // then prints unlocked through a fresh `SbiConsole` instead.
    match CONSOLE.try_lock() {
        Some(mut console) => console.write_fmt(args).ok(),
        None => SbiConsole.write_fmt(args).ok(),
    };
}

#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::print_fmt(format_args!($($arg)*)) };
}

macro_rules! println {
    () => { $crate::console::print_fmt(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::print_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
