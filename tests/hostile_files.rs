//! The hostile corpus (`hostile/mod.rs`) through the core and through the command line: each
//! file refused in under a second and 256 MB, with one line free of control characters, the
//! page's own refusal tested in the browser by `hostile_wasm.rs`.
#![cfg(all(target_os = "linux", target_pointer_width = "64"))]

use cnn_playground::io::checkpoint;
use std::process::Command;
use std::time::Instant;

mod hostile;
use hostile::{check, corpus, peak_of, Case, MEMORY, SECONDS};

#[global_allocator]
static ALLOCATOR: hostile::Peak = hostile::Peak;

const MB: f64 = (1 << 20) as f64;

/// One test, so that nothing else runs beside it to blur the memory counted.
#[test]
fn hostile_files_are_refused_in_a_second_and_256_mb_with_one_clean_line() {
    let dir = std::env::temp_dir().join(format!("cnn-hostile-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for case in corpus(true) {
        let bytes = (case.make)();
        let (seconds, peak, outcome) = in_process(&case, &bytes);
        println!(
            "{:32} core: {seconds:.3} s, {:6.1} MB",
            case.name,
            peak as f64 / MB
        );
        judge(&mut failures, &case, "core", seconds, peak, outcome);
        let path = dir.join(case.name);
        std::fs::write(&path, &bytes).unwrap();
        let size = bytes.len() as f64 / MB;
        // The child starts as a copy of this process: its peak counts what this one holds.
        drop(bytes);
        let (seconds, rss, outcome) = through_cli(&case, &path, &dir);
        println!(
            "{:32} CLI:  {seconds:.3} s, {:6.1} MB resident at most so far (the file: {:.1} MB)",
            "",
            rss as f64 / MB,
            size
        );
        judge(&mut failures, &case, "CLI", seconds, rss, outcome);
        std::fs::remove_file(&path).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{failures:#?}");
}

/// What is wrong with one refusal `by` the core or the CLI: its words, its time, its memory.
fn judge(
    failures: &mut Vec<String>,
    case: &Case,
    by: &str,
    seconds: f64,
    memory: usize,
    outcome: Result<(), String>,
) {
    let mut fail = |what: String| failures.push(format!("{} ({by}): {what}", case.name));
    if let Err(why) = outcome {
        fail(why);
    }
    if seconds > SECONDS {
        fail(format!("{seconds:.2} s"));
    }
    if memory > MEMORY {
        fail(format!("{:.0} MB", memory as f64 / MB));
    }
}

/// The core's refusal: its time, the memory it took and whether it is as it must be.
fn in_process(case: &Case, bytes: &[u8]) -> (f64, usize, Result<(), String>) {
    let start = Instant::now();
    let (result, peak) = peak_of(|| checkpoint::load(bytes).map(|_| ()));
    let seconds = start.elapsed().as_secs_f64();
    let outcome = match result {
        Ok(()) => Err("loaded".into()),
        Err(e) => check(case, &e.to_string(), e.detail().unwrap_or("")),
    };
    (seconds, peak, outcome)
}

/// `cnn-playground export --weights FILE`: its time, its peak resident memory, and whether it
/// ended in one `error:` line as it must.
fn through_cli(
    case: &Case,
    path: &std::path::Path,
    dir: &std::path::Path,
) -> (f64, usize, Result<(), String>) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cnn-playground"))
        .arg("export")
        .arg("--weights")
        .arg(path)
        .args(["--format", "onnx", "--out"])
        .arg(dir.join("model.onnx"))
        .output()
        .expect("the binary runs");
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let outcome = match (out.status.code(), &lines[..]) {
        (Some(1), [line]) => match line.strip_prefix("error: ") {
            Some(message) => check(case, message, ""),
            None => Err(format!("not an error line: {line:?}")),
        },
        (code, _) => Err(format!("exit {code:?}, stderr {stderr:?}")),
    };
    (seconds, peak_resident_of_children(), outcome)
}

/// The largest peak resident memory of the child processes waited for so far, in bytes: Linux's
/// `getrusage(RUSAGE_CHILDREN)` (only this test starts any, one at a time, so a case over the
/// bound is caught when it runs).
fn peak_resident_of_children() -> usize {
    let mut usage = std::mem::MaybeUninit::<[i64; 18]>::zeroed();
    // SAFETY: getrusage writes a struct rusage (18 longs on 64-bit Linux) and nothing else.
    unsafe {
        getrusage(-1, usage.as_mut_ptr().cast());
        usage.assume_init()[4] as usize * 1024
    }
}

extern "C" {
    fn getrusage(who: i32, usage: *mut i64) -> i32;
}
