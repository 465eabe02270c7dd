//! Many-thread exchange (issue: managers): std threads play kernel tasks with a
//! Condvar wait queue; senders queue a million real-time signals with distinct values
//! and sigtimedwait receivers take them. Every value arrives exactly once, in FIFO
//! order per sender and signal number, and RLIMIT_SIGPENDING refusals (EAGAIN) are
//! retried, never lost.

mod common {
    pub mod wait;
}

use common::wait::CondvarQueue;
use ksignal::{
    Errno, PendingLimit, ProcessSignalManager, SignalActions, SignalInfo, SignalSet, Signo,
    ThreadSignalManager,
};
use std::sync::Arc;
use std::time::Duration;

const SENDERS: u64 = 4;
const PER_SENDER: u64 = 250_000;
const RECEIVERS: u32 = 2;
const SIGS_PER_RECEIVER: u32 = 4;

fn rt(n: u32) -> Signo {
    Signo::new(32 + n).unwrap()
}

#[test]
fn a_million_rt_signals_arrive_exactly_once_in_fifo_order() {
    let process = Arc::new(ProcessSignalManager::<CondvarQueue>::new(
        Arc::new(SignalActions::new()),
        Arc::new(PendingLimit::new(4096)),
    ));
    let total_sigs = RECEIVERS * SIGS_PER_RECEIVER;
    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|r| {
            let t = ThreadSignalManager::new(
                &process,
                r as i32 + 1,
                SignalSet::ALL,
                CondvarQueue::default(),
            )
            .unwrap();
            std::thread::spawn(move || {
                let set: SignalSet = (0..SIGS_PER_RECEIVER)
                    .map(|k| rt(r * SIGS_PER_RECEIVER + k))
                    .collect();
                let mut last = vec![None::<u64>; (SENDERS * total_sigs as u64) as usize];
                let mut got = 0u64;
                let expected = SENDERS * PER_SENDER * SIGS_PER_RECEIVER as u64 / total_sigs as u64;
                while got < expected {
                    match t.sigtimedwait(set, Some(Duration::from_secs(10))) {
                        Ok((s, info)) => {
                            let v = info.value();
                            let (sender, seq) = (v >> 32, v & 0xffff_ffff);
                            assert_eq!(info.pid() as u64, sender);
                            let key = (sender * total_sigs as u64 + (s.get() - 32) as u64) as usize;
                            if let Some(prev) = last[key] {
                                assert!(
                                    seq > prev,
                                    "FIFO per sender and signal: {prev} then {seq}"
                                );
                            }
                            last[key] = Some(seq);
                            got += 1;
                        }
                        Err(e) => panic!("receiver {r}: {e:?} after {got}"),
                    }
                }
                (t, got)
            })
        })
        .collect();
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let p = process.clone();
            std::thread::spawn(move || {
                let mut eagain = 0u64;
                for seq in 0..PER_SENDER {
                    let sig = rt((seq % total_sigs as u64) as u32);
                    let info = SignalInfo::queue(sig, s as i32, 0, (s << 32) | seq);
                    loop {
                        match p.send(sig, Some(&info)) {
                            Ok(_) => break,
                            Err(Errno::EAGAIN) => {
                                eagain += 1;
                                std::thread::yield_now();
                            }
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }
                eagain
            })
        })
        .collect();
    let refused: u64 = senders.into_iter().map(|h| h.join().unwrap()).sum();
    let mut received = 0;
    let mut threads = Vec::new();
    for h in receivers {
        let (t, got) = h.join().unwrap();
        received += got;
        threads.push(t);
    }
    assert!(threads.iter().all(|t| t.sigpending().is_empty()));
    assert_eq!(
        received,
        SENDERS * PER_SENDER,
        "no loss, no duplicate ({refused} EAGAIN retried)"
    );
    assert_eq!(process.limit().queued(), 0);
}
