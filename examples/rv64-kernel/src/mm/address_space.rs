//! A process's address space: its own Sv39 root table, sharing the kernel's
//! mapping, plus the user pages it owns.
//!
//! All user memory is allocated eagerly (no demand paging, no copy-on-write),
//! so "is this user address valid" is simply "is there a U entry for it".

use super::frame::Frame;
use super::page_table::{self, PTE_R, PTE_U, PTE_W, PTE_X};
use super::{PAGE_SIZE, USER_END};
use crate::errno::Errno;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

pub struct AddressSpace {
    root: Frame,
    /// Level-1 and level-0 tables of the user half (the kernel half is shared
    /// and belongs to the kernel root).
    tables: Vec<Frame>,
    /// Page-aligned user address -> the frame mapped there.
    pages: BTreeMap<usize, Frame>,
}

impl AddressSpace {
    /// An address space with only the kernel mapped.
    pub fn new() -> Result<Self, Errno> {
        let root = Frame::alloc().ok_or(Errno::ENOMEM)?;
        // SAFETY: `root` is a fresh table that we own.
        unsafe { page_table::install_kernel_slots(root.pa()) };
        Ok(AddressSpace { root, tables: Vec::new(), pages: BTreeMap::new() })
    }

    /// Makes this the current address space of the hart.
    pub fn activate(&self) {
        page_table::activate(self.root.pa());
    }

    /// Maps zeroed pages over [start, end) (rounded out to pages) with
    /// `flags` (R/W/X) plus U. Pages already mapped keep their contents and
    /// gain the new permissions (two ELF segments may share a page).
    pub fn map_anonymous(&mut self, start: usize, end: usize, flags: u64) -> Result<(), Errno> {
        let start = start / PAGE_SIZE * PAGE_SIZE;
        let end = end.checked_next_multiple_of(PAGE_SIZE).ok_or(Errno::EINVAL)?;
        if start == 0 || end > USER_END || start >= end {
            return Err(Errno::EINVAL);
        }
        let mut flags = flags & (PTE_R | PTE_W | PTE_X);
        if flags & PTE_W != 0 {
            flags |= PTE_R; // W without R is a reserved encoding in Sv39
        }
        for va in (start..end).step_by(PAGE_SIZE) {
            let (pa, old) = match self.pages.get(&va) {
                // SAFETY: our root; `va` is mapped, so the lookup succeeds.
                Some(frame) => (
                    frame.pa(),
                    unsafe { page_table::lookup(self.root.pa(), va) }.map_or(0, |e| e.1),
                ),
                None => {
                    let frame = Frame::alloc().ok_or(Errno::ENOMEM)?;
                    let pa = frame.pa();
                    self.pages.insert(va, frame);
                    (pa, 0)
                }
            };
            let new = (old & (PTE_R | PTE_W | PTE_X)) | flags | PTE_U;
            // SAFETY: our root; `pa` is a frame owned by this address space.
            unsafe { page_table::map(self.root.pa(), va, pa, new, &mut self.tables) }
                .ok_or(Errno::ENOMEM)?;
        }
        Ok(())
    }

    /// The frame address and flags mapped at `va`, if it is a user page.
    pub fn translate(&self, va: usize) -> Option<(usize, u64)> {
        if va >= USER_END {
            return None;
        }
        // SAFETY: our own root table.
        let (pa, flags) = unsafe { page_table::lookup(self.root.pa(), va & !(PAGE_SIZE - 1)) }?;
        (flags & PTE_U != 0).then_some((pa + va % PAGE_SIZE, flags))
    }

    /// True if every byte of [va, va+len) is user memory with all of `need`
    /// (PTE_R and/or PTE_W) permissions.
    pub fn check_range(&self, va: usize, len: usize, need: u64) -> bool {
        let Some(end) = va.checked_add(len) else { return false };
        if end > USER_END {
            return false;
        }
        let mut page = va & !(PAGE_SIZE - 1);
        while page < end {
            match self.translate(page) {
                Some((_, flags)) if flags & need == need => {}
                _ => return false,
            }
            page += PAGE_SIZE;
        }
        true
    }

    /// Writes `data` at user address `va` through the physical frames, so it
    /// works for any address space, current or not (used by the loader and
    /// for fork). Ignores permissions (the loader fills read-only text).
    pub fn write_bytes(&mut self, va: usize, data: &[u8]) -> Result<(), Errno> {
        let mut done = 0;
        while done < data.len() {
            let addr = va + done;
            let offset = addr % PAGE_SIZE;
            let chunk = (PAGE_SIZE - offset).min(data.len() - done);
            let frame = self.pages.get_mut(&(addr - offset)).ok_or(Errno::EFAULT)?;
            frame.bytes_mut()[offset..offset + chunk].copy_from_slice(&data[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }

    /// A copy of this address space (fork): same layout and permissions,
    /// fresh frames with the same contents.
    pub fn fork(&self) -> Result<AddressSpace, Errno> {
        let mut child = AddressSpace::new()?;
        for (&va, frame) in &self.pages {
            let flags = self.translate(va).map_or(0, |e| e.1);
            child.map_anonymous(va, va + PAGE_SIZE, flags)?;
            // SAFETY: the parent frame is identity mapped and not written
            // during this copy (the parent is in the kernel, inside fork).
            let src = unsafe { &*(frame.pa() as *const [u8; PAGE_SIZE]) };
            child.write_bytes(va, src)?;
        }
        Ok(child)
    }
}
