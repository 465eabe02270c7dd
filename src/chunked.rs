//! [`Chunked`]: a table indexed by `u32` that grows by fixed-size chunks.
//!
//! A process's thread table must grow without a doubling `Vec`'s costs: the
//! doubling leaves up to half of a large table unused, and its reallocation copies
//! the whole table while the signal lock is held. Here every chunk but the first
//! holds exactly [`CHUNK`] entries and is never reallocated; the first grows as a
//! `Vec` does, up to [`CHUNK`], so a single-threaded process pays for one entry,
//! not for a chunk. Growth is fallible (`try_reserve`), never a panic.

use crate::errno::Errno;
use alloc::vec::Vec;
use core::ops::{Index, IndexMut};

/// Entries per chunk (a power of two, so an index splits with a shift and a mask).
pub(crate) const CHUNK: usize = 64;
const SHIFT: u32 = CHUNK.trailing_zeros();

/// The table. Entries are only added at the end; freeing is the caller's (it keeps
/// its own free list in the entries).
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Chunked<T> {
    /// An empty table; allocates nothing.
    pub(crate) const fn new() -> Chunked<T> {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// Appends `value` and returns its index; ENOMEM (with the table unchanged) if
    /// the memory for it cannot be had.
    ///
    /// Context: process context: it may call the allocator.
    pub(crate) fn try_push(&mut self, value: T) -> Result<u32, Errno> {
        let index = u32::try_from(self.len).map_err(|_| Errno::ENOMEM)?;
        let (chunk, _) = split(self.len);
        if chunk == self.chunks.len() {
            // A one-chunk table (most processes have one thread) lists one chunk.
            let listed = if chunk == 0 {
                self.chunks.try_reserve_exact(1)
            } else {
                self.chunks.try_reserve(1)
            };
            listed.map_err(|_| Errno::ENOMEM)?;
            let mut c = Vec::new();
            // The first chunk starts small; the others are sized once, exactly.
            let first = if chunk == 0 { 1 } else { CHUNK };
            c.try_reserve_exact(first).map_err(|_| Errno::ENOMEM)?;
            self.chunks.push(c);
        }
        let c = &mut self.chunks[chunk];
        if c.len() == c.capacity() {
            // Only the first chunk gets here (the others have room for `CHUNK`).
            let more = c.len().min(CHUNK - c.len());
            c.try_reserve_exact(more).map_err(|_| Errno::ENOMEM)?;
        }
        c.push(value);
        self.len += 1;
        Ok(index)
    }

    /// Every entry, in index order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flat_map(|c| c.iter_mut())
    }

    /// Every entry, in index order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// Heap bytes held (entries and the chunk list).
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * core::mem::size_of::<Vec<T>>()
            + self
                .chunks
                .iter()
                .map(|c| c.capacity() * core::mem::size_of::<T>())
                .sum::<usize>()
    }
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked::new()
    }
}

#[inline(always)]
fn split(index: usize) -> (usize, usize) {
    (index >> SHIFT, index & (CHUNK - 1))
}

impl<T> Index<u32> for Chunked<T> {
    type Output = T;

    #[inline(always)]
    fn index(&self, index: u32) -> &T {
        let (c, i) = split(index as usize);
        &self.chunks[c][i]
    }
}

impl<T> IndexMut<u32> for Chunked<T> {
    #[inline(always)]
    fn index_mut(&mut self, index: u32) -> &mut T {
        let (c, i) = split(index as usize);
        &mut self.chunks[c][i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_their_index_across_chunks() {
        let mut t = Chunked::new();
        for i in 0..(3 * CHUNK as u32 + 5) {
            assert_eq!(t.try_push(i * 7), Ok(i));
        }
        for i in 0..(3 * CHUNK as u32 + 5) {
            assert_eq!(t[i], i * 7);
        }
        assert_eq!(t.iter().count(), 3 * CHUNK + 5);
        t[70] = 1;
        assert_eq!(t[70], 1);
    }

    #[test]
    fn a_one_entry_table_holds_one_entry_and_later_chunks_are_exact() {
        let mut t = Chunked::new();
        t.try_push(1u64).unwrap();
        let one = t.heap_bytes();
        assert_eq!(one, core::mem::size_of::<Vec<u64>>() + 8);
        for i in 1..(2 * CHUNK as u64 + 1) {
            t.try_push(i).unwrap();
        }
        // Two full chunks and one for the last entry: 3 * CHUNK entries' room.
        let entries = t.heap_bytes() - t.chunks.capacity() * core::mem::size_of::<Vec<u64>>();
        assert_eq!(entries, 3 * CHUNK * 8);
    }
}
