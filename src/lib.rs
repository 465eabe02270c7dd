//! `ksignal`: Linux-exact signal semantics for Rust kernels.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

pub mod action;
pub mod arch;
pub mod errno;
pub mod halflock;
pub mod hooks;
pub mod registry;
pub mod set;
pub mod signo;
mod sync;

pub use action::{Disposition, SaFlags, SignalAction};
pub use arch::Arch;
pub use errno::Errno;
pub use hooks::{HookEvent, HookHandle, HookTarget, SignalHooks};
pub use registry::SignalActions;
pub use set::SignalSet;
pub use signo::{DefaultAction, Signo};
