//! `ksignal`: Linux-exact signal semantics for Rust kernels.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

pub mod action;
pub mod arch;
pub mod errno;
pub mod frame;
pub mod set;
pub mod signo;
pub mod stack;
pub mod uaccess;

pub use action::{Disposition, SaFlags, SignalAction};
pub use arch::Arch;
pub use errno::Errno;
pub use frame::{
    ArchFrame, BadFrame, FaultInfo, ForceSigsegv, FpHook, FrameError, FrameRequest, HandlerFrame,
    NoFp, RestartOutcome, Sigreturn, TrapFrame, rt_sigreturn, setup_rt_frame, syscall_restart,
};
pub use set::SignalSet;
pub use signo::{DefaultAction, Signo};
pub use stack::{SignalStack, SsFlags, StackT};
pub use uaccess::{UserBuffer, UserMemory};
