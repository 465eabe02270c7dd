//! `ksignal`: Linux-exact signal semantics for Rust kernels.
//!
//! # Map of the crate
//!
//! Everything a kernel uses is at the crate root, except three namespaces (below).
//! Which type for which job:
//!
//! | Job | Items |
//! |---|---|
//! | Per-process signal state: shared queue, group stop and exit, `kill`-style sends | [`ProcessSignalManager`], [`SendOutcome`], [`Fate`] |
//! | Per-thread state: mask, private queue, `get_signal`, waits, `sigaltstack` | [`ThreadSignalManager`], [`Delivery`], [`HandlerDelivery`], [`MaskHow`], [`JobControl`], [`NoJobControl`] |
//! | ptrace's signal side: signal-delivery stops, group-stop traps, PTRACE_INTERRUPT / PTRACE_LISTEN | [`Tracer`], [`NoTracer`], [`PtraceStopKind`], [`ThreadSignalManager::get_signal_traced`], [`do_signal`] |
//! | The return-to-user path ready made | [`do_signal`], [`rt_sigreturn`], [`UserReturn`], [`KernelFrameInfo`] |
//! | Signal numbers, sets, actions, siginfo | [`Signo`], [`SignalSet`], [`SignalAction`], [`SaFlags`], [`Disposition`], [`SignalActions`], [`SignalInfo`], [`code`] |
//! | Whom a signal is sent to | [`PidType`] |
//! | Queues and their limits | [`PendingSignals`], [`PendingLimit`], [`PutOutcome`] |
//! | Alternate stacks | [`SignalStack`], [`StackT`], [`SsFlags`] |
//! | The exit path's signals: SIGCHLD to the parent, parent death, orphaned process groups | [`notify_parent_exit`], [`notify_parent_cldstop`], [`ChildInfo`], [`send_pdeath_signal`], [`kill_orphaned_pgrp`], [`ProcessGroups`], [`exit_signal_for_parent`] |
//! | Interrupted calls resumed through `restart_syscall` | [`RestartBlock`], [`RestartHandler`], [`nanosleep_interrupted`], [`nanosleep_copyout`] |
//! | The signal side of POSIX timers and itimers | [`PosixTimer`], [`SigEvent`], [`TimerRearm`], [`Itimer`] |
//! | signalfd | [`SignalFd`], [`SfdFlags`], [`SignalfdSiginfo`] |
//! | Observing generation (a poller, a tracer) | [`SignalHooks`], [`HookEvent`], [`Hook`] |
//! | What the kernel provides | [`WaitQueue`] (sleeping), [`UserMemory`] (user copies), a `lock_api::RawMutex` ([`DefaultRawMutex`], or `KspinRawMutex` with the `kspin` feature) |
//! | Errors | [`Errno`] |
//!
//! # The three public modules
//!
//! Only modules that are namespaces a kernel author navigates are public; the others
//! are private and each of their public items is re-exported here, at the root, once.
//!
//! - [`syscall`]: one `sys_*` function per signal system call (raw register values
//!   in, Linux's value or `-errno` out) and the traits and types through which they
//!   see the kernel ([`syscall::TaskTable`], [`syscall::Caller`], ...). Its names
//!   mirror Linux's system calls, so it is kept apart from the managers' API.
//! - [`frame`]: signal frames, generic over the architecture ([`frame::TrapFrame`],
//!   [`frame::setup_rt_frame`], [`frame::restore_rt_frame`],
//!   [`frame::syscall_restart`]), with one submodule per architecture holding its
//!   register file and `rt_sigframe` layout ([`frame::x86_64`], [`frame::aarch64`],
//!   [`frame::riscv64`], [`frame::loongarch64`]).
//! - [`docs`]: documentation only: the numbered rules the code cites
//!   ([`docs::rules`]) and the frame layouts ([`docs::frames`]).
//!
//! # Unsafe code
//!
//! The crate denies `unsafe_code`; the only items allowed to use it are the lock-free
//! [`HalfLock`] (its `Sync` impl, its read and its write) and the IRQ-disabling lock
//! behind the `kspin` feature. Every `unsafe` block there states why it is sound.
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]

extern crate alloc;

mod action;
mod arch;
mod child;
mod chunked;
mod deliver;
pub mod docs;
mod errno;
pub mod frame;
mod halflock;
mod hooks;
mod info;
mod lock;
mod pending;
mod pidtype;
mod process;
mod ptrace;
mod registry;
mod restart;
mod set;
mod signalfd;
mod signo;
mod stack;
mod sync;
pub mod syscall;
mod thread;
pub mod timer;
mod uaccess;
mod wait;

pub use crate::action::{Disposition, SaFlags, SignalAction};
pub use crate::arch::Arch;
pub use crate::child::{
    ChildExit, ChildInfo, ChildStop, ExitNotice, ExitingTask, OrphanCheck, ProcessGroups,
    exit_signal_for_parent, kill_orphaned_pgrp, notify_parent_cldstop, notify_parent_exit,
    send_pdeath_signal,
};
pub use crate::deliver::{KernelFrameInfo, UserReturn, do_signal, rt_sigreturn};
pub use crate::errno::Errno;
pub use crate::halflock::{HalfLock, HalfLockWriter, ReadSection, Readers};
pub use crate::hooks::{Hook, HookError, HookEvent, HookHandle, SignalHooks};
pub use crate::info::{ChildCode, SIGINFO_SIZE, SignalInfo, code};
pub use crate::lock::DefaultRawMutex;
#[cfg(feature = "kspin")]
pub use crate::lock::KspinRawMutex;
pub use crate::pending::{PendingLimit, PendingSignals, PutOutcome};
pub use crate::pidtype::PidType;
pub use crate::process::{Fate, ProcessSignalManager, SendOutcome};
pub use crate::ptrace::{NoTracer, PTRACE_EVENT_STOP, PtraceStopKind, Tracer};
pub use crate::registry::SignalActions;
pub use crate::restart::{
    FutexRestart, NanosleepRestart, PollRestart, RestartBlock, RestartHandler, SleepMode, TimeType,
    nanosleep_copyout, nanosleep_interrupted,
};
pub use crate::set::{Iter as SignalSetIter, SignalSet};
pub use crate::signalfd::{
    SFD_CLOEXEC, SFD_NONBLOCK, SIGNALFD_SIGINFO_SIZE, SfdFlags, SignalFd, SignalfdSiginfo,
};
pub use crate::signo::{DefaultAction, InvalidSigno, NSIG, ParseSignoError, Signo, SignoName};
pub use crate::stack::{SignalStack, SsFlags, StackT};
pub use crate::thread::{
    Delivery, HandlerDelivery, JobControl, MaskHow, NoJobControl, ThreadSignalManager,
};
pub use crate::uaccess::{UserBuffer, UserMemory};
pub use crate::wait::{WaitOutcome, WaitQueue};
pub use timer::{Itimer, PosixTimer, SigEvent, TimerFire, TimerRearm, TimerStatus};
