//! Project automation: `cargo xtask ci | test | interop | features | msrv | doc | deny | fuzz |
//! bench | interop-setup`.
//!
//! `ci` is the README's test command: format check, clippy with warnings denied, every test and
//! doctest with all features (after installing the npm interop peers, which are then required),
//! the interop matrix against oidc-provider, the feature matrix (each `grantwire-jose` backend alone, the testkit's defaults), rustdoc with
//! warnings denied, cargo-deny, a build of the library crates on the declared MSRV, and a bounded
//! fuzz smoke of every target. It prints how long each step took.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};
use std::time::Instant;

/// Pinned cargo-fuzz version installed when missing.
const CARGO_FUZZ_VERSION: &str = "0.12.0";
/// Pinned cargo-deny version installed when missing (builds on rustc 1.88 and later).
const CARGO_DENY_VERSION: &str = "0.20.2";
/// The library crates users depend on: built on the MSRV.
const LIBRARY_CRATES: [&str; 6] = [
    "grantwire",
    "grantwire-jose",
    "grantwire-testkit",
    "grantwire-client",
    "grantwire-reqwest",
    "grantwire-ureq",
];
/// `grantwire-jose` built and tested with one backend each: (backend name, cargo flags).
const JOSE_BACKENDS: [(&str, &[&str]); 3] = [
    // The default feature.
    ("aws-lc-rs", &[]),
    ("ring", &["--no-default-features", "--features", "ring"]),
    (
        "rust-crypto",
        &["--no-default-features", "--features", "rust-crypto"],
    ),
];
/// Crates that need a C compiler; none may be in the `rust-crypto`-only build.
const C_BUILD_CRATES: [&str; 5] = ["cc", "cmake", "ring", "aws-lc-sys", "aws-lc-rs"];
/// The crate of the interop tests against independently written servers.
const INTEROP_CRATE: &str = "grantwire-interop";
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

/// Installs the npm packages the interop tests drive (oauth4webapi, oidc-provider), from the
/// committed lockfile.
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
    // The interop test skips (with one line) when its peer is missing in a plain `cargo test`;
    // here the peer was just installed, so a missing one is a failure, never a silent skip.
    env::set_var("GRANTWIRE_REQUIRE_INTEROP", "1");
    // Every backend is on: the jose tests check they really are.
    env::set_var("GRANTWIRE_JOSE_BACKENDS", "aws-lc-rs,ring,rust-crypto");
    // Unit, integration and example targets; benches run below in criterion's test mode (each
    // benchmark once, with its output checks), since their summaries are not libtest output.
    let targets = ["--lib", "--bins", "--tests", "--examples"];
    // The oidc-provider matrix is its own step (`interop`), run once.
    let exclude = ["--exclude", INTEROP_CRATE];
    if has_nextest() {
        run(cargo()
            .args([
                "nextest",
                "run",
                "--workspace",
                "--all-features",
                "--no-fail-fast",
            ])
            .args(exclude)
            .args(targets));
    } else {
        run(cargo()
            .args(["test", "--workspace", "--all-features", "--no-fail-fast"])
            .args(exclude)
            .args(targets));
    }
    run(cargo().args(["test", "--workspace", "--all-features", "--benches"]));
    run(cargo().args(["test", "--workspace", "--all-features", "--doc"]));
}

/// grantwire against oidc-provider (npm, run by node) on 127.0.0.1: every client-authentication
/// method and algorithm, introspection, revocation, and the classified negative cases. Installs
/// the peer first and requires it; the test prints the matrix and writes it under
/// `target/tmp/oidc-provider-<transport>.md` (docs/INTEROP.md is a copy).
fn interop() {
    interop_setup();
    run(cargo().env("GRANTWIRE_REQUIRE_INTEROP", "1").args([
        "test",
        "-p",
        INTEROP_CRATE,
        "--all-features",
        "--",
        "--nocapture",
    ]));
}

