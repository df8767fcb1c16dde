//! The object storage case: the data pipeline's 1,000,000 transactions written to and read
//! from Parquet on an S3 server on 127.0.0.1 (moto's, from the pinned environment), and a
//! partitioned folder of 5,000 partitions there listed: kedrust through the `object_store`
//! crate, Kedro through fsspec and s3fs, on the same server in the same run.

use super::cases::progress;
use super::measure;
use super::report::{Results, ms, ratio_cells};
use super::{Bench, CASE_BUDGET_SECS};
use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How many partitions the listed folder has.
pub const PARTS: usize = 5_000;
/// How many the setup writes, when not [`PARTS`] (a smoke run writes fewer).
pub const PARTS_ENV: &str = "KEDRUST_BENCH_PARTS";

/// The case's catalog files, removed afterwards so no other case sees them.
const CATALOG: &str = "conf/base/catalog_s3.yml";
const CREDENTIALS: &str = "conf/local/credentials.yml";

/// moto's standalone S3 server, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server on a free port with the bucket `bench`; its endpoint.
fn start(b: &Bench) -> Result<(Server, String), String> {
    let bin = b.python_tool("moto_server").get_program().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.to_string_lossy()))?;
    let server = Server(child);
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // Creating the bucket is the readiness check: it answers 200 once the server is up.
        let created = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT"])
            .arg(format!("{endpoint}/bench"))
            .output()
            .map_err(|e| format!("curl: {e}"))?;
        if created.stdout == b"200" {
            return Ok((server, endpoint));
        }
        if Instant::now() > deadline {
            return Err("the S3 server did not start within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn write(root: &std::path::Path, file: &str, text: &str) -> Result<(), String> {
    let path = root.join(file);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Both projects' entries on the server: kedrust's under `kedrust/`, Kedro's under `kedro/`.
fn write_catalogs(b: &Bench, endpoint: &str) -> Result<(), String> {
    let credentials = format!(
        "bench_s3:\n  key: bench\n  secret: bench-secret\n  client_kwargs:\n    \
         endpoint_url: {endpoint}\n    region_name: us-east-1\n"
    );
    let parts = |name: &str, prefix: &str| {
        format!(
            "{name}:\n  type: partitions.PartitionedDataset\n  path: s3://bench/{prefix}/parts\n  \
             dataset: json.JSONDataset\n  filename_suffix: .json\n  credentials: bench_s3\n"
        )
    };
    let table = |kind: &str, prefix: &str| {
        format!(
            "s3_transactions:\n  type: {kind}.ParquetDataset\n  \
             filepath: s3://bench/{prefix}/transactions.parquet\n  credentials: bench_s3\n"
        )
    };
    for root in [&b.kedrust_dir, &b.kedro_dir] {
        write(root, CREDENTIALS, &credentials)?;
    }
    write(
        &b.kedrust_dir,
        CATALOG,
        &format!(
            "{}{}{}",
            table("polars", "kedrust"),
            parts("s3_parts", "kedrust"),
            parts("s3_parts_kedro", "kedro")
        ),
    )?;
    write(
        &b.kedro_dir,
        CATALOG,
        &format!("{}{}", table("pandas", "kedro"), parts("s3_parts", "kedro")),
    )
}

/// Writing and reading 1,000,000 rows of Parquet, and listing 5,000 partitions, on the S3
/// server.
pub fn run(b: &Bench, results: &mut Results) -> Result<(), String> {
    if super::cases::without_frames(results, "Object storage") {
        return Ok(());
    }
    let rows = if b.options.quick { 1_000 } else { 1_000_000 };
    for dir in [&b.kedrust_dir, &b.kedro_dir] {
        super::data::write_inputs(dir, rows).map_err(|e| e.to_string())?;
    }
    let (_server, endpoint) = start(b)?;
    write_catalogs(b, &endpoint)?;
    let parts = if b.options.quick { 50 } else { PARTS };
    progress(&format!(
        "object storage: {parts} partitions written (setup, not measured)"
    ));
    let mut setup = b.kedrust("s3", &["run", "-p", "s3_make_parts"]);
    setup.env(PARTS_ENV, parts.to_string());
    measure::run(setup)?;
    let repeat = b.repeat_for(CASE_BUDGET_SECS / 6.0);
    let mut table = String::from(
        "| case | kedrust (ms) | Kedro (ms) | kedrust / Kedro | better by |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for (pipeline, what) in [
        (
            "s3_write",
            format!("{rows} rows from CSV to Parquet on S3 (`run -p s3_write`)"),
        ),
        (
            "s3_read",
            format!("{rows} rows of Parquet read from S3 (`run -p s3_read`)"),
        ),
        (
            "s3_list",
            format!("a partitioned folder of {parts} partitions listed (`run -p s3_list`)"),
        ),
    ] {
        progress(&format!("object storage: {pipeline}"));
        let ours = measure::median(repeat, || b.kedrust("s3", &["run", "-p", pipeline]))?;
        let theirs = measure::median(repeat, || {
            let mut c = b.python_tool("kedro");
            c.args(["run", "--pipeline", pipeline]);
            c
        })?;
        let ratio = ours.wall.as_secs_f64() / theirs.wall.as_secs_f64();
        let _ = writeln!(
            table,
            "| {what} | **{}** | {} | {} |",
            ms(ours.wall),
            ms(theirs.wall),
            ratio_cells(ratio)
        );
    }
    for root in [&b.kedrust_dir, &b.kedro_dir] {
        for file in [CATALOG, CREDENTIALS] {
            std::fs::remove_file(root.join(file)).map_err(|e| e.to_string())?;
        }
    }
    results.section(
        "Object storage",
        &format!(
            "An S3 server on 127.0.0.1 (moto's standalone server, pinned in \
             `python-pins.txt`), the same for both systems in the same run. kedrust reads and \
             writes through the `object_store` crate (one PUT per object, one paginated \
             listing per folder); Kedro through fsspec and s3fs (`pandas.ParquetDataset`, \
             `partitions.PartitionedDataset`). Whole commands, start-up included, as in the \
             data pipeline case; the write reads the local CSV of {rows} transactions first. \
             The server keeps objects in memory: the figures are the clients' costs and a \
             local round trip, not a cloud's latency."
        ),
        table,
    );
    Ok(())
}
