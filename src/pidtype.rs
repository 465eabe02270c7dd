//! [`PidType`]: whom a signal is sent to, after Linux's `enum pid_type`.

/// Whom a signal is sent to: one thread, its whole process, a process group, or every
/// process. Named after Linux's `enum pid_type`, which the senders in kernel/signal.c
/// pass down to `send_signal_locked` to choose the queue; each variant says which
/// `PIDTYPE_*` it stands for and where the crate uses it.
///
/// The rule Linux applies, and the crate with it: only [`PidType::Pid`] queues on the
/// thread's private queue (and makes a `kill`-style siginfo `SI_TKILL`); every other
/// type queues on the process's shared queue (`SI_USER`).
///
/// Used by the system calls' senders (`kill`, `tgkill`, `pidfd_send_signal`), by
/// [`TaskTable::for_each_process`](crate::syscall::TaskTable::for_each_process) (which
/// processes a `kill` with `pid <= 0` reaches) and by [`HookEvent::target`](crate::HookEvent::target)
/// (thread- or process-directed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PidType {
    /// `PIDTYPE_PID`: one thread, its private queue (`tkill`, `tgkill`, a fault,
    /// `pthread_kill`, a thread pidfd or `PIDFD_SIGNAL_THREAD`). In a [`HookEvent`](crate::HookEvent):
    /// a thread-directed signal.
    Pid,
    /// `PIDTYPE_TGID`: the thread group, its shared queue (`kill(pid > 0)`,
    /// `sigqueue`, a process pidfd or `PIDFD_SIGNAL_THREAD_GROUP`). In a
    /// [`HookEvent`](crate::HookEvent): a process-directed signal, however the
    /// sender named the process (by pid, group or `kill(-1)`).
    Tgid,
    /// `PIDTYPE_PGID`: every process of a process group, each on its shared queue
    /// (`kill(0)`, `kill(-pgid)`, `PIDFD_SIGNAL_PROCESS_GROUP`). For
    /// [`TaskTable::for_each_process`](crate::syscall::TaskTable::for_each_process):
    /// the members of the group whose id it is given.
    Pgid,
    /// `PIDTYPE_MAX` as `kill(-1)` passes it: every process, each on its shared queue
    /// (the system call leaves out pid 1 and the caller's own process, as Linux does).
    /// For [`TaskTable::for_each_process`](crate::syscall::TaskTable::for_each_process):
    /// every process.
    Max,
}

impl PidType {
    /// Whether a signal sent with this type goes to the process's shared queue
    /// (Linux's `type != PIDTYPE_PID` in `send_signal_locked`).
    ///
    /// Context: any, interrupt context included: a pure function (no lock, no
    /// allocation).
    pub const fn is_shared(self) -> bool {
        !matches!(self, PidType::Pid)
    }
}
