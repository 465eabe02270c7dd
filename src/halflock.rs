//! [`HalfLock`] and what it is built from; the design notes are on [`HalfLock`].

use crate::sync::{AtomicUsize, Ordering, UnsafeCell, fence, spin_loop};
use lock_api::RawMutex;

use crate::lock::DefaultRawMutex;

/// The grace-period core of a HalfLock: two reader counters and a steering word.
///
/// See [`HalfLock`] for the ordering argument and the rules a
/// caller must keep (short, non-blocking read sections; no writer inside one).
pub struct Readers {
    /// New readers announce on `active[steer & 1]`.
    steer: AtomicUsize,
    /// Readers currently inside a section, per side.
    active: [AtomicUsize; 2],
}

/// A reader's announcement; leaving happens on drop.
#[must_use = "the read section ends when this is dropped"]
pub struct ReadSection<'a> {
    readers: &'a Readers,
    side: usize,
}

impl Default for Readers {
    fn default() -> Readers {
        Readers::new()
    }
}

impl Readers {
    /// No reader inside.
    ///
    /// Context: any; allocates nothing.
    pub fn new() -> Readers {
        Readers {
            steer: AtomicUsize::new(0),
            active: [AtomicUsize::new(0), AtomicUsize::new(0)],
        }
    }

    /// Announces a reader (R1, R2). Wait-free and allocation-free; loads made while
    /// the returned section lives see either the version a concurrent
    /// [`Readers::synchronize`] is waiting to retire, with that writer waiting for this
    /// section, or a newer one.
    ///
    /// Context: any, interrupt context included; wait-free, never allocates.
    #[inline]
    pub fn enter(&self) -> ReadSection<'_> {
        let side = self.steer.load(Ordering::Relaxed) & 1;
        self.active[side].fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        ReadSection {
            readers: self,
            side,
        }
    }

    /// Waits until every reader that could have loaded what the caller unpublished
    /// before this call has left (W2, W3). Call it after the publishing store, never
    /// from inside a read section.
    ///
    /// Context: the writer's (process context, or with interrupts disabled: it spins,
    /// waiting only for readers on other CPUs); never inside a read section.
    pub fn synchronize(&self) {
        fence(Ordering::SeqCst);
        let steer = self.steer.load(Ordering::Relaxed);
        // New readers use side `steer & 1`; the other side holds only stragglers that
        // read `steer` before an earlier flip, so it drains without help.
        self.wait_until_idle((steer + 1) & 1);
        // Steer new readers away from the busy side, then drain it.
        self.steer.fetch_add(1, Ordering::Relaxed);
        self.wait_until_idle(steer & 1);
    }

    fn wait_until_idle(&self, side: usize) {
        while self.active[side].load(Ordering::Acquire) != 0 {
            spin_loop();
        }
    }
}

impl Drop for ReadSection<'_> {
    #[inline]
    fn drop(&mut self) {
        self.readers.active[self.side].fetch_sub(1, Ordering::Release);
    }
}