/// The feature combinations users compile, each linted (all targets) and tested on its own:
/// `grantwire-jose` with one backend each (`--all-features` is the main test run), and
/// `grantwire-testkit` without and with its loopback server (plain, then with TLS), over the
/// default backend.
fn features() {
    for (backend, flags) in JOSE_BACKENDS {
        eprintln!("xtask: grantwire-jose with only the {backend} backend");
        run(cargo()
            .args(["clippy", "-p", "grantwire-jose", "--all-targets"])
            .args(flags)
            .args(["--", "-D", "warnings"]));
        // The tests check that exactly this backend is compiled in.
        run(cargo()
            .env("GRANTWIRE_JOSE_BACKENDS", backend)
            .args(["test", "-p", "grantwire-jose"])
            .args(flags));
    }
    no_c_compiler_needed();
    // The testkit as users compile it: its default features, `loopback` and `tls` (which
    // implies `loopback`), over `grantwire-jose` with its default backend only. The loopback
    // and TLS tests only add to the default ones, so one test run covers all three.
    eprintln!("xtask: grantwire-testkit with default features, then with loopback, then tls");
    for features in [&[][..], &["--features", "loopback"], &["--features", "tls"]] {
        run(cargo()
            .args(["clippy", "-p", "grantwire-testkit", "--all-targets"])
            .args(features)
            .args(["--", "-D", "warnings"]));
    }
    run(cargo().args(["test", "-p", "grantwire-testkit", "--features", "tls"]));
    // The async adapter as users compile it: no optional feature, `middleware` alone, `tower`
    // alone (all features together is the main test run). The blocking adapter and the token
    // source have no optional features.
    eprintln!("xtask: grantwire-reqwest without features, with middleware, with tower");
    for features in [
        &[][..],
        &["--features", "middleware"],
        &["--features", "tower"],
    ] {
        run(cargo()
            .args(["clippy", "-p", "grantwire-reqwest", "--all-targets"])
            .args(features)
            .args(["--", "-D", "warnings"]));
    }
    run(cargo().args(["test", "-p", "grantwire-reqwest"]));
}

/// The `rust-crypto`-only build of `grantwire-jose` is the no-C-compiler path: no crate in its
/// normal or build dependencies may compile C.
fn no_c_compiler_needed() {
    let mut cmd = cargo();
    cmd.args([
        "tree",
        "-p",
        "grantwire-jose",
        "--no-default-features",
        "--features",
        "rust-crypto",
        "-e",
        "normal,build",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    let tree = output(&mut cmd);
    let found: Vec<&str> = tree
        .lines()
        .filter(|l| C_BUILD_CRATES.contains(&l.split(' ').next().unwrap_or("")))
        .collect();
    if !found.is_empty() {
        eprintln!("xtask: the rust-crypto-only build needs a C compiler through: {found:?}");
        exit(1);
    }
    eprintln!("xtask: the rust-crypto-only build compiles no C");
}

/// Runs `cmd` and returns its standard output, exiting on failure.
fn output(cmd: &mut Command) -> String {
    eprintln!("xtask: running {cmd:?}");
    match cmd.output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            eprintln!(
                "xtask: {cmd:?} failed with {}: {}",
                o.status,
                String::from_utf8_lossy(&o.stderr)
            );
            exit(1)
        }
        Err(e) => {
            eprintln!("xtask: could not start {cmd:?}: {e}");
            exit(1)
        }
    }
}

/// The `rust-version` the workspace declares.
fn msrv() -> String {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap_or_default();
    manifest
        .lines()
        .find_map(|l| {
            let rest = l.trim().strip_prefix("rust-version")?;
            Some(
                rest.trim_start_matches([' ', '='])
                    .trim()
                    .trim_matches('"')
                    .to_owned(),
            )
        })
        .unwrap_or_else(|| {
            eprintln!("xtask: no rust-version in Cargo.toml");
            exit(1)
        })
}

/// Builds the library crates users depend on with the declared MSRV toolchain (installed with
/// rustup when missing), in every backend combination, into `target/msrv` (another compiler's
/// artifacts). Benches, examples, tests and xtask may need a newer toolchain.
fn msrv_build() {
    let version = msrv();
    let installed = Command::new("rustup")
        .args(["run", &version, "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            &version,
            "--profile",
            "minimal",
        ]));
    }
    let target = root().join("target").join("msrv");
    let msrv_cargo = || {
        let mut c = Command::new("rustup");
        c.args(["run", &version, "cargo", "build", "--locked"])
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTC")
            .env_remove("RUSTDOC")
            .current_dir(root());
        c
    };
    let packages: Vec<&str> = LIBRARY_CRATES.iter().flat_map(|p| ["-p", *p]).collect();
    run(msrv_cargo().args(&packages).arg("--all-features"));
    run(msrv_cargo().args(&packages));
    for (_, flags) in &JOSE_BACKENDS[1..] {
        run(msrv_cargo().args(["-p", "grantwire-jose"]).args(*flags));
    }
}

/// Rustdoc of every crate with warnings (broken links, bad code blocks) denied.
fn doc() {
    run(cargo().env("RUSTDOCFLAGS", "-D warnings").args([
        "doc",
        "--no-deps",
        "--workspace",
        "--all-features",
    ]));
}

