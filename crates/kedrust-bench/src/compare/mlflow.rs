//! MLflow tracking's cost (#22): the same runs with tracking off and on, kedrust's hook (a
//! nested run per node, sent in the background) against kedro-mlflow's on Kedro (one run,
//! the nodes' parameters), both on the pinned MLflow: a local SQLite store, and outside quick
//! runs a local `mlflow server`.

use super::cases::{progress, without_frames};
use super::measure::{self, Sample};
use super::report::{Headline, Results, mib, ms};
use super::{Bench, projects};
use crate::process_runner::pipeline_name;
use crate::shapes::Shape;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Where a row's runs are tracked.
#[derive(Clone, Copy)]
enum Tracking<'a> {
    Off,
    Local,
    Server(&'a str),
}

impl Tracking<'_> {
    /// Turns kedro-mlflow's hook on for a tracked run (without an mlflow.yml it would track
    /// to `mlruns`, a folder store MLflow 3 refuses).
    fn hook_on(self, kedro: &mut Command) {
        if !matches!(self, Tracking::Off) {
            kedro.env("BENCH_MLFLOW", "1");
        }
    }

    /// The environment a run names (`base` has no mlflow.yml).
    fn env(self) -> &'static str {
        match self {
            Tracking::Off => "base",
            Tracking::Local => "tracked",
            Tracking::Server(_) => "tracked_server",
        }
    }
}

/// Writes both systems' `mlflow.yml` of `tracking` into the project at `root`.
fn mlflow_yml(root: &Path, tracking: Tracking<'_>) -> Result<(), String> {
    let uri = match tracking {
        Tracking::Off => return Ok(()),
        // kedro-mlflow's default (`mlruns`, a folder store) needs an opt-in on MLflow 3, so
        // both write the SQLite store MLflow itself defaults to.
        Tracking::Local => format!("sqlite:///{}", root.join("mlflow.db").display()),
        Tracking::Server(uri) => uri.to_owned(),
    };
    let dir = root.join("conf").join(tracking.env());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("mlflow.yml"),
        format!(
            "server:\n  mlflow_tracking_uri: {uri}\ntracking:\n  experiment:\n    name: bench\n"
        ),
    )
    .map_err(|e| e.to_string())
}

/// An `mlflow server` on a free port of 127.0.0.1 with a SQLite store in `dir`, once it
/// answers.
struct Server {
    child: Child,
    uri: String,
}

