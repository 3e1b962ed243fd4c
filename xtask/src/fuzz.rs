//! `cargo xtask fuzz`: the decoders under libFuzzer (the targets of `fuzz/`, see
//! `fuzz/README.md`). cargo-fuzz is installed into `.orrery/tools` when missing; the
//! targets are built once (release, debug assertions on, no sanitizer: the project's code
//! forbids `unsafe`) on the stable toolchain with `RUSTC_BOOTSTRAP=1`, and each runs for a
//! while on the committed corpus (`fuzz/corpus/<target>`) plus a scratch one
//! (`.orrery/fuzz/corpus/<target>`) where libFuzzer keeps what it finds. A crash leaves
//! its input in `fuzz/artifacts/<target>/` and fails the run.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo-fuzz release installed when none is found.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// How long each target runs in `cargo xtask test`.
pub const TEST_SECONDS: u64 = 4;

#[derive(clap::Args, Debug)]
pub struct FuzzArgs {
    /// Seconds each target runs (0: only build them).
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Run each target in this many processes at once (libFuzzer's `-fork`).
    #[arg(long, default_value_t = 1)]
    pub jobs: u32,
    /// Rewrite the seed corpus from the real encoders (`fuzz/seeds/main.rs`), then stop.
    #[arg(long)]
    pub seed: bool,
    /// After the run, add what it found that covers something new to the committed corpus.
    #[arg(long)]
    pub merge: bool,
    /// The targets to run (all when none is named; `cargo xtask fuzz --list` names them).
    pub targets: Vec<String>,
    /// Name the targets, then stop.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: FuzzArgs) -> anyhow::Result<()> {
    let fuzz = Fuzz::prepare()?;
    if args.seed {
        return fuzz.seed();
    }
    let all = fuzz.targets()?;
    if args.list {
        all.iter().for_each(|t| println!("{t}"));
        return Ok(());
    }
    let targets = if args.targets.is_empty() { all.clone() } else { args.targets.clone() };
    if let Some(unknown) = targets.iter().find(|t| !all.contains(t)) {
        bail!("no fuzz target `{unknown}`; there are: {}", all.join(", "));
    }
    fuzz.build()?;
    if args.seconds == 0 {
        // libFuzzer reads `-max_total_time=0` as "no limit".
        return Ok(());
    }
    for target in &targets {
        fuzz.run(target, args.seconds, args.jobs)?;
        if args.merge {
            fuzz.merge(target)?;
        }
    }
    println!("fuzz: {} passed, 0 failed", targets.len());
    Ok(())
}

/// The short run of `cargo xtask test`: every target for [`TEST_SECONDS`].
pub fn test() -> anyhow::Result<()> {
    let fuzz = Fuzz::prepare()?;
    let started = std::time::Instant::now();
    fuzz.build()?;
    let targets = fuzz.targets()?;
    for target in &targets {
        fuzz.run(target, TEST_SECONDS, 1)?;
    }
    println!("fuzz: {} targets for {TEST_SECONDS} s each, {:.0} s with the build", targets.len(), started.elapsed().as_secs_f64());
    println!("fuzz: {} passed, 0 failed", targets.len());
    Ok(())
}

struct Fuzz {
    root: PathBuf,
    dir: PathBuf,
    cargo_fuzz: PathBuf,
}

impl Fuzz {
    fn prepare() -> anyhow::Result<Self> {
        let root = crate::root();
        let dir = root.join("fuzz");
        let cargo_fuzz = cargo_fuzz(&root)?;
        Ok(Self { root, dir, cargo_fuzz })
    }

    fn cargo_fuzz(&self) -> Command {
        let mut cmd = Command::new(&self.cargo_fuzz);
        // cargo-fuzz passes a few `-Z` flags: accepted by the stable toolchain with this.
        cmd.arg("fuzz").current_dir(&self.dir).env("RUSTC_BOOTSTRAP", "1");
        cmd
    }

