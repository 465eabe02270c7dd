//! User-memory access: the one door through which this crate touches user space.
//!
//! The kernel implements [`UserMemory`] with its fault-checked copy routines
//! (`copy_to_user` / `copy_from_user`). Nothing in this crate dereferences a user
//! address: the system-call layer copies arguments into kernel buffers and results
//! out of them, so a hostile pointer can only ever produce `EFAULT`, never a kernel
//! fault.

use crate::errno::Errno;

/// Fault-checked access to the current task's user address space.
///
/// Both calls copy all of `buf` or fail with `EFAULT` (a partial copy may have
/// happened, as with Linux's `copy_to_user`; callers treat the destination as
/// garbage then). Addresses are plain numbers chosen by user space: implementations
/// must check the whole range `[addr, addr + len)`, including its overflow. The
/// crate never calls them with an empty `buf`.
pub trait UserMemory {
    /// Copies `buf.len()` bytes from user address `addr` into `buf`.
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno>;
    /// Copies `buf` to user address `addr`.
    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno>;
}

impl<M: UserMemory + ?Sized> UserMemory for &mut M {
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        (**self).read(addr, buf)
    }
    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno> {
        (**self).write(addr, buf)
    }
}
