//! A kernel's file table for `signalfd4` ([`SignalFdTable`]): each descriptor free,
//! open on another kind of file, or open on a signalfd; the flags of every signalfd
//! it installs are kept for the tests to check.

use ksignal::Errno;
use ksignal::syscall::SignalFdTable;
use ksignal::{SfdFlags, SignalFd};
use std::sync::Arc;

/// One descriptor: `None` free, `Some(None)` another kind of file, `Some(Some(fd))` a
/// signalfd.
pub type Slot = Option<Option<Arc<SignalFd>>>;

/// The descriptors, lowest first, and the flags of each signalfd installed.
pub struct Files {
    pub slots: Vec<Slot>,
    pub installed: Vec<SfdFlags>,
}

impl Files {
    /// A table of these descriptors, nothing installed yet.
    pub fn new(slots: Vec<Slot>) -> Files {
        Files {
            slots,
            installed: Vec::new(),
        }
    }
}

impl SignalFdTable for Files {
    /// The lowest free descriptor, or EMFILE.
    fn install(&mut self, fd: Arc<SignalFd>, flags: SfdFlags) -> Result<i32, Errno> {
        let free = self
            .slots
            .iter()
            .position(Option::is_none)
            .ok_or(Errno::EMFILE)?;
        self.slots[free] = Some(Some(fd));
        self.installed.push(flags);
        Ok(free as i32)
    }

    /// EBADF for a free or out-of-range descriptor, EINVAL for another kind of file.
    fn lookup(&self, ufd: i32) -> Result<Arc<SignalFd>, Errno> {
        let file = usize::try_from(ufd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(|f| f.as_ref())
            .ok_or(Errno::EBADF)?;
        file.clone().ok_or(Errno::EINVAL)
    }
}
