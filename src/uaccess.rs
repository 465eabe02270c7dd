//! User-memory access: the one door through which this crate touches user space.
//!
//! The kernel implements [`UserMemory`] with its fault-checked copy routines
//! (`copy_to_user` / `copy_from_user`). Nothing in this crate dereferences a user
//! address: a signal frame is built in a kernel buffer and copied out, and parsed
//! from a kernel copy, so a hostile frame can only ever produce `EFAULT` or a
//! rejected value, never a kernel fault.
//!
//! [`UserBuffer`] is a byte-array-backed implementation for host tests (and for
//! kernels' own tests).

use crate::errno::Errno;
use alloc::vec;
use alloc::vec::Vec;

/// Fault-checked access to the current task's user address space.
///
/// Both calls copy all of `buf` or fail with `EFAULT` (a partial copy may have
/// happened, as with Linux's `copy_to_user`; callers treat the destination as
/// garbage then). Addresses are plain numbers chosen by user space: implementations
/// must check the whole range `[addr, addr + len)`, including its overflow.
///
/// Context: the crate calls these in process context, on the task whose memory it
/// is, with no lock of this crate held, so an implementation may fault pages in and
/// sleep.
pub trait UserMemory {
    /// Copies `buf.len()` bytes from user address `addr` into `buf`.
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno>;
    /// Copies `buf` to user address `addr`.
    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno>;

    /// Linux's `find_vma(mm, addr) != NULL`: whether some mapping of the address
    /// space ends above `addr` (it contains `addr`, or lies anywhere above it).
    ///
    /// Linux asks this only to choose the `si_code` of the SIGSEGV that a bad
    /// aarch64 `rt_sigreturn` raises (`arm64_notify_segfault`): `SEGV_ACCERR` when
    /// it holds, `SEGV_MAPERR` when nothing is mapped at or above `addr`. So an
    /// unmapped hole *below* a mapping (a garbage stack pointer under the program's
    /// text, the guard gap under the stack) answers true.
    ///
    /// The default reads one byte at `addr`: a readable address is mapped, and then
    /// the answer (true) is exact. An unreadable one answers false, which is right
    /// only above the highest mapping; a kernel that keeps a list of its mappings
    /// should answer from it. Called in process context, on the delivery path: it
    /// must not sleep or allocate.
    fn maps_at_or_above(&self, addr: usize) -> bool {
        let mut byte = [0u8; 1];
        self.read(addr, &mut byte).is_ok()
    }
}

impl<M: UserMemory + ?Sized> UserMemory for &mut M {
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        (**self).read(addr, buf)
    }
    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno> {
        (**self).write(addr, buf)
    }
    fn maps_at_or_above(&self, addr: usize) -> bool {
        (**self).maps_at_or_above(addr)
    }
}

/// User memory made of byte regions at chosen base addresses; everything else
/// faults. An access must lie within one region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserBuffer {
    regions: Vec<(usize, Vec<u8>)>,
}

impl UserBuffer {
    /// No mapped memory at all.
    ///
    /// Context: any; allocates nothing.
    pub const fn new() -> UserBuffer {
        UserBuffer {
            regions: Vec::new(),
        }
    }

    /// Adds a zero-filled region `[base, base + len)`. A region that would wrap the
    /// address space is clipped at the top.
    ///
    /// Context: process context: it allocates the region.
    pub fn with_region(mut self, base: usize, len: usize) -> UserBuffer {
        let len = len.min(usize::MAX - base);
        self.regions.push((base, vec![0; len]));
        self
    }

    /// The region bytes `[addr, addr + len)`, if mapped.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn bytes(&self, addr: usize, len: usize) -> Option<&[u8]> {
        self.regions.iter().find_map(|(base, mem)| {
            let off = addr.checked_sub(*base)?;
            mem.get(off..)?.get(..len)
        })
    }

    fn bytes_mut(&mut self, addr: usize, len: usize) -> Option<&mut [u8]> {
        self.regions.iter_mut().find_map(|(base, mem)| {
            let off = addr.checked_sub(*base)?;
            mem.get_mut(off..)?.get_mut(..len)
        })
    }
}

impl UserMemory for UserBuffer {
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        let src = self.bytes(addr, buf.len()).ok_or(Errno::EFAULT)?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno> {
        let dst = self.bytes_mut(addr, buf.len()).ok_or(Errno::EFAULT)?;
        dst.copy_from_slice(buf);
        Ok(())
    }

    /// Exact: some non-empty region ends above `addr` (`find_vma`).
    fn maps_at_or_above(&self, addr: usize) -> bool {
        self.regions
            .iter()
            .any(|(base, mem)| !mem.is_empty() && base.saturating_add(mem.len()) > addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_buffer_faults_outside_its_regions() {
        let mut m = UserBuffer::new()
            .with_region(0x1000, 0x100)
            .with_region(0x8000, 0x10);
        assert!(m.write(0x1000, &[1, 2, 3]).is_ok());
        let mut b = [0u8; 3];
        assert!(m.read(0x1000, &mut b).is_ok());
        assert_eq!(b, [1, 2, 3]);
        assert_eq!(m.read(0xfff, &mut b), Err(Errno::EFAULT));
        assert_eq!(m.read(0x10fe, &mut b), Err(Errno::EFAULT));
        assert_eq!(m.write(usize::MAX - 1, &b), Err(Errno::EFAULT));
        assert!(m.write(0x800d, &b).is_ok());
        assert_eq!(m.write(0x800e, &b), Err(Errno::EFAULT));
        let top = UserBuffer::new().with_region(usize::MAX - 4, 100);
        assert_eq!(top.bytes(usize::MAX - 4, 4).map(<[u8]>::len), Some(4));
    }

    #[test]
    fn maps_at_or_above_is_find_vma() {
        let m = UserBuffer::new()
            .with_region(0x1000, 0x100)
            .with_region(0x8000, 0x10);
        assert!(m.maps_at_or_above(0), "below every region: the first one");
        assert!(m.maps_at_or_above(0x2000), "a hole below a region");
        assert!(m.maps_at_or_above(0x800f));
        assert!(!m.maps_at_or_above(0x8010), "above the last region");
        struct Probe(UserBuffer);
        impl UserMemory for Probe {
            fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
                self.0.read(addr, buf)
            }
            fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno> {
                self.0.write(addr, buf)
            }
        }
        let p = Probe(m);
        assert!(p.maps_at_or_above(0x1000), "default: a readable byte");
        assert!(!p.maps_at_or_above(0x2000), "default: unreadable");
    }
}
