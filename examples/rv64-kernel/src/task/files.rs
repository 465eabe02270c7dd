//! A process's open files beyond the console. Descriptors 0, 1 and 2 are
//! the console (`syscall::fs`) and always open; from 3 up the table holds
//! signalfds (ksignal's `SignalFd`), the only other kind of file here.
//!
//! Threads share their process's table (CLONE_FILES, which every thread
//! clone implies here); fork gives the child a copy that shares the open
//! files (the `Arc<SignalFd>`s), as Linux's `dup_fd` does. There is no
//! execve, so SFD_CLOEXEC is accepted and has nothing to act on.

use crate::errno::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use ksignal::SignalFd;

/// The first descriptor the table hands out.
pub const FIRST_FD: usize = 3;
/// Descriptors per process (this kernel's RLIMIT_NOFILE).
pub const MAX_FDS: usize = 64;

/// An open signalfd: the shared file and its descriptor's flags.
#[derive(Clone)]
pub struct OpenFile {
    pub signalfd: Arc<SignalFd>,
    /// O_NONBLOCK (SFD_NONBLOCK at creation).
    pub nonblock: bool,
}

/// Slot `i` is descriptor `FIRST_FD + i`.
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<OpenFile>>,
}

impl FdTable {
    pub const fn new() -> FdTable {
        FdTable { slots: Vec::new() }
    }

    /// Installs `file` at the lowest free descriptor: EMFILE past
    /// `MAX_FDS`, ENOMEM if the table cannot grow.
    pub fn install(&mut self, file: OpenFile) -> Result<usize, Errno> {
        if let Some(i) = self.slots.iter().position(Option::is_none) {
            self.slots[i] = Some(file);
            return Ok(FIRST_FD + i);
        }
        if FIRST_FD + self.slots.len() >= MAX_FDS {
            return Err(Errno::EMFILE);
        }
        self.slots.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        self.slots.push(Some(file));
        Ok(FIRST_FD + self.slots.len() - 1)
    }

    /// The file open at `fd`, if any (never one of the console's).
    pub fn get(&self, fd: usize) -> Option<&OpenFile> {
        self.slots.get(fd.checked_sub(FIRST_FD)?)?.as_ref()
    }

    /// close(fd): EBADF if nothing of this table is open there.
    pub fn close(&mut self, fd: usize) -> Result<(), Errno> {
        let slot =
            fd.checked_sub(FIRST_FD).and_then(|i| self.slots.get_mut(i)).ok_or(Errno::EBADF)?;
        slot.take().map(drop).ok_or(Errno::EBADF)
    }
}
