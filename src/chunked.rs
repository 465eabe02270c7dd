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
///
/// The first chunk sits apart from the others, so that a lookup in it (every
/// thread of a process with up to [`CHUNK`] threads) is one comparison with its
/// length: the signal paths look a slot up several times per signal.
pub(crate) struct Chunked<T> {
    first: Vec<T>,
    /// Chunks 1, 2, …: each is allocated with room for exactly [`CHUNK`] entries.
    rest: Vec<Vec<T>>,
}

impl<T> Chunked<T> {
    /// An empty table; allocates nothing.
    pub(crate) const fn new() -> Chunked<T> {
        Chunked {
            first: Vec::new(),
            rest: Vec::new(),
        }
    }

    /// Appends `value` and returns its index; ENOMEM (with the table unchanged) if
    /// the memory for it cannot be had.
    ///
    /// Context: process context: it may call the allocator.
    pub(crate) fn try_push(&mut self, value: T) -> Result<u32, Errno> {
        let len = self.len();
        let index = u32::try_from(len).map_err(|_| Errno::ENOMEM)?;
        if len < CHUNK {
            // The first chunk grows as a `Vec` does, up to `CHUNK` (most processes
            // have one thread: one entry, not a chunk).
            if self.first.len() == self.first.capacity() {
                let more = self.first.len().clamp(1, CHUNK - self.first.len());
                self.first
                    .try_reserve_exact(more)
                    .map_err(|_| Errno::ENOMEM)?;
            }
            self.first.push(value);
            return Ok(index);
        }
        let (chunk, _) = split(len);
        if chunk > self.rest.len() {
            self.rest.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            let mut c = Vec::new();
            c.try_reserve_exact(CHUNK).map_err(|_| Errno::ENOMEM)?;
            self.rest.push(c);
        }
        self.rest[chunk - 1].push(value);
        Ok(index)
    }

    /// The number of entries.
    fn len(&self) -> usize {
        match self.rest.last() {
            Some(last) => CHUNK * self.rest.len() + last.len(),
            None => self.first.len(),
        }
    }

    /// An entry past the first chunk (the second half of indexing).
    #[inline]
    fn rest_at(&self, index: usize) -> &T {
        let (c, i) = split(index);
        &self.rest[c - 1][i]
    }

    /// [`Chunked::rest_at`], for a change.
    #[inline]
    fn rest_at_mut(&mut self, index: usize) -> &mut T {
        let (c, i) = split(index);
        &mut self.rest[c - 1][i]
    }

    /// Every entry, in index order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.first
            .iter_mut()
            .chain(self.rest.iter_mut().flat_map(|c| c.iter_mut()))
    }

    /// Every entry, in index order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.first
            .iter()
            .chain(self.rest.iter().flat_map(|c| c.iter()))
    }

    /// Heap bytes held (entries and the chunk list).
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.rest.capacity() * core::mem::size_of::<Vec<T>>()
            + self.first.capacity() * core::mem::size_of::<T>()
            + self
                .rest
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
        match self.first.get(index as usize) {
            Some(entry) => entry,
            None => self.rest_at(index as usize),
        }
    }
}

impl<T> IndexMut<u32> for Chunked<T> {
    #[inline(always)]
    fn index_mut(&mut self, index: u32) -> &mut T {
        if (index as usize) < self.first.len() {
            return &mut self.first[index as usize];
        }
        self.rest_at_mut(index as usize)
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
        t[3] = 2;
        assert_eq!((t[70], t[3]), (1, 2));
    }

    #[test]
    fn a_one_entry_table_holds_one_entry_and_later_chunks_are_exact() {
        let mut t = Chunked::new();
        t.try_push(1u64).unwrap();
        let one = t.heap_bytes();
        // No chunk list: the first chunk is the table's own field.
        assert_eq!(one, 8);
        for i in 1..(2 * CHUNK as u64 + 1) {
            t.try_push(i).unwrap();
        }
        // Two full chunks and one for the last entry: 3 * CHUNK entries' room.
        let entries = t.heap_bytes() - t.rest.capacity() * core::mem::size_of::<Vec<u64>>();
        assert_eq!(entries, 3 * CHUNK * 8);
    }
}
