//! `print!`/`println!` for the kernel, on the SBI console.
//!
//! One lock serialises whole `print!` calls and user `write`s, so a line is
//! never cut by another hart's output.

use crate::sync::Mutex;
use core::fmt::{self, Write};

/// The console device (the SBI putchar call); reached through `CONSOLE`.
pub struct SbiConsole;

impl Write for SbiConsole {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        put_bytes(s.as_bytes());
        Ok(())
    }
}

static CONSOLE: Mutex<SbiConsole> = Mutex::new(SbiConsole);

fn put_bytes(bytes: &[u8]) {
    for &b in bytes {
        crate::sbi::console_putchar(b);
    }
}

impl SbiConsole {
    /// Raw bytes, while the lock is held (the `write` system call).
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        put_bytes(bytes);
    }
}

/// Takes the console for a series of writes that must stay together.
pub fn lock() -> crate::sync::MutexGuard<'static, SbiConsole> {
    CONSOLE.lock()
}

#[doc(hidden)]
pub fn print_fmt(args: fmt::Arguments) {
    CONSOLE.lock().write_fmt(args).ok();
}

/// For the panic handler: prints without the lock (the panicking hart may
/// hold it).
pub fn print_unlocked(args: fmt::Arguments) {
    SbiConsole.write_fmt(args).ok();
}

#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::print_fmt(format_args!($($arg)*)) };
}

macro_rules! println {
    () => { $crate::console::print_fmt(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::print_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