impl Server {
    fn start(b: &Bench, dir: &Path) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = b
            .python_tool("mlflow")
            .args(["server", "--backend-store-uri"])
            .arg(format!("sqlite:///{}", dir.join("server.db").display()))
            .arg("--artifacts-destination")
            .arg(dir.join("server-artifacts"))
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--workers",
                "1",
            ])
            .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start mlflow server: {e}"))?;
        let server = Self {
            child,
            uri: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while !healthy(port) {
            if Instant::now() > deadline {
                return Err("mlflow server did not answer within 120 s".into());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Whether the server on `port` answers `/health`.
fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut answer = String::new();
    stream
        .write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .and_then(|()| stream.read_to_string(&mut answer))
        .is_ok()
        && answer.starts_with("HTTP/1.")
        && answer.contains(" 200 ")
}

/// The chain and spaceflights, tracking off, to a local store and to a server.
pub fn run(b: &Bench, results: &mut Results) -> Result<(), String> {
    let size = if b.options.quick { 10 } else { 100 };
    let server = if b.options.quick {
        None
    } else {
        Some(Server::start(
            b,
            b.kedrust_dir.parent().unwrap_or(&b.kedrust_dir),
        )?)
    };
    let mut trackings = vec![Tracking::Off, Tracking::Local];
    if let Some(s) = &server {
        trackings.push(Tracking::Server(&s.uri));
    }
    for root in [&b.kedro_dir, &b.kedrust_dir] {
        for &t in &trackings {
            mlflow_yml(root, t)?;
        }
    }
    let mut table = String::from(
        "| run | nodes | tracking | run (ms) | added per node (ms) | peak memory (MiB) |\n\
         |---|---:|---|---:|---:|---:|\n",
    );
    let mut rows = |what: &str, nodes: usize, samples: &[(Tracking<'_>, Sample)]| {
        let off = samples[0].1.wall.as_secs_f64();
        for (t, s) in samples {
            let added = match t {
                Tracking::Off => "–".to_owned(),
                _ => format!("{:.1}", (s.wall.as_secs_f64() - off) * 1e3 / nodes as f64),
            };
            let tracking = match t {
                Tracking::Off => "off",
                Tracking::Local => "local SQLite store",
                Tracking::Server(_) => "mlflow server",
            };
            let _ = writeln!(
                table,
                "| {what} | {nodes} | {tracking} | **{}** | {added} | {} |",
                ms(s.wall),
                mib(s.peak_kib)
            );
        }
    };

    // A chain of trivial nodes.
    let chain = pipeline_name(Shape::Chain, size);
    let registered = format!("{}:{size}", Shape::Chain.key());
    let json = projects::shape_json(&b.kedro_dir, Shape::Chain, size)?;
    let repeat = b.repeat_for(10.0);
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for &t in &trackings {
        ours.push((
            t,
            measure::median(repeat, || {
                b.kedrust(
                    &registered,
                    &["run", "--pipeline", &chain, "--env", t.env()],
                )
            })?,
        ));
        theirs.push((
            t,
            measure::median(repeat, || {
                let mut c = b.python_tool("kedro");
                c.args(["run", "--pipeline", &chain, "--env", t.env()])
                    .env("BENCH_SHAPES", &json);
                t.hook_on(&mut c);
                c
            })?,
        ));
    }
    rows("kedrust, a chain", size, &ours);
    rows("Kedro + kedro-mlflow, a chain", size, &theirs);
    // What tracking adds to a run, per node, beside what kedro-mlflow adds.
    let added = |samples: &[(Tracking<'_>, Sample)], i: usize| {
        (samples[i].1.wall.as_secs_f64() - samples[0].1.wall.as_secs_f64()) * 1e3 / size as f64
    };
    for (i, &t) in trackings.iter().enumerate().skip(1) {
        let store = match t {
            Tracking::Server(_) => "an mlflow server",
            _ => "the local store",
        };
        let (a, b) = (added(&ours, i), added(&theirs, i));
        results.headline_row(Headline {
            case: format!("MLflow tracking to {store}: time added per node (chain of {size})"),
            kedrust: format!("{a:.1} ms"),
            python: format!("{b:.1} ms"),
            ratio: a / b,
            target: None,
            why_missed: None,
        });
    }
    progress("mlflow: chain done");

    if !without_frames(results, "MLflow tracking: spaceflights") {
        let binary = b.exe.with_file_name("spaceflights");
        if binary.is_file() {
            let shuttles = if b.options.quick { 500 } else { 155_310 };
            let dir = b.kedrust_dir.join("spaceflights-mlflow");
            projects::copy_tree(&projects::spaceflights_conf(), &dir.join("conf"))?;
            for &t in &trackings {
                mlflow_yml(&dir, t)?;
            }
            let example = |args: &[&str]| {
                let mut c = Command::new(&binary);
                c.arg("--project-dir").arg(&dir).args(args);
                c
            };
            measure::run(example(&["generate", &shuttles.to_string()]))?;
            projects::copy_tree(&dir.join("data/01_raw"), &b.kedro_dir.join("data/01_raw"))?;
            let repeat = b.repeat_for(15.0);
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for &t in &trackings {
                ours.push((
                    t,
                    measure::median(repeat, || example(&["run", "--env", t.env()]))?,
                ));
                theirs.push((
                    t,
                    measure::median(repeat, || {
                        let mut c = b.python_tool("kedro");
                        c.args(["run", "--pipeline", "spaceflights", "--env", t.env()]);
                        t.hook_on(&mut c);
                        c
                    })?,
                ));
            }
            rows(
                &format!("kedrust, spaceflights ({shuttles} shuttles)"),
                6,
                &ours,
            );
            rows(
                &format!("Kedro + kedro-mlflow, spaceflights ({shuttles} shuttles)"),
                6,
                &theirs,
            );
            progress("mlflow: spaceflights done");
        }
    }
    drop(server);
    results.section(
        "MLflow tracking",
        "The same runs with tracking off and on: kedrust's hook (a parent run and a nested run \
         per node with its parameters and duration, sent by a background thread and flushed at \
         the end) against kedro-mlflow's on Kedro (one run with the nodes' parameters), both \
         on the pinned MLflow, to a local SQLite store (what MLflow writes for \
         `sqlite:///mlflow.db`) and to a local `mlflow server` on that kind of store. Whole \
         `run` commands; \"added per node\" is the difference to tracking off, divided by the \
         nodes.",
        table,
    );
    Ok(())
}
