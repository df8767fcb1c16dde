//! `compare`: kedrust against Kedro and kedro-dagster on this machine, in one run. Both
//! projects are generated into a temporary folder; the Python side runs in the pinned
//! environment (`python-pins.txt`). Every figure of `bench/RESULTS.md`, and the headline table
//! of the README, is written here.

mod asset_graph;
mod cases;
mod data;
mod grouping;
pub(crate) mod measure;
mod mlflow;
mod object_storage;
mod partitions;
mod projects;
pub(crate) mod report;

use std::path::{Path, PathBuf};
use std::process::Command;

#[cfg(feature = "frames")]
pub use object_storage::{PARTS as OBJECT_STORAGE_PARTS, PARTS_ENV};
pub use partitions::PIPELINE as PARTITIONED_PIPELINE;

/// A case is not run when its previous size extrapolates past this.
const SKIP_AFTER_SECS: f64 = 600.0;
/// Repeats shrink so that one case takes about this long (but at least one run).
const CASE_BUDGET_SECS: f64 = 60.0;

/// What `compare` was asked.
pub struct Options {
    /// The pinned environment's Python (its `bin/` holds `kedro` and `dagster`).
    pub python: PathBuf,
    /// A smoke run: the smallest sizes, once each.
    pub quick: bool,
    /// Runs per case (a median is reported).
    pub repeat: usize,
    /// Where to write the results (`bench/RESULTS.md`).
    pub out: Option<PathBuf>,
    /// The README whose headline table is replaced.
    pub readme: Option<PathBuf>,
    /// Only these cases (all when empty).
    pub only: Vec<String>,
}

/// The cases, by name.
type Case = fn(&Bench, &mut report::Results) -> Result<(), String>;
const CASES: [(&str, Case); 11] = [
    ("overhead", cases::overhead),
    ("startup", cases::startup),
    ("code-location", cases::code_location),
    ("asset-graph", asset_graph::run),
    ("partitions", partitions::run),
    ("dagster-steps", cases::dagster_steps),
    ("data", cases::data),
    ("object-storage", object_storage::run),
    ("spaceflights", cases::spaceflights),
    ("grouping", grouping::run),
    ("mlflow", mlflow::run),
];

/// One of the two Dagster code locations, with the shapes its project registers.
#[derive(Clone, Copy)]
pub enum Location<'a> {
    /// kedrust's: `KEDRUST_BENCH_PIPELINES` (`shape:size,...`).
    Kedrust {
        /// The shapes, `shape:size,...`.
        pipelines: &'a str,
    },
    /// kedro-dagster's: `BENCH_SHAPES` (paths of shape descriptions).
    KedroDagster {
        /// The shape descriptions, `:`-separated paths.
        shapes: &'a str,
    },
    /// Dagster's floor, no-op Python ops in `dir`: `BENCH_FLOOR` (`executor:job=size,...`).
    Floor {
        /// The folder of its `definitions.py`.
        dir: &'a Path,
        /// The executor and jobs.
        spec: &'a str,
    },
}

/// Everything the cases share: the two projects and how to call each system.
pub struct Bench {
    options: Options,
    exe: PathBuf,
    _dir: tempfile::TempDir,
    kedro_dir: PathBuf,
    kedrust_dir: PathBuf,
    dagster_home: PathBuf,
}

