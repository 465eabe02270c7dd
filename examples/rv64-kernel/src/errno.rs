//! Linux errno values (the same numbers ksignal gets from linux-raw-sys).
//!
//! System calls return `Result<usize, Errno>`; the dispatcher turns an error
//! into the negative value the user sees in a0.

/// A positive Linux error number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

#[allow(dead_code)] // the full set; not every one is used by name
impl Errno {
    pub const EPERM: Errno = Errno(1);
    pub const ESRCH: Errno = Errno(3);
    pub const EINTR: Errno = Errno(4);
    pub const EIO: Errno = Errno(5);
    pub const EBADF: Errno = Errno(9);
    pub const ECHILD: Errno = Errno(10);
    pub const EAGAIN: Errno = Errno(11);
    pub const ENOMEM: Errno = Errno(12);
    pub const EFAULT: Errno = Errno(14);
    pub const EINVAL: Errno = Errno(22);
    pub const EMFILE: Errno = Errno(24);
    pub const ENOSYS: Errno = Errno(38);
    pub const EOPNOTSUPP: Errno = Errno(95);
    /// Kernel-internal "restart codes": never visible to user space. A
    /// blocking syscall interrupted by a signal returns one of these, and the
    /// return-to-user path (see `signal.rs`) turns it into either EINTR or a
    /// transparent restart of the syscall, depending on the signal action.
    pub const ERESTARTSYS: Errno = Errno(512);
    pub const ERESTARTNOINTR: Errno = Errno(513);
    pub const ERESTARTNOHAND: Errno = Errno(514);
    pub const ERESTART_RESTARTBLOCK: Errno = Errno(516);
}

/// The result type of every system call handler.
pub type SysResult = Result<usize, Errno>;