    fn targets(&self) -> anyhow::Result<Vec<String>> {
        let out = self.cargo_fuzz().arg("list").output().context("cargo fuzz list")?;
        if !out.status.success() {
            bail!("cargo fuzz list failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
    }

    /// Every target in one build.
    fn build(&self) -> anyhow::Result<()> {
        println!("Building the fuzz targets (cargo fuzz build, release with debug assertions)…");
        let status = self.cargo_fuzz().args(["build", "--sanitizer", "none", "--debug-assertions"]).status()?;
        if !status.success() {
            bail!("building the fuzz targets failed");
        }
        Ok(())
    }

    fn binary(&self, target: &str) -> anyhow::Result<PathBuf> {
        Ok(self.dir.join("target").join(host_triple()?).join("release").join(target))
    }

    fn scratch_corpus(&self, target: &str) -> PathBuf {
        self.root.join(".orrery").join("fuzz").join("corpus").join(target)
    }

    fn run(&self, target: &str, seconds: u64, jobs: u32) -> anyhow::Result<()> {
        let scratch = self.scratch_corpus(target);
        let artifacts = self.dir.join("artifacts").join(target);
        std::fs::create_dir_all(&scratch)?;
        std::fs::create_dir_all(&artifacts)?;
        println!("fuzz {target}: {seconds} s");
        let mut cmd = Command::new(self.binary(target)?);
        cmd.arg(&scratch)
            .arg(self.dir.join("corpus").join(target))
            .arg(format!("-max_total_time={seconds}"))
            .arg("-timeout=10")
            .arg("-rss_limit_mb=2048")
            .arg("-print_final_stats=1")
            .arg(format!("-artifact_prefix={}/", artifacts.display()));
        if jobs > 1 {
            cmd.arg(format!("-fork={jobs}")).arg("-ignore_crashes=0");
        }
        let log = scratch.with_extension("log");
        let status = cmd
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::options().append(true).open(&log)?)
            .status()
            .with_context(|| format!("running {}", self.binary(target).unwrap_or_default().display()))?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let summary = |prefix: &str| text.lines().rfind(|l| l.starts_with(prefix)).map(str::to_owned);
        if let Some(stats) = summary("stat::number_of_executed_units") {
            println!("  {}", stats.replace("stat::number_of_executed_units:", "runs:"));
        }
        if !status.success() {
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            bail!(
                "fuzz target {target} failed (log: {}); its input is in {}; reproduce with {} <input>",
                log.display(),
                artifacts.display(),
                self.binary(target)?.display()
            );
        }
        Ok(())
    }

    /// Adds the scratch corpus's inputs that cover something new to the committed one.
    fn merge(&self, target: &str) -> anyhow::Result<()> {
        let committed = self.dir.join("corpus").join(target);
        let status = Command::new(self.binary(target)?)
            .arg("-merge=1")
            .arg(&committed)
            .arg(self.scratch_corpus(target))
            .stderr(std::process::Stdio::null())
            .status()?;
        if !status.success() {
            bail!("merging the corpus of {target} failed");
        }
        println!("  merged into {}", committed.display());
        Ok(())
    }

    fn seed(&self) -> anyhow::Result<()> {
        let status = Command::new(env!("CARGO"))
            .args(["run", "--quiet", "--example", "fuzz-seeds"])
            .current_dir(&self.dir)
            .status()
            .context("cargo run --example fuzz-seeds")?;
        if !status.success() {
            bail!("writing the seed corpus failed");
        }
        Ok(())
    }
}

/// cargo-fuzz from `.orrery/tools/bin` or the PATH; installed into `.orrery/tools` from
/// crates.io when neither has it.
fn cargo_fuzz(root: &Path) -> anyhow::Result<PathBuf> {
    let tools = root.join(".orrery").join("tools");
    let local = tools.join("bin").join("cargo-fuzz");
    if local.exists() {
        return Ok(local);
    }
    if let Some(found) = crate::apt::find("cargo-fuzz") {
        return Ok(found);
    }
    println!("cargo-fuzz missing: cargo install --locked --root .orrery/tools cargo-fuzz@{CARGO_FUZZ_VERSION}");
    let status = Command::new(env!("CARGO"))
        .args(["install", "--locked", "--root"])
        .arg(&tools)
        .arg(format!("cargo-fuzz@{CARGO_FUZZ_VERSION}"))
        .status()
        .context("cargo install cargo-fuzz")?;
    if !status.success() || !local.exists() {
        bail!("installing cargo-fuzz failed; install it with: cargo install --locked cargo-fuzz@{CARGO_FUZZ_VERSION}");
    }
    Ok(local)
}

/// The host's target triple (cargo-fuzz builds for it, under `fuzz/target/<triple>/`).
fn host_triple() -> anyhow::Result<String> {
    let out = Command::new("rustc").arg("-vV").output().context("rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("rustc -vV names no host")
}
