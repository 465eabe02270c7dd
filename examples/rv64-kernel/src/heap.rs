//! The kernel heap: a segregated free-list allocator.
//!
//! Every request is rounded up to a power-of-two "size class" (16 B .. 1 MiB).
//! Each class has a free list threaded through the free blocks themselves;
//! a class with an empty list takes a fresh block from a bump pointer over a
//! static arena. Freed blocks go back to their class list and are reused for
//! the same class only. Wasteful (up to 2x) but short and obviously correct,
//! which is what a teaching kernel wants.

use crate::sync::Mutex;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

const HEAP_SIZE: usize = 16 * 1024 * 1024;
const MIN_CLASS_SHIFT: usize = 4; // 16 bytes: room for the free-list link
const MAX_CLASS_SHIFT: usize = 20; // 1 MiB
const NUM_CLASSES: usize = MAX_CLASS_SHIFT - MIN_CLASS_SHIFT + 1;
const PAGE_SIZE: usize = 4096;

#[repr(C, align(4096))]
struct Arena(UnsafeCell<[u8; HEAP_SIZE]>);

// SAFETY: the arena is only reached through `HEAP`'s mutex.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; HEAP_SIZE]));

struct Heap {
    /// Next never-used byte of the arena (an address), 0 before `init`.
    bump: usize,
    end: usize,
    /// Head of each class's free list (address of a free block, 0 = empty).
    free: [usize; NUM_CLASSES],
}

struct LockedHeap(Mutex<Heap>);

#[global_allocator]
static HEAP: LockedHeap = LockedHeap(Mutex::new(Heap { bump: 0, end: 0, free: [0; NUM_CLASSES] }));

pub fn init() {
    let mut heap = HEAP.0.lock();
    heap.bump = ARENA.0.get() as usize;
    heap.end = heap.bump + HEAP_SIZE;
}

/// The class index and block size for a layout, or None if too large.
fn class_of(layout: Layout) -> Option<(usize, usize)> {
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS_SHIFT);
    let block = size.checked_next_power_of_two()?;
    let shift = block.trailing_zeros() as usize;
    (shift <= MAX_CLASS_SHIFT).then_some((shift - MIN_CLASS_SHIFT, block))
}

// SAFETY: `alloc` returns blocks of at least `layout.size()` bytes aligned to
// `layout.align()` (blocks are aligned to their class size, capped at a page,
// and alignments above a page are refused), never hands out a block twice
// while it is allocated, and `dealloc` only accepts blocks from `alloc`.
unsafe impl GlobalAlloc for LockedHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > PAGE_SIZE {
            return ptr::null_mut();
        }
        let Some((class, block)) = class_of(layout) else { return ptr::null_mut() };
        let mut heap = self.0.lock();
        let head = heap.free[class];
        if head != 0 {
            // SAFETY: `head` is a free block of this class; its first word
            // holds the next link, written by `dealloc`.
            heap.free[class] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        let start = heap.bump.next_multiple_of(block.min(PAGE_SIZE));
        if start + block > heap.end {
            return ptr::null_mut();
        }
        heap.bump = start + block;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some((class, _)) = class_of(layout) else { return };
        let mut heap = self.0.lock();
        // SAFETY: `ptr` came from `alloc` with this layout, so it is a block of
        // this class (>= 16 bytes, 8-aligned) that nobody uses any more.
        unsafe { *(ptr as *mut usize) = heap.free[class] };
        heap.free[class] = ptr as usize;
    }
}