/// Two preallocated versions of `T`: one published to readers, one the writer owns.
///
/// Readers ([`HalfLock::read`]) never lock, allocate or wait. Writers
/// ([`HalfLock::write`]) serialise on an `R` and never allocate on their own.
///
/// ```
/// use ksignal::HalfLock;
///
/// let lock: HalfLock<[u64; 2]> = HalfLock::new([1, 1], [0, 0]);
/// let mut writer = lock.write();
/// writer.modify(|_, spare| *spare = [2, 2]);
/// writer.publish(); // readers now see [2, 2]; nobody still reads [1, 1]
/// writer.modify(|_, retired| assert_eq!(*retired, [1, 1]));
/// drop(writer);
/// assert_eq!(lock.read(|v| *v), [2, 2]);
/// ```
///
/// # Design notes
///
/// A HalfLock: readers that never wait, and one writer at a time that publishes a new
/// version and reuses the old one only after every reader that could see it has left.
///
/// # Parts
///
/// - [`Readers`]: the grace-period core. A reader announces itself on one of two
///   counters, reads whatever is published, and leaves. [`Readers::synchronize`]
///   returns once every reader that could have seen a version unpublished before the
///   call has left. The sigaction table uses it directly for its per-entry slots.
/// - [`HalfLock<T, R>`]: two preallocated slots of `T` on top of [`Readers`]. Readers
///   borrow the published slot; the writer (serialised by a [`lock_api::RawMutex`])
///   edits the other one, publishes it, waits for [`Readers::synchronize`], and then
///   has the old slot back for reuse or clean-up. Nothing here allocates: a write
///   never needs memory the two slots do not already hold.
///
/// # Memory ordering
///
/// This is the one argument every user of the module relies on.
///
/// - Reader: (R1) `active[i] += 1`; (R2) `fence(SeqCst)`; (R3) load what is
///   published (`Acquire`) and read it; (R4) `active[i] -= 1` (`Release`).
/// - Writer: (W1) publish the new version (`Release` store); (W2) `fence(SeqCst)`;
///   (W3) load `active[0]` and `active[1]` (`Acquire`) until each has been seen at 0.
///
/// "Announce, then load" against "publish, then check readers" is the
/// store-buffering pattern: with weaker orderings both sides may read the old values
/// (x86's store buffer allows it as well as arm64 and riscv64), so both fences are
/// needed. The two fences are ordered in the single total order of `SeqCst`
/// operations:
///
/// - R2 before W2: W3 observes R1 or a later change of that counter. Every reader
///   decrements after its own increment in the counter's modification order, so the
///   counter can read 0 after R1 only once R4 is in; that load reads from R4's release
///   sequence (all later changes are read-modify-writes), so R4 synchronizes with W3
///   and everything the reader did happens before anything the writer does next to
///   the old version.
/// - W2 before R2: R3 observes W1 or later, so the reader never sees the old version.
///
/// The `steer` word only decides which counter new readers use, so that the counter
/// being drained stops gaining readers; it carries no ordering and a stale value
/// costs the writer at most one more short wait.
///
/// # What a writer waits for, and why it cannot deadlock
///
/// Readers never wait: a read section is an increment, a fence, loads and a decrement
/// (on LL/SC machines the increment may retry when another CPU wrote the same word,
/// which is lock-free, never a wait on a writer). A writer waits in one place,
/// [`Readers::synchronize`], for the readers that were inside a read section when it
/// published. The contract that bounds this wait:
///
/// - read sections are short, never block or sleep, and run with preemption disabled
///   (or in interrupt context);
/// - writers run in process context and never inside a read section.
///
/// A reader on another CPU therefore leaves in bounded time. A reader on the writer's
/// own CPU cannot have been preempted inside its section; an interrupt that reads
/// while the writer waits runs to completion on top of the writer without waiting for
/// it, and the writer then sees its counter drop. With interrupts disabled on the
/// writer's CPU the wait covers other CPUs only, so a writer may run with interrupts
/// off. The one way to hang is to write from inside a read section (for example from
/// a closure passed to [`HalfLock::read`]), or to leak a [`ReadSection`] with
/// `mem::forget`: the writer would then wait for itself forever.
pub struct HalfLock<T, R: RawMutex = DefaultRawMutex> {
    slots: [UnsafeCell<T>; 2],
    /// Index of the published slot. Only written under `writer`.
    published: AtomicUsize,
    readers: Readers,
    writer: lock_api::Mutex<R, ()>,
}

// SAFETY: readers on several threads share `&T` (hence `T: Sync`); the writer edits
// and drops values of `T` on whatever thread it runs (hence `T: Send`). The slot
// discipline of the module documentation keeps shared and exclusive access apart.
#[allow(unsafe_code)]
unsafe impl<T: Send + Sync, R: RawMutex + Send + Sync> Sync for HalfLock<T, R> {}

impl<T: Default, R: RawMutex> Default for HalfLock<T, R> {
    fn default() -> HalfLock<T, R> {
        HalfLock::new(T::default(), T::default())
    }
}

impl<T, R: RawMutex> HalfLock<T, R> {
    /// Publishes `published`; `spare` is the writer's first scratch version (give it
    /// the capacity later writes will need).
    ///
    /// Context: any; allocates nothing (the two versions are moved in).
    pub fn new(published: T, spare: T) -> HalfLock<T, R> {
        HalfLock {
            slots: [UnsafeCell::new(published), UnsafeCell::new(spare)],
            published: AtomicUsize::new(0),
            readers: Readers::new(),
            writer: lock_api::Mutex::new(()),
        }
    }

    /// Runs `f` on the published version inside a read section. Wait-free apart from
    /// `f`, which must itself be short and must not block or write to this lock.
    ///
    /// Context: any, interrupt context included; wait-free apart from `f`.
    #[inline]
    #[allow(unsafe_code)]
    pub fn read<U>(&self, f: impl FnOnce(&T) -> U) -> U {
        let _section = self.readers.enter();
        let index = self.published.load(Ordering::Acquire) & 1;
        self.slots[index].with(|ptr| {
            // SAFETY: slot `index` was published when we loaded it after announcing,
            // so the writer will not touch it again until this section has ended
            // (module documentation); until then only shared access exists.
            f(unsafe { &*ptr })
        })
    }

