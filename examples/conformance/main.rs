//! `conformance`: runs signal scenarios on Linux (and, later, on this crate's model) and
//! compares the traces.
//!
//! ```text
//! conformance run --on linux|crate [--repeat R] [--timeout-ms MS] FILE...
//! conformance diff [--timeout-ms MS] FILE...
//! conformance golden --on linux|crate [--update] [--timeout-ms MS] FILE...
//! conformance random --seeds A..B --ops N [--threads K] [--fatal] [--on linux] [--repeat R]
//! conformance gen --seed S --ops N [--threads K] [--fatal]
//! ```
//! `run` prints `=== FILE` and the trace of each scenario (`-` reads standard input);
//! `--repeat R` runs each R times and fails if any run differs from the first.
//! `diff` runs Linux and the crate and prints the first differing line per scenario.
//! `golden` compares a runner with the recorded `<stem>.linux` next to each `.scen`
//! (`--update` rewrites them from the runner). `random` generates seeds `A..B` (half-open;
//! `A..=B` inclusive, or one seed `A`) and compares Linux with the crate, or with
//! `--on linux` prints each trace (and checks `--repeat` stability). `gen` prints one
//! generated scenario. Commands that compare end with `N passed, M failed` and exit 1 on
//! any failure.
//!
//! # Scenarios
//! A scenario starts with `threads N [orphaned]` (`orphaned`: the process runs in a
//! session of its own, so its process group is orphaned), then one op a line: `action
//! SIG default|ignore|handler [nodefer] [resethand]`, `block|unblock|setmask Tk SIGLIST`,
//! `kill SIG`, `sigqueue SIG VALUE`, `tkill Tk SIG`, `tsigqueue Tk SIG VALUE`, `wait Tk
//! SIGLIST [MS]`, `pending Tk`, `rlimit_sigpending N`, `exit Tk` (thread k calls
//! `SYS_exit`; T0 becomes a zombie leader while other threads live), `waitbg Tk SIGLIST
//! MS` (thread k starts rt_sigtimedwait and the scenario goes on while it sleeps there;
//! no other op may name Tk until `collect Tk`, whose result is the wait's). Threads
//! start with every signal blocked; `#` starts a comment.
//!
//! A trace echoes each op (`> op`) and prints the handler entries it caused (`deliver Tk
//! SIG code=C value=V`) and its result (`ret=0`, `err=E`, `got ...`, `pending ...`).
//! `stopped SIG` replaces the result of the op during which the group stopped (what
//! `waitpid(WUNTRACED)` reports); the ops after it still run: sends go out, `pending`
//! still answers, ops that need a thread to run print `skipped (stopped)`; `continued`
//! follows the echo of the send that continued the group (`waitpid(WCONTINUED)`). An op on
//! an exited thread is `err=ESRCH`. `terminated SIG` ends the trace. Traces are compared
//! in canonical form (`trace::Trace::canonical`): within an op, handler entries are
//! grouped by thread, and an op in which the group continued and then died shows only the
//! death.

mod crate_runner;
mod random;
mod runner;
mod scenario;
mod trace;

#[cfg(target_os = "linux")]
mod linux;

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use random::GenConfig;
use runner::Runner;
use scenario::Scenario;
use trace::first_difference;

const USAGE: &str = "usage:
  conformance run --on linux|crate [--repeat R] [--timeout-ms MS] FILE...
  conformance diff [--timeout-ms MS] FILE...
  conformance golden --on linux|crate [--update] [--timeout-ms MS] FILE...
  conformance random --seeds A..B --ops N [--threads K] [--fatal] [--on linux] [--repeat R]
  conformance gen --seed S --ops N [--threads K] [--fatal]";

/// Parsed command-line options (every subcommand takes the subset it needs).
#[derive(Default)]
struct Opts {
    on: Option<String>,
    repeat: usize,
    timeout: Option<Duration>,
    update: bool,
    seeds: Option<(u64, u64)>,
    ops: Option<usize>,
    threads: Option<usize>,
    fatal: bool,
    files: Vec<String>,
}

fn parse_num<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    v.parse()
        .map_err(|_| format!("{flag}: `{v}` is not a valid number"))
}

