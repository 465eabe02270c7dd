//! Conformance with Linux itself: the crate must reproduce every golden trace
//! recorded from the host kernel (`tests/scenarios/*.linux`), and the host kernel and
//! the crate must produce identical traces for hundreds of generated scenarios
//! (mixed thread counts, every op kind, fatal and non-fatal).
//!
//! The tool's modules are compiled in directly from `examples/conformance/`.
#![allow(dead_code)]

#[path = "../examples/conformance/crate_runner.rs"]
mod crate_runner;
#[cfg(target_os = "linux")]
#[path = "../examples/conformance/linux.rs"]
mod linux;
#[path = "../examples/conformance/random.rs"]
mod random;
#[path = "../examples/conformance/runner.rs"]
mod runner;
#[path = "../examples/conformance/scenario.rs"]
mod scenario;
#[path = "../examples/conformance/trace.rs"]
mod trace;

use random::GenConfig;
use runner::Runner;
use std::path::Path;

#[test]
fn crate_reproduces_every_linux_golden() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut scenarios: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scen"))
        .collect();
    scenarios.sort();
    assert!(
        scenarios.len() >= 30,
        "scenarios missing from {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for path in &scenarios {
        let text = std::fs::read_to_string(path).unwrap();
        let sc = scenario::Scenario::parse(&path.display().to_string(), &text).unwrap();
        let golden = std::fs::read_to_string(path.with_extension("linux")).unwrap();
        let got = crate_runner::CrateRunner
            .run_scenario(&sc)
            .unwrap()
            .to_string();
        if let Some((line, want, have)) = trace::first_difference(&golden, &got) {
            failures.push(format!(
                "{}:{line}: linux `{want}`, crate `{have}`",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Seeds, op count, thread count (None = 1..=4 at random) and whether fatal ops are
/// allowed, for each batch.
const BATCHES: [(std::ops::Range<u64>, usize, Option<usize>, bool); 5] = [
    (0..250, 40, None, false),
    (10_000..10_150, 50, None, true),
    (20_000..20_080, 60, Some(8), false),
    (30_000..30_060, 60, Some(16), true),
    (40_000..40_030, 40, Some(64), false),
];

#[cfg(target_os = "linux")]
#[test]
fn host_kernel_and_crate_agree_on_generated_scenarios() {
    let linux = runner::by_name("linux", None).unwrap();
    let krate = runner::by_name("crate", None).unwrap();
    let (mut passed, mut failed) = (0, Vec::new());
    for (seeds, ops, threads, fatal) in BATCHES {
        let cfg = GenConfig {
            ops,
            threads,
            fatal,
        };
        for seed in seeds {
            let sc = random::generate(seed, &cfg);
            let a = linux
                .run_scenario(&sc)
                .unwrap_or_else(|e| panic!("linux runner, seed {seed}: {e}"));
            let b = krate.run_scenario(&sc).unwrap().to_string();
            match trace::first_difference(&a.to_string(), &b) {
                None => passed += 1,
                Some((line, want, have)) => failed.push(format!(
                    "seed {seed}:{line}: linux `{want}`, crate `{have}`"
                )),
            }
        }
    }
    println!("{} passed, {} failed", passed, failed.len());
    assert!(passed >= 500);
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The generated scenarios the host-kernel comparison runs must reach every rule
/// family the issue lists; each is counted by the ops that exercise it.
#[test]
fn generator_reaches_every_rule_family() {
    use scenario::{Disposition, Op, Sig};
    let sync = |s: Sig| [4u8, 5, 7, 8, 11, 31].contains(&s.num());
    let stop = |s: Sig| (19..=22).contains(&s.num());
    let mut reached = std::collections::BTreeMap::<&str, usize>::new();
    for (seeds, ops, threads, fatal) in BATCHES {
        let cfg = GenConfig {
            ops,
            threads,
            fatal,
        };
        for seed in seeds {
            let sc = random::generate(seed, &cfg);
            let sends: Vec<(Sig, bool)> = sc
                .ops
                .iter()
                .filter_map(|op| match *op {
                    Op::Kill(s) | Op::SigQueue(s, _) => Some((s, true)),
                    Op::Tkill(_, s) | Op::TSigQueue(_, s, _) => Some((s, false)),
                    _ => None,
                })
                .collect();
            let count = |s: Sig| sends.iter().filter(|(x, _)| *x == s).count();
            let mut hit = |name| *reached.entry(name).or_default() += 1;
            if sends.iter().any(|(s, _)| s.num() < 32 && count(*s) >= 2) {
                hit("std coalescing");
            }
            if sc
                .ops
                .iter()
                .filter(
                    |op| matches!(op, Op::SigQueue(s, _) | Op::TSigQueue(_, s, _) if s.num() >= 32),
                )
                .count()
                >= 2
            {
                hit("rt fifo");
            }
            if sends
                .iter()
                .any(|(s, p)| *p && sends.iter().any(|(t, q)| t == s && !q))
            {
                hit("private vs shared");
            }
            if sends.iter().any(|(s, _)| sync(*s)) && sends.iter().any(|(s, _)| !sync(*s)) {
                hit("synchronous first");
            }
            let mut ignored = Vec::new();
            let mut pending_before_ignore = false;
            let mut sent_so_far = Vec::new();
            for op in &sc.ops {
                match *op {
                    Op::Action {
                        sig,
                        disp: Disposition::Ignore,
                        ..
                    } => {
                        pending_before_ignore |= sent_so_far.contains(&sig);
                        ignored.push(sig);
                    }
                    Op::Action {
                        resethand: true, ..
                    } => hit("resethand"),
                    Op::Action { nodefer: true, .. } => hit("nodefer"),
                    Op::Kill(s) | Op::SigQueue(s, _) | Op::Tkill(_, s) | Op::TSigQueue(_, s, _) => {
                        if ignored.contains(&s) {
                            hit("ignore at generation");
                        }
                        sent_so_far.push(s);
                    }
                    Op::RlimitSigpending(_) => hit("rlimit"),
                    Op::Wait(..) => hit("waits"),
                    _ => {}
                }
            }
            if pending_before_ignore {
                hit("SIG_IGN flush");
            }
            if sends.iter().any(|(s, _)| stop(*s)) && sends.iter().any(|(s, _)| s.num() == 18) {
                hit("SIGCONT/stop flushes");
            }
            if sc.threads >= 2 && sends.iter().any(|(_, p)| *p) {
                hit("target-thread choice");
            }
        }
    }
    let families = [
        "std coalescing",
        "rt fifo",
        "private vs shared",
        "synchronous first",
        "ignore at generation",
        "SIG_IGN flush",
        "SIGCONT/stop flushes",
        "resethand",
        "nodefer",
        "target-thread choice",
        "rlimit",
        "waits",
    ];
    println!("scenarios reaching each family: {reached:?}");
    for f in families {
        assert!(
            reached.get(f).copied().unwrap_or(0) >= 5,
            "generator rarely reaches {f}: {reached:?}"
        );
    }
}
