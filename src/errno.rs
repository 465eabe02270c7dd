//! Error numbers returned to user space, and the kernel-internal restart codes.
//!
//! Every public errno comes from `linux-raw-sys`. The `ERESTART*` codes never reach
//! user space in Linux (the signal path turns them into `EINTR` or a restart), so the
//! UAPI headers do not carry them; they are defined here once, mirroring
//! `include/linux/errno.h`.

use core::fmt;
use linux_raw_sys::errno;

/// A positive Linux error number (`EINVAL` = 22, ...).
///
/// System-call entry points return `-errno`; [`Errno::as_neg_ret`] gives that form.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Errno(u16);

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "` from `linux-raw-sys`.")]
                pub const $name: Errno = Errno(errno::$name as u16);
            )*
        }
        const NAMED: &[(Errno, &str)] = &[$((Errno::$name, stringify!($name))),*];
    };
}

errnos!(
    EPERM, ESRCH, EINTR, EIO, EBADF, EFAULT, EAGAIN, ENOMEM, EINVAL, E2BIG, ENOSYS, ECHILD, EMFILE,
    EOPNOTSUPP
);

impl Errno {
    /// `ERESTARTSYS` (512): restart if the handler has `SA_RESTART`, else `EINTR`.
    /// Mirrors include/linux/errno.h.
    pub const ERESTARTSYS: Errno = Errno(512);
    /// `ERESTARTNOINTR` (513): always restart.
    pub const ERESTARTNOINTR: Errno = Errno(513);
    /// `ERESTARTNOHAND` (514): restart only if no handler runs, else `EINTR`.
    pub const ERESTARTNOHAND: Errno = Errno(514);
    /// `ERESTART_RESTARTBLOCK` (516): restart through `restart_syscall` if no handler
    /// runs, else `EINTR`.
    pub const ERESTART_RESTARTBLOCK: Errno = Errno(516);

    /// Builds an errno from its positive number; `None` for 0 or out-of-range values.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn new(n: i32) -> Option<Errno> {
        if n > 0 && n < 4096 {
            Some(Errno(n as u16))
        } else {
            None
        }
    }

    /// The positive number.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn get(self) -> i32 {
        self.0 as i32
    }

    /// The value a system call returns for this error: `-errno`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn as_neg_ret(self) -> isize {
        -(self.0 as isize)
    }

    /// Whether this is one of the kernel-internal restart codes (512..=516).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn is_restart(self) -> bool {
        matches!(self.0, 512 | 513 | 514 | 516)
    }

    /// The symbolic name (`"EINVAL"`), if this crate knows it.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Errno::ERESTARTSYS => Some("ERESTARTSYS"),
            Errno::ERESTARTNOINTR => Some("ERESTARTNOINTR"),
            Errno::ERESTARTNOHAND => Some("ERESTARTNOHAND"),
            Errno::ERESTART_RESTARTBLOCK => Some("ERESTART_RESTARTBLOCK"),
            _ => NAMED.iter().find(|(e, _)| *e == self).map(|(_, n)| *n),
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_values_match_the_linux_uapi() {
        assert_eq!(Errno::EINVAL.get(), 22);
        assert_eq!(Errno::EAGAIN.get(), 11);
        assert_eq!(Errno::EINVAL.as_neg_ret(), -22);
        assert_eq!(Errno::EPERM.name(), Some("EPERM"));
    }

    #[test]
    fn restart_codes_are_the_kernel_internal_ones() {
        assert!(Errno::ERESTARTSYS.is_restart());
        assert!(Errno::ERESTART_RESTARTBLOCK.is_restart());
        assert!(!Errno::EINTR.is_restart());
        assert!(!Errno::new(515).unwrap().is_restart(), "515 is ENOIOCTLCMD");
    }

    #[test]
    fn errno_new_rejects_zero_and_out_of_range() {
        assert_eq!(Errno::new(0), None);
        assert_eq!(Errno::new(-1), None);
        assert_eq!(Errno::new(4096), None);
        assert_eq!(Errno::new(1), Some(Errno::EPERM));
    }
}
