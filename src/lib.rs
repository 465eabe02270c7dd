//! `ksignal`: Linux-exact signal semantics for Rust kernels.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

pub mod action;
pub mod arch;
pub mod errno;
pub mod info;
pub mod pending;
pub mod set;
pub mod signo;

pub use action::{Disposition, SaFlags, SignalAction};
pub use arch::Arch;
pub use errno::Errno;
pub use info::SignalInfo;
pub use pending::{PendingLimit, PendingSignals, PutOutcome};
pub use set::SignalSet;
pub use signo::{DefaultAction, Signo};
