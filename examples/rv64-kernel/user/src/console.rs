//! `print!`/`println!` on fd 1.
//!
//! A whole `println!` is formatted into one stack buffer and written with a
//! single `write` call, so lines from concurrently running programs do not
//! interleave mid-line (the kernel copies one `write` out atomically).

use core::fmt::{self, Write};

const BUF_LEN: usize = 512;

struct LineBuffer {
    buf: [u8; BUF_LEN],
    len: usize,
}

impl LineBuffer {
    fn flush(&mut self) {
        let mut done = 0;
        while done < self.len {
            let n = crate::sys::write(1, &self.buf[done..self.len]);
            if n <= 0 {
                break;
            }
            done += n as usize;
        }
        self.len = 0;
    }
}

impl Write for LineBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == BUF_LEN {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn print_fmt(args: fmt::Arguments, newline: bool) {
    let mut line = LineBuffer { buf: [0; BUF_LEN], len: 0 };
    let _ = line.write_fmt(args);
    if newline {
        let _ = line.write_str("\n");
    }
    line.flush();
}

/// Prints to standard output (fd 1).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::print_fmt(format_args!($($arg)*), false) };
}

/// Prints a line to standard output (fd 1) with one `write` system call.
#[macro_export]
macro_rules! println {
    () => { $crate::console::print_fmt(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::console::print_fmt(format_args!($($arg)*), true) };
}