/// `A..B` (half-open), `A..=B` (inclusive) or `A`, as a half-open range.
fn parse_seeds(text: &str) -> Result<(u64, u64), String> {
    let num = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("--seeds: `{s}` is not a number"))
    };
    if let Some((a, b)) = text.split_once("..=") {
        let b = num(b)?;
        return Ok((num(a)?, b.checked_add(1).ok_or("--seeds: end too large")?));
    }
    if let Some((a, b)) = text.split_once("..") {
        return Ok((num(a)?, num(b)?));
    }
    let a = num(text)?;
    Ok((a, a.checked_add(1).ok_or("--seeds: seed too large")?))
}

fn parse_opts(args: Vec<String>) -> Result<Opts, String> {
    let mut o = Opts {
        repeat: 1,
        ..Opts::default()
    };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--on" => o.on = Some(it.next().ok_or("--on needs a runner name")?),
            "--repeat" => o.repeat = parse_num::<usize>("--repeat", it.next())?.max(1),
            "--timeout-ms" => {
                o.timeout = Some(Duration::from_millis(parse_num("--timeout-ms", it.next())?));
            }
            "--update" => o.update = true,
            "--fatal" => o.fatal = true,
            "--seeds" | "--seed" => {
                o.seeds = Some(parse_seeds(&it.next().ok_or("--seeds needs a range")?)?);
            }
            "--ops" => o.ops = Some(parse_num("--ops", it.next())?),
            "--threads" => {
                let k: usize = parse_num("--threads", it.next())?;
                if !(1..=scenario::MAX_THREADS).contains(&k) {
                    return Err("--threads must be in 1..64".into());
                }
                o.threads = Some(k);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            _ => o.files.push(a),
        }
    }
    Ok(o)
}

fn load(file: &str) -> Result<Scenario, String> {
    let text = if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("-: {e}"))?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?
    };
    Scenario::parse(file, &text).map_err(|e| e.to_string())
}

/// Runs `sc` `repeat` times; the first trace, or why the runs failed or disagreed.
fn run_stable(r: &dyn Runner, sc: &Scenario, repeat: usize) -> Result<String, String> {
    let first = r.run_scenario(sc)?.to_string();
    for i in 2..=repeat {
        let again = r.run_scenario(sc)?.to_string();
        if let Some((line, a, b)) = first_difference(&first, &again) {
            return Err(format!(
                "unstable: run {i} differs at line {line}: `{a}` then `{b}`"
            ));
        }
    }
    Ok(first)
}

