//! Physical page frames: the RAM between the end of the kernel image and
//! `MEMORY_END`, handed out one 4 KiB page at a time.
//!
//! Never-used frames come from a bump pointer; freed frames go on a free list
//! threaded through the frames themselves (the first word of a free frame
//! holds the address of the next one). RAM is identity mapped, so a physical
//! address can be used directly as a pointer.

use super::{MEMORY_END, PAGE_SIZE};
use crate::sync::Mutex;

struct FrameAllocator {
    next: usize,
    end: usize,
    free_list: usize,
    in_use: usize,
}

static FRAMES: Mutex<FrameAllocator> =
    Mutex::new(FrameAllocator { next: 0, end: 0, free_list: 0, in_use: 0 });

unsafe extern "C" {
    static ekernel: u8;
}

pub fn init() {
    let start = (&raw const ekernel as usize).next_multiple_of(PAGE_SIZE);
    let mut frames = FRAMES.lock();
    frames.next = start;
    frames.end = MEMORY_END;
    println!("[kernel] {} KiB of free frames from {start:#x}", (MEMORY_END - start) / 1024);
}

/// An owned, zero-initialised physical page; freed when dropped.
#[derive(Debug)]
pub struct Frame {
    pa: usize,
}

impl Frame {
    /// Allocates a zeroed frame, or None when RAM is exhausted.
    pub fn alloc() -> Option<Frame> {
        let pa = {
            let mut frames = FRAMES.lock();
            let pa = if frames.free_list != 0 {
                let pa = frames.free_list;
                // SAFETY: a free frame's first word is the free-list link.
                frames.free_list = unsafe { *(pa as *const usize) };
                pa
            } else if frames.next < frames.end {
                frames.next += PAGE_SIZE;
                frames.next - PAGE_SIZE
            } else {
                return None;
            };
            frames.in_use += 1;
            pa
        };
        // SAFETY: the frame is RAM that we now own exclusively.
        unsafe { core::ptr::write_bytes(pa as *mut u8, 0, PAGE_SIZE) };
        Some(Frame { pa })
    }

    /// The physical (= kernel virtual) address of the frame.
    pub fn pa(&self) -> usize {
        self.pa
    }

    /// The frame's contents.
    pub fn bytes_mut(&mut self) -> &mut [u8; PAGE_SIZE] {
        // SAFETY: we own the frame exclusively and it is identity mapped.
        unsafe { &mut *(self.pa as *mut [u8; PAGE_SIZE]) }
    }

    /// Keeps the frame allocated forever (kernel page tables).
    pub fn leak(self) -> usize {
        let pa = self.pa;
        core::mem::forget(self);
        pa
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        let mut frames = FRAMES.lock();
        // SAFETY: we own the frame; it becomes the new free-list head.
        unsafe { *(self.pa as *mut usize) = frames.free_list };
        frames.free_list = self.pa;
        frames.in_use -= 1;
    }
}

/// Frames currently allocated (for leak checks at shutdown).
pub fn frames_in_use() -> usize {
    FRAMES.lock().in_use
}
