//! `ksignal`: Linux-exact signal semantics for Rust kernels.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

pub mod action;
pub mod arch;
pub mod child;
pub mod deliver;
pub mod docs;
pub mod errno;
pub mod frame;
pub mod halflock;
pub mod hooks;
pub mod info;
pub mod lock;
pub mod pending;
pub mod process;
pub mod ptrace;
pub mod registry;
pub mod set;
pub mod signalfd;
pub mod signo;
pub mod stack;
mod sync;
pub mod syscall;
pub mod thread;
pub mod uaccess;
pub mod wait;

pub use action::{Disposition, SaFlags, SignalAction};
pub use arch::Arch;
pub use deliver::{
    KernelFrameInfo, UserReturn, do_signal, do_signal_traced, do_signal_with, sigreturn,
};
pub use errno::Errno;
pub use frame::{
    ArchFrame, BadFrame, FaultInfo, ForceSigsegv, FpHook, FrameError, FrameRequest, HandlerFrame,
    NoFp, RestartOutcome, Sigreturn, TrapFrame, rt_sigreturn, setup_rt_frame, syscall_restart,
};
pub use hooks::{HookEvent, HookHandle, HookTarget, SignalHooks};
pub use info::SignalInfo;
pub use pending::{PendingLimit, PendingSignals, PutOutcome};
pub use process::{Fate, ProcessSignalManager, SendOutcome};
pub use ptrace::{NoTracer, PtraceStopKind, Tracer};
pub use registry::SignalActions;
pub use set::SignalSet;
pub use signalfd::{SfdFlags, SignalFd, SignalfdSiginfo};
pub use signo::{DefaultAction, Signo};
pub use stack::{SignalStack, SsFlags, StackT};
pub use thread::{
    Delivery, HandlerDelivery, JobControl, MaskHow, NoJobControl, ThreadSignalManager,
};
pub use uaccess::{UserBuffer, UserMemory};
pub use wait::{WaitOutcome, WaitQueue};