impl Bench {
    fn new(options: Options) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let kedro_dir = dir.path().join("kedro-project");
        let kedrust_dir = dir.path().join("kedrust-project");
        let dagster_home = dir.path().join("dagster-home");
        std::fs::create_dir_all(&dagster_home).map_err(|e| e.to_string())?;
        std::fs::write(
            dagster_home.join("dagster.yaml"),
            "telemetry:\n  enabled: false\n",
        )
        .map_err(|e| e.to_string())?;
        let bench = Self {
            exe: std::env::current_exe().map_err(|e| e.to_string())?,
            _dir: dir,
            kedro_dir,
            kedrust_dir,
            dagster_home,
            options,
        };
        let versions = bench.versions()?;
        let kedro_version = versions
            .iter()
            .find(|(name, _)| name == "kedro")
            .map_or("1.0.0", |(_, v)| v.as_str());
        projects::kedro(&bench.kedro_dir, kedro_version)?;
        projects::kedrust(&bench.kedrust_dir)?;
        Ok(bench)
    }

    /// An executable of the pinned Python environment (`kedro`, `dagster`, `python`), run in
    /// the Kedro project without telemetry.
    fn python_tool(&self, tool: &str) -> Command {
        let bin = self
            .options
            .python
            .parent()
            .map_or_else(|| PathBuf::from(tool), |b| b.join(tool));
        let mut c = Command::new(bin);
        c.current_dir(&self.kedro_dir)
            .env("KEDRO_DISABLE_TELEMETRY", "true")
            .env("DO_NOT_TRACK", "1")
            .env("DAGSTER_DISABLE_TELEMETRY", "1")
            .env("DAGSTER_HOME", &self.dagster_home);
        c
    }

    /// This binary as the kedrust project, with `pipelines` (`shape:size,...`) registered.
    fn kedrust(&self, pipelines: &str, args: &[&str]) -> Command {
        let mut c = Command::new(&self.exe);
        c.arg("--project-dir")
            .arg(&self.kedrust_dir)
            .args(args)
            .current_dir(&self.kedrust_dir)
            .env(crate::process_runner::PIPELINES_ENV, pipelines)
            .env("DAGSTER_DISABLE_TELEMETRY", "1")
            .env("DAGSTER_HOME", &self.dagster_home);
        c
    }

    /// `dagster <command> -f <definitions.py> <rest>` on one code location, with its shapes.
    fn dagster(&self, location: Location<'_>, command: &[&str], rest: &[&str]) -> Command {
        let (dir, definitions, variable, shapes) = match location {
            Location::Kedrust { pipelines } => (
                self.kedrust_dir.as_path(),
                "definitions.py",
                crate::process_runner::PIPELINES_ENV,
                pipelines,
            ),
            Location::KedroDagster { shapes } => (
                self.kedro_dir.as_path(),
                projects::KEDRO_DEFINITIONS,
                "BENCH_SHAPES",
                shapes,
            ),
            Location::Floor { dir, spec } => (dir, "definitions.py", "BENCH_FLOOR", spec),
        };
        let mut c = self.python_tool("dagster");
        c.current_dir(dir)
            .args(command)
            .args(["-f", definitions])
            .args(rest)
            .env(variable, shapes);
        c
    }

    /// `dagster definitions validate` of one code location: Dagster's whole load of it.
    fn validate(&self, location: Location<'_>) -> Command {
        self.dagster(location, &["definitions", "validate"], &[])
    }

    /// How often to repeat a case whose single run is expected to take `estimate` seconds.
    fn repeat_for(&self, estimate: f64) -> usize {
        if self.options.quick {
            return 1;
        }
        let fit = (CASE_BUDGET_SECS / estimate.max(1e-6)).floor() as usize;
        fit.clamp(1, self.options.repeat)
    }

    /// The versions of every Python package compared, and Python's.
    fn versions(&self) -> Result<Vec<(String, String)>, String> {
        let mut c = self.python_tool("python");
        c.current_dir(std::env::temp_dir()).args([
            "-c",
            "import importlib.metadata as m, platform\n\
             for d in ['kedro', 'kedro-datasets', 'kedro-dagster', 'dagster', 'pandas', 'pyarrow', 'mlflow', 'kedro-mlflow']:\n\
             \x20   print(d, m.version(d))\n\
             print('python', platform.python_version())",
        ]);
        let (_, out) = measure::run(c).map_err(|e| {
            format!(
                "the pinned Python environment is missing ({e}); build it with \
                 `python3 -m venv .venv-test && .venv-test/bin/pip install -r python-pins.txt`"
            )
        })?;
        Ok(out
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect())
    }
}

/// Runs every case and writes the results.
pub fn run(options: Options) -> Result<(), String> {
    let command = std::iter::once("kedrust-bench".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let started = std::time::Instant::now();
    if let Some(unknown) = options
        .only
        .iter()
        .find(|o| !CASES.iter().any(|(name, _)| name == o))
    {
        let names: Vec<&str> = CASES.iter().map(|(n, _)| *n).collect();
        return Err(format!("no case '{unknown}' (cases: {})", names.join(", ")));
    }
    let out = options.out.clone();
    let readme = options.readme.clone();
    let bench = Bench::new(options)?;
    let versions = bench.versions()?;
    let mut results = report::Results::default();
    for (name, case) in CASES {
        if bench.options.only.is_empty() || bench.options.only.iter().any(|o| o == name) {
            cases::progress(&format!("{name}..."));
            case(&bench, &mut results)?;
        }
    }
    let text = results.render(&command, &versions, bench.options.repeat, started.elapsed());
    print!("{text}");
    if let Some(path) = out {
        std::fs::write(&path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = readme {
        report::replace_headline(&path, &results.headline())?;
    }
    Ok(())
}
