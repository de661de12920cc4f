//! Project automation: `cargo xtask ci | fuzz | bench | interop-setup`.
//!
//! `ci` is the README's test command: format check, clippy with warnings denied, every test and
//! doctest (after installing the npm interop peers), and a bounded fuzz smoke of every target.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};
use std::time::Instant;

/// Pinned cargo-fuzz version installed when missing.
const CARGO_FUZZ_VERSION: &str = "0.12.0";
/// Seconds each fuzz target runs in the smoke.
const DEFAULT_FUZZ_SECONDS: u64 = 15;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run(cmd: &mut Command) {
    eprintln!("xtask: running {cmd:?}");
    let started = Instant::now();
    let status = cmd.status().unwrap_or_else(|e| {
        eprintln!("xtask: could not start {cmd:?}: {e}");
        exit(1)
    });
    eprintln!("xtask: finished in {:.1}s", started.elapsed().as_secs_f64());
    if !status.success() {
        eprintln!("xtask: {cmd:?} failed with {status}");
        exit(1);
    }
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn has_nextest() -> bool {
    Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Installs the npm packages the interop tests drive (oauth4webapi), from the committed lockfile.
fn interop_setup() {
    let dir = root().join("interop");
    if dir.join("package.json").exists() {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir));
    }
}

fn tests() {
    interop_setup();
    // Unit, integration and example targets; benches run below in criterion's test mode (each
    // benchmark once, with its output checks), since their summaries are not libtest output.
    let targets = ["--lib", "--bins", "--tests", "--examples"];
    if has_nextest() {
        run(cargo()
            .args([
                "nextest",
                "run",
                "--workspace",
                "--all-features",
                "--no-fail-fast",
            ])
            .args(targets));
    } else {
        run(cargo()
            .args(["test", "--workspace", "--all-features", "--no-fail-fast"])
            .args(targets));
    }
    run(cargo().args(["test", "--workspace", "--all-features", "--benches"]));
    run(cargo().args(["test", "--workspace", "--all-features", "--doc"]));
}

fn fuzz_targets() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap_or_default();
    // Every [[bin]] name in fuzz/Cargo.toml is a target.
    let mut out = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_bin = l == "[[bin]]";
        } else if in_bin {
            if let Some(rest) = l.strip_prefix("name") {
                let name = rest.trim_start_matches([' ', '=']).trim().trim_matches('"');
                out.push(name.to_owned());
            }
        }
    }
    out
}

fn ensure_cargo_fuzz() {
    let ok = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        run(Command::new("cargo").args([
            "install",
            "cargo-fuzz",
            "--locked",
            "--version",
            CARGO_FUZZ_VERSION,
        ]));
    }
}

fn fuzz(seconds: u64) {
    ensure_cargo_fuzz();
    let targets = fuzz_targets();
    if targets.is_empty() {
        eprintln!("xtask: no fuzz targets found in fuzz/Cargo.toml");
        exit(1);
    }
    let dir = root().join("fuzz");
    // cargo-fuzz passes nightly-only flags (-Zsanitizer); RUSTC_BOOTSTRAP lets the machine's one
    // stable toolchain accept them, so no second toolchain is needed.
    let fuzz_cmd = || {
        let mut c = Command::new("cargo");
        c.env("RUSTC_BOOTSTRAP", "1").current_dir(&dir);
        c
    };
    // Build every target once, then run each for a bounded time from its seed corpus.
    run(fuzz_cmd().args(["fuzz", "build", "-O"]));
    for t in targets {
        let corpus = dir.join("corpus").join(&t);
        let _ = std::fs::create_dir_all(&corpus);
        let scratch = dir.join("target").join("smoke-corpus").join(&t);
        let _ = std::fs::create_dir_all(&scratch);
        // New inputs go to a scratch directory, so the committed seed corpus stays as it is.
        run(fuzz_cmd()
            .args(["fuzz", "run", "-O", &t])
            .arg(&scratch)
            .arg(&corpus)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-rss_limit_mb=2048",
                "-max_len=16384",
                "-print_final_stats=0",
            ]));
    }
}

fn bench() {
    // Core exchange against oauth2 and a hand-rolled floor, and the lifecycle cache hit.
    run(cargo().args(["bench", "-p", "grantwire-bench"]));
    // Client assertions on every backend against raw signatures and jsonwebtoken.
    run(cargo().args([
        "bench",
        "-p",
        "grantwire-jose",
        "--all-features",
        "--bench",
        "assertion",
    ]));
}

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let fuzz_seconds = env::var("GRANTWIRE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_FUZZ_SECONDS);
    match args.first().map(String::as_str) {
        Some("ci") => {
            let started = Instant::now();
            run(cargo().args(["fmt", "--all", "--check"]));
            run(cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ]));
            tests();
            fuzz(fuzz_seconds);
            eprintln!(
                "xtask: ci passed in {:.0}s",
                started.elapsed().as_secs_f64()
            );
        }
        Some("test") => tests(),
        Some("fuzz") => fuzz(fuzz_seconds),
        Some("bench") => bench(),
        Some("interop-setup") => interop_setup(),
        _ => {
            eprintln!("usage: cargo xtask <ci|test|fuzz|bench|interop-setup>");
            eprintln!("  ci     fmt check, clippy -D warnings, all tests and doctests, fuzz smoke");
            eprintln!("  fuzz   run every fuzz target for GRANTWIRE_FUZZ_SECONDS (default {DEFAULT_FUZZ_SECONDS}) seconds");
            eprintln!("  bench  criterion benchmarks with peers, ratios printed");
            exit(2);
        }
    }
}
