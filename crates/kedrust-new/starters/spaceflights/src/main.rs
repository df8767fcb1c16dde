//! Kedro's spaceflights tutorial on kedrust. The whole project: pipelines, dataset types, a
//! `generate` command for the raw data, and kedrust's command line.
//!
//! `cargo run -- generate && cargo run -- run`

mod model;
mod pipelines;

use kedrust::prelude::*;
use pipelines::{data_processing, data_science};
use std::process::ExitCode;

fn generate(root: &std::path::Path, args: &[String]) -> Result<(), BoxError> {
    let rows = match args {
        [] => 15_531,
        [n] => n.parse().map_err(|_| format!("'{n}' is not a row count"))?,
        _ => return Err("usage: generate [rows]".into()),
    };
    spaceflights::generate::write(root, rows, 42)?;
    let limit = spaceflights::generate::SHEET_ROWS;
    let (file, _) = spaceflights::generate::shuttles_file(rows, limit);
    println!(
        "wrote {rows} shuttles to {}",
        root.join("data/01_raw").join(file).display()
    );
    if rows > limit {
        println!(
            "an Excel sheet holds {limit} rows below its header, so they are in a CSV file: \
             run with --env big"
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let project = Project::new("spaceflights")
        .root(env!("CARGO_MANIFEST_DIR"))
        // `__default__` is the sum of both.
        .pipeline("data_processing", data_processing::create_pipeline)
        .pipeline("data_science", data_science::create_pipeline)
        .datasets(|registry| {
            kedrust::frames::register(registry); // polars.CSVDataset, polars.ExcelDataset, ...
            registry.serde_type::<model::LinearModel>();
        })
        .command("generate", "writes the raw data: generate [rows]", generate);
    kedrust::cli::main(project)
}
