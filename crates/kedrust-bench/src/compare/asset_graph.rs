//! The asset graph case: the code location's load when every dataset of a large pipeline
//! is an asset, kedrust's against kedro-dagster's.

use super::cases::{extrapolate, kedro_dagster_init, kedro_jobs, kedrust_jobs, progress};
use super::measure;
use super::report::{Headline, Results, ms, ratio_cells};
use super::{Bench, Location, SKIP_AFTER_SECS};
use crate::shapes::Shape;
use std::fmt::Write as _;
use std::time::Duration;

/// Every dataset of the layered-diamond shape (`d0`, `d1`, ...) as a persisted file, so that
/// each is an asset: one dataset factory pattern, in each system's own JSON type (kedrust's
/// `json.JSONDataset` holds documents; the shapes' values are integers, kept by serde).
fn asset_catalog(json_type: &str) -> String {
    format!("\"d{{index}}\":\n  type: {json_type}\n  filepath: data/assets/d{{index}}.json\n")
}

/// Fails unless kedrust's code location serves an asset for every dataset of the shape: a
/// graph that could not be planned would load fast and measure nothing.
fn check_assets(b: &Bench, registered: &str, size: usize) -> Result<(), String> {
    let (_, out) = measure::run(b.kedrust(registered, &["__dagster_plans"]))?;
    let plans: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
    let assets = plans["assets"].as_array().map_or(0, Vec::len);
    if assets < size {
        return Err(format!(
            "the asset graph has {assets} assets, expected at least {size}: {}",
            plans["asset_problem"]
        ));
    }
    Ok(())
}

/// Loading the code location with its asset graph: kedrust's binary serving the plans and
/// asset specs, and Dagster's whole load (`dagster definitions validate`) of both code
/// locations, for layered diamonds of 1,000 and 10,000 nodes whose datasets are all persisted.
pub fn run(b: &Bench, results: &mut Results) -> Result<(), String> {
    kedro_dagster_init(b)?;
    measure::run(b.kedrust("", &["dagster", "init", "--force"]))?;
    let ours_catalog = b.kedrust_dir.join("conf/base/catalog_assets.yml");
    let theirs_catalog = b.kedro_dir.join("conf/base/catalog_assets.yml");
    let write = |path: &std::path::Path, text: String| {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write(&ours_catalog, asset_catalog("serde.JSONDataset"))?;
    write(&theirs_catalog, asset_catalog("json.JSONDataset"))?;
    let sizes: &[usize] = if b.options.quick {
        &[10]
    } else {
        &[1_000, 10_000]
    };
    let mut table = String::from(
        "| nodes (assets) | kedrust: plans and asset specs served (ms) | kedrust: `dagster definitions validate` (ms) | kedro-dagster: `dagster definitions validate` (ms) | kedrust / kedro-dagster | better by |\n\
         |---:|---:|---:|---:|---:|---:|\n",
    );
    let mut theirs_measured: Vec<(usize, f64)> = Vec::new();
    for &size in sizes {
        progress(&format!("asset graph, {size} nodes"));
        let registered = kedrust_jobs(b, Shape::Diamond, size, "in_process")?;
        let shapes = kedro_jobs(b, Shape::Diamond, size, "in_process")?;
        let plans = measure::median(b.options.repeat, || {
            b.kedrust(&registered, &["__dagster_plans"])
        })?;
        check_assets(b, &registered, size)?;
        let ours = measure::median(b.repeat_for(size as f64 / 200.0), || {
            b.validate(Location::Kedrust {
                pipelines: &registered,
            })
        })?;
        // kedro-dagster's load grows faster than linearly; a size it would take more than the
        // skip limit for is recorded as such rather than measured.
        let expected = extrapolate(&theirs_measured, size);
        let theirs = if expected > SKIP_AFTER_SECS {
            None
        } else {
            let command = b.validate(Location::KedroDagster { shapes: &shapes });
            match measure::run_limited(command, Duration::from_secs_f64(SKIP_AFTER_SECS))? {
                measure::Outcome::Done(sample, _) => Some(sample),
                measure::Outcome::Stopped => None,
            }
        };
        let theirs_cell = match theirs {
            Some(s) => {
                theirs_measured.push((size, s.wall.as_secs_f64()));
                format!("**{}**", ms(s.wall))
            }
            None => {
                theirs_measured.push((size, f64::INFINITY));
                format!("over {SKIP_AFTER_SECS:.0} s (stopped)")
            }
        };
        // A stopped load took at least the limit: the ratio is then a bound.
        let theirs_secs = theirs.map_or(SKIP_AFTER_SECS, |t| t.wall.as_secs_f64());
        let ratio = ours.wall.as_secs_f64() / theirs_secs;
        let ratio_text = if theirs.is_some() {
            ratio_cells(ratio)
        } else {
            format!("below {ratio:.4} | **over {:.1}×**", 1.0 / ratio)
        };
        let _ = writeln!(
            table,
            "| {size} | {} | **{}** | {theirs_cell} | {} |",
            ms(plans.wall),
            ms(ours.wall),
            ratio_text
        );
        if size == *sizes.last().unwrap_or(&size) {
            results.headline_row(Headline {
                case: format!(
                    "code location with its asset graph, {size} nodes: `dagster definitions validate`{}",
                    if theirs.is_some() {
                        ""
                    } else {
                        " (kedro-dagster stopped at the limit: the ratio is a bound)"
                    }
                ),
                kedrust: format!("{} ms", ms(ours.wall)),
                python: theirs.map_or_else(
                    || format!("over {SKIP_AFTER_SECS:.0} s"),
                    |t| format!("{} ms", ms(t.wall)),
                ),
                ratio,
                target: None,
                why_missed: None,
            });
        }
    }
    for path in [&ours_catalog, &theirs_catalog] {
        std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    results.section(
        "Code location load with the asset graph",
        "A layered diamond (width 8, each node reading two nodes of the layer before) whose \
         every dataset is a persisted JSON file (one dataset factory pattern), so that every \
         dataset is an asset with its lineage, and one job running the pipeline. kedrust: the \
         binary serving every job's plan and the asset specs (`__dagster_plans`), then \
         Dagster's whole load of the generated `definitions.py`. kedro-dagster: Dagster's whole \
         load of its `definitions.py` (Kedro session, catalog and pipeline translated into \
         multi-assets, IO managers and the job). A load past the skip limit is stopped.",
        table,
    );
    Ok(())
}