    /// Takes the writer lock (spinning on `R`) and returns the writer's handle.
    ///
    /// Context: process context, or with interrupts disabled; spins on the writer lock,
    /// never from inside a read section of this lock.
    pub fn write(&self) -> HalfLockWriter<'_, T, R> {
        HalfLockWriter {
            lock: self,
            _guard: self.writer.lock(),
        }
    }
}

/// The one writer of a [`HalfLock`]; the writer lock is released on drop.
pub struct HalfLockWriter<'a, T, R: RawMutex> {
    lock: &'a HalfLock<T, R>,
    _guard: lock_api::MutexGuard<'a, R, ()>,
}

impl<T, R: RawMutex> HalfLockWriter<'_, T, R> {
    /// Runs `f` on (the published version, the spare version). The spare is the
    /// writer's alone: after [`HalfLockWriter::publish`] it is the version just
    /// retired, which no reader can still see.
    ///
    /// Context: the writer's, holding the writer lock; does not wait.
    #[allow(unsafe_code)]
    pub fn modify<U>(&mut self, f: impl FnOnce(&T, &mut T) -> U) -> U {
        let index = self.lock.published.load(Ordering::Relaxed) & 1;
        let (published, spare) = (&self.lock.slots[index], &self.lock.slots[index ^ 1]);
        published.with(|p| {
            spare.with_mut(|s| {
                // SAFETY: only writers, serialised by the lock we hold, ever write a
                // slot, and never the published one, so `p` is only read. The spare
                // was retired by a `publish` that waited for its readers (or was
                // never published), so nobody else accesses `s`.
                let (published, spare) = unsafe { (&*p, &mut *s) };
                f(published, spare)
            })
        })
    }

    /// Publishes the spare version and waits until no reader can still see the old
    /// one, which becomes the spare. The only wait of the write path.
    ///
    /// Context: the writer's, holding the writer lock; waits (spinning) for the readers
    /// of the old version, so never from inside a read section.
    pub fn publish(&mut self) {
        let index = self.lock.published.load(Ordering::Relaxed) & 1;
        self.lock.published.store(index ^ 1, Ordering::Release);
        self.lock.readers.synchronize();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec::Vec;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn readers_see_the_published_version_and_writers_get_the_old_one_back() {
        let lock: HalfLock<Vec<u32>> = HalfLock::new(alloc::vec![1], Vec::new());
        assert_eq!(lock.read(|v| v.clone()), [1]);
        let mut w = lock.write();
        w.modify(|cur, spare| {
            spare.clear();
            spare.extend(cur.iter().copied());
            spare.push(2);
        });
        assert_eq!(lock.read(|v| v.clone()), [1], "not published yet");
        w.publish();
        assert_eq!(lock.read(|v| v.clone()), [1, 2]);
        w.modify(|cur, old| {
            assert_eq!(old, &[1]);
            assert_eq!(cur, &[1, 2]);
        });
    }

    #[test]
    fn synchronize_returns_at_once_without_readers() {
        let readers = Readers::new();
        readers.synchronize();
        let section = readers.enter();
        drop(section);
        readers.synchronize();
        readers.synchronize();
    }

    #[test]
    fn synchronize_waits_for_a_reader_inside() {
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        let readers = Arc::new(Readers::new());
        let left = Arc::new(AtomicBool::new(false));
        let section = readers.enter();
        let waiter = {
            let (readers, left) = (readers.clone(), left.clone());
            thread::spawn(move || {
                readers.synchronize();
                assert!(
                    left.load(SeqCst),
                    "synchronize returned with a reader inside"
                );
            })
        };
        for _ in 0..10 {
            thread::yield_now();
        }
        left.store(true, SeqCst);
        drop(section);
        waiter.join().unwrap();
    }

    #[test]
    fn concurrent_readers_never_see_a_half_written_version() {
        let lock: Arc<HalfLock<[u64; 4]>> = Arc::new(HalfLock::new([0; 4], [0; 4]));
        let reader = {
            let lock = lock.clone();
            thread::spawn(move || {
                let mut last = 0;
                for _ in 0..200 {
                    let v = lock.read(|v| *v);
                    assert!(v.iter().all(|&x| x == v[0]), "torn: {v:?}");
                    assert!(v[0] >= last, "went back in time");
                    last = v[0];
                }
            })
        };
        for n in 1..=50u64 {
            let mut w = lock.write();
            w.modify(|_, spare| *spare = [n; 4]);
            w.publish();
        }
        reader.join().unwrap();
        assert_eq!(lock.read(|v| *v), [50; 4]);
    }
}