/// The RustSec advisory database cargo-deny reads, where it keeps its copy.
fn advisory_db() -> Option<PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let dir = home.join("advisory-dbs");
    std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("crates").is_dir())
}

/// cargo-deny with the committed `deny.toml`: bans, licenses and sources always; advisories
/// only where a local copy of the advisory database exists (CI machines cannot download it).
fn deny() {
    let ok = Command::new("cargo")
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        run(Command::new("cargo").args([
            "install",
            "cargo-deny",
            "--locked",
            "--version",
            CARGO_DENY_VERSION,
        ]));
    }
    // Without the inclusion graphs, the duplicate-version warnings stay a few lines; run
    // `cargo deny check` by hand to see why a crate is in the tree.
    run(cargo().args([
        "deny",
        "check",
        "--hide-inclusion-graph",
        "bans",
        "licenses",
        "sources",
    ]));
    match advisory_db() {
        Some(db) => {
            eprintln!("xtask: advisory database found at {}", db.display());
            run(cargo().args(["deny", "--offline", "check", "advisories"]));
        }
        None => eprintln!(
            "xtask: advisories not checked: no local RustSec advisory database (see README, Development)"
        ),
    }
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
    // Core exchange against oauth2 and a hand-rolled floor, the lifecycle cache hit, and the
    // token clients (cache hit, loopback fetch) against oauth2 and huskarl (token_client).
    // `peers` runs last, on its own, so its one-run table ends the output.
    run(cargo().args([
        "bench",
        "-p",
        "grantwire-bench",
        "--bench",
        "exchange",
        "--bench",
        "lifecycle",
        "--bench",
        "token_source",
        "--bench",
        "token_client",
    ]));
    // Client assertions on every backend against raw signatures and jsonwebtoken.
    run(cargo().args([
        "bench",
        "-p",
        "grantwire-jose",
        "--all-features",
        "--bench",
        "assertion",
    ]));
    // Issue 12's one-run table: every assertion, the exchange and the token parse beside their
    // peers and raw primitives, clock and OS randomness in every timed loop.
    run(cargo().args(["bench", "-p", "grantwire-bench", "--bench", "peers"]));
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
            let mut times = Vec::new();
            let mut step = |name: &'static str, f: &dyn Fn()| {
                let t = Instant::now();
                f();
                times.push((name, t.elapsed().as_secs_f64()));
            };
            step("fmt", &|| run(cargo().args(["fmt", "--all", "--check"])));
            step("clippy", &|| {
                run(cargo().args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--all-features",
                    "--",
                    "-D",
                    "warnings",
                ]))
            });
            step("tests (all features)", &tests);
            step("interop (oidc-provider)", &interop);
            step("feature matrix", &features);
            step("doc", &doc);
            step("deny", &deny);
            step("msrv", &msrv_build);
            step("fuzz smoke", &|| fuzz(fuzz_seconds));
            for (name, secs) in &times {
                eprintln!("xtask: {name:<24} {secs:>6.0}s");
            }
            eprintln!(
                "xtask: ci passed in {:.0}s",
                started.elapsed().as_secs_f64()
            );
        }
        Some("test") => tests(),
        Some("interop") => interop(),
        Some("features") => features(),
        Some("msrv") => msrv_build(),
        Some("doc") => doc(),
        Some("deny") => deny(),
        Some("fuzz") => fuzz(fuzz_seconds),
        Some("bench") => bench(),
        Some("interop-setup") => interop_setup(),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci|test|interop|features|msrv|doc|deny|fuzz|bench|interop-setup>"
            );
            eprintln!("  ci        all of the below but bench, then a timing summary");
            eprintln!("  test      all tests and doctests, all features, interop peers required");
            eprintln!("  interop   grantwire against oidc-provider on 127.0.0.1 (npm ci first)");
            eprintln!(
                "  features  grantwire-jose with each backend alone, grantwire-testkit defaults"
            );
            eprintln!("  msrv      build the library crates with the rust-version of Cargo.toml");
            eprintln!("  doc       rustdoc with -D warnings");
            eprintln!(
                "  deny      cargo deny: bans, licenses, sources (advisories if a local db exists)"
            );
            eprintln!("  fuzz      run every fuzz target for GRANTWIRE_FUZZ_SECONDS (default {DEFAULT_FUZZ_SECONDS}) seconds");
            eprintln!("  bench     criterion benchmarks with peers, ratios printed");
            exit(2);
        }
    }
}
