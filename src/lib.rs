//! `ksignal`: Linux-exact signal semantics for Rust kernels.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

pub mod action;
pub mod arch;
pub mod errno;
pub mod set;
pub mod signo;
pub mod stack;
pub mod uaccess;

pub use action::{Disposition, SaFlags, SignalAction};
pub use arch::Arch;
pub use errno::Errno;
pub use set::SignalSet;
pub use signo::{DefaultAction, Signo};
pub use stack::{SignalStack, SsFlags, StackT};
pub use uaccess::{UserBuffer, UserMemory};