fn summary(passed: usize, failed: usize) -> ExitCode {
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn cmd_run(o: &Opts) -> Result<ExitCode, String> {
    let r = runner::by_name(
        o.on.as_deref().ok_or("run needs --on linux|crate")?,
        o.timeout,
    )?;
    if o.files.is_empty() {
        return Err("run needs at least one FILE".into());
    }
    let mut ok = true;
    for f in &o.files {
        println!("=== {f}");
        let result = load(f)
            .and_then(|sc| run_stable(r.as_ref(), &sc, o.repeat).map_err(|e| format!("{f}: {e}")));
        match result {
            Ok(trace) => print!("{trace}"),
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Compares two runners on one scenario; prints the first difference, if any.
fn compare(label: &str, sc: &Scenario, a: &dyn Runner, b: &dyn Runner) -> bool {
    let ta = a.run_scenario(sc).map(|t| t.to_string());
    let tb = b.run_scenario(sc).map(|t| t.to_string());
    match (ta, tb) {
        (Ok(x), Ok(y)) => match first_difference(&x, &y) {
            None => true,
            Some((line, lx, ly)) => {
                println!("=== {label}");
                println!("line {line}:");
                println!("  {}: {lx}", a.name());
                println!("  {}: {ly}", b.name());
                false
            }
        },
        (x, y) => {
            println!("=== {label}");
            for (name, res) in [(a.name(), x), (b.name(), y)] {
                if let Err(e) = res {
                    println!("  {name}: error: {e}");
                }
            }
            false
        }
    }
}

fn cmd_diff(o: &Opts) -> Result<ExitCode, String> {
    let linux = runner::by_name("linux", o.timeout)?;
    let krate = runner::by_name("crate", o.timeout)?;
    let (mut passed, mut failed) = (0, 0);
    for f in &o.files {
        let ok = match load(f) {
            Ok(sc) => compare(f, &sc, linux.as_ref(), krate.as_ref()),
            Err(e) => {
                println!("=== {f}\n  error: {e}");
                false
            }
        };
        if ok { passed += 1 } else { failed += 1 }
    }
    Ok(summary(passed, failed))
}

fn golden_path(file: &str) -> String {
    Path::new(file)
        .with_extension("linux")
        .to_string_lossy()
        .into_owned()
}

fn cmd_golden(o: &Opts) -> Result<ExitCode, String> {
    let r = runner::by_name(o.on.as_deref().unwrap_or("linux"), o.timeout)?;
    let (mut passed, mut failed) = (0, 0);
    for f in &o.files {
        let gold = golden_path(f);
        let outcome = load(f)
            .and_then(|sc| r.run_scenario(&sc))
            .map(|t| t.to_string());
        let ok = match outcome {
            Err(e) => {
                println!("=== {f}\n  error: {e}");
                false
            }
            Ok(trace) if o.update => match std::fs::write(&gold, trace) {
                Ok(()) => true,
                Err(e) => {
                    println!("=== {f}\n  error: {gold}: {e}");
                    false
                }
            },
            Ok(trace) => match std::fs::read_to_string(&gold) {
                Err(e) => {
                    println!("=== {f}\n  error: {gold}: {e}");
                    false
                }
                Ok(want) => match first_difference(&want, &trace) {
                    None => true,
                    Some((line, w, g)) => {
                        println!("=== {f}\nline {line}:\n  golden: {w}\n  {}: {g}", r.name());
                        false
                    }
                },
            },
        };
        if ok { passed += 1 } else { failed += 1 }
    }
    Ok(summary(passed, failed))
}

fn gen_config(o: &Opts) -> Result<GenConfig, String> {
    Ok(GenConfig {
        ops: o.ops.ok_or("--ops N is required")?,
        threads: o.threads,
        fatal: o.fatal,
    })
}

fn cmd_random(o: &Opts) -> Result<ExitCode, String> {
    let cfg = gen_config(o)?;
    let (a, b) = o.seeds.ok_or("--seeds A..B is required")?;
    let (mut passed, mut failed) = (0, 0);
    match o.on.as_deref() {
        // Compare the two runners.
        None => {
            let linux = runner::by_name("linux", o.timeout)?;
            let krate = runner::by_name("crate", o.timeout)?;
            for seed in a..b {
                let sc = random::generate(seed, &cfg);
                if compare(&sc.name, &sc, linux.as_ref(), krate.as_ref()) {
                    passed += 1;
                } else {
                    print!("{sc}");
                    failed += 1;
                }
            }
        }
        // One runner: print every trace; fail on runner errors or unstable repeats.
        Some(name) => {
            let r = runner::by_name(name, o.timeout)?;
            for seed in a..b {
                let sc = random::generate(seed, &cfg);
                println!("=== seed {seed}");
                match run_stable(r.as_ref(), &sc, o.repeat) {
                    Ok(trace) => {
                        print!("{trace}");
                        passed += 1;
                    }
                    Err(e) => {
                        println!("error: {e}");
                        print!("{sc}");
                        failed += 1;
                    }
                }
            }
        }
    }
    Ok(summary(passed, failed))
}

fn cmd_gen(o: &Opts) -> Result<ExitCode, String> {
    let cfg = gen_config(o)?;
    let (a, b) = o.seeds.ok_or("--seed S is required")?;
    for seed in a..b {
        println!("# seed {seed}");
        print!("{}", random::generate(seed, &cfg));
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(cmd) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = parse_opts(args.collect()).and_then(|o| match cmd.as_str() {
        "run" => cmd_run(&o),
        "diff" => cmd_diff(&o),
        "golden" => cmd_golden(&o),
        "random" => cmd_random(&o),
        "gen" => cmd_gen(&o),
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("conformance: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds() {
        assert_eq!(parse_seeds("3..7"), Ok((3, 7)));
        assert_eq!(parse_seeds("3..=7"), Ok((3, 8)));
        assert_eq!(parse_seeds("5"), Ok((5, 6)));
        assert!(parse_seeds("a..b").is_err());
    }
}
