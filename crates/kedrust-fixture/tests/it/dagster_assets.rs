//! The asset graph of the generated code location, read back from Dagster, and assets
//! materialised the way the UI does it (the implicit asset job with a selection), with the
//! run's hook lifecycle checked in the trace.

use crate::Fixture;
use crate::dagster::{on_a_fresh_instance, run_dagster};
use serde_json::Value as Json;

/// The asset graph Dagster loaded (`key` → deps, group, kinds, whether it has a code version
/// and can be materialised) as `specs`, and `materialise(*keys)`, which runs the implicit
/// asset job on a selection as the UI does, then ticks the failure sensor.
const SPECS: &str = r#"
graph = location.defs.resolve_asset_graph()
specs = {"/".join(key.path): {
    "deps": sorted("/".join(p.path) for p in graph.get(key).parent_keys),
    "group": graph.get(key).group_name,
    "kinds": sorted(graph.get(key).kinds),
    "code_version": graph.get(key).code_version is not None,
    "owners": list(graph.get(key).owners),
    "tags": {k: v for k, v in graph.get(key).tags.items() if not k.startswith("dagster/")},
    "materialisable": graph.get(key).is_materializable,
} for key in graph.get_all_asset_keys()}
asset_job = location.defs.get_implicit_global_asset_job_def()
def materialise(*keys, ok=True):
    selection = [dg.AssetKey(k.split("/")) for k in keys] or None
    result = asset_job.execute_in_process(instance=instance, asset_selection=selection, raise_on_error=False)
    assert result.success == ok, (keys, result.success)
    tick()
    return result.run_id
"#;

/// The hooks of run `run_id`, as `hook node` lines in trace order.
fn lifecycle(f: &Fixture, run_id: &str) -> Vec<String> {
    f.trace()
        .iter()
        .filter(|t| t["run_id"] == run_id)
        .map(|t| {
            let node = t["node"]
                .as_str()
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            format!("{}{node}", t["hook"].as_str().unwrap_or("?"))
        })
        .filter(|l| !l.contains("dataset"))
        .collect()
}

fn spec<'a>(out: &'a Json, key: &str) -> &'a Json {
    let s = &out["specs"][key];
    assert!(!s.is_null(), "no asset {key} in {}", out["specs"]);
    s
}

#[test]
fn a_selected_asset_runs_the_nodes_it_needs_with_the_runs_hook_lifecycle() {
    // chain: make_numbers -(memory)-> double -> doubled -> total -> report -> summarise -> summary
    let script = format!(
        "{SPECS}\n\
         run = materialise('local/doubled')\n\
         latest = instance.get_latest_materialization_event(dg.AssetKey(['local', 'doubled']))\n\
         entries = {{k: str(v.value) for k, v in latest.asset_materialization.metadata.items()}}\n\
         print(json.dumps({{'specs': specs, 'run': run, 'materialised_by': latest.run_id, 'entries': entries}}))\n"
    );
    let (f, _home, last) = on_a_fresh_instance(&script, &[]);
    let out: Json = serde_json::from_str(&last).unwrap();
    // The lineage is the pipeline's: memory datasets are looked through.
    assert_eq!(spec(&out, "local/doubled")["deps"], serde_json::json!([]));
    assert_eq!(
        spec(&out, "local/report")["deps"],
        serde_json::json!(["local/doubled"])
    );
    assert_eq!(
        spec(&out, "local/summary")["deps"],
        serde_json::json!(["local/report"])
    );
    assert_eq!(
        spec(&out, "local/summary")["group"],
        "reporting",
        "from its metadata"
    );
    assert_eq!(
        spec(&out, "local/doubled")["group"],
        "chain",
        "its pipeline"
    );
    assert_eq!(
        spec(&out, "local/doubled")["kinds"],
        serde_json::json!(["json", "kedrust", "serde"])
    );
    assert_eq!(spec(&out, "local/report")["code_version"], true);
    // Owners and tags from the entry's metadata.
    assert_eq!(
        spec(&out, "local/summary")["owners"],
        serde_json::json!(["team:reporting"])
    );
    assert_eq!(
        spec(&out, "local/summary")["tags"],
        serde_json::json!({"tier": "gold"})
    );
    // A dataset only other pipelines' jobs write is an asset too, with no op.
    assert_eq!(spec(&out, "local/fan_report")["group"], "external");
    assert_eq!(spec(&out, "local/fan_report")["code_version"], false);
    assert_eq!(spec(&out, "local/fan_report")["materialisable"], false);
    assert_eq!(spec(&out, "local/summary")["materialisable"], true);
    assert!(
        out["specs"].get("local/numbers").is_none(),
        "memory datasets are not assets"
    );

    // `doubled` needs `numbers`, which only lives in memory: both nodes ran, in one op, and
    // nothing downstream.
    let run = out["run"].as_str().unwrap();
    assert_eq!(out["materialised_by"], run);
    // The materialisation says which kedrust run wrote it, and where.
    assert_eq!(out["entries"]["kedrust_run_id"], run);
    assert!(
        out["entries"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("data/doubled.json")),
        "{}",
        out["entries"]
    );
    assert_eq!(
        lifecycle(&f, run),
        [
            "after_context_created",
            "after_catalog_created",
            "before_pipeline_run",
            "before_node_run make_numbers",
            "after_node_run make_numbers",
            "before_node_run double",
            "after_node_run double",
            "after_pipeline_run",
        ]
    );
    let doubled = std::fs::read_to_string(f.path().join("data/doubled.json")).unwrap();
    let doubled: Vec<i64> = serde_json::from_str(&doubled).unwrap();
    assert_eq!(doubled, [2, 4, 6, 8]);
    let shown = f.run(&["runs", "show", run], &[]).stdout;
    assert!(shown.lines().next().unwrap().contains("SUCCESS"), "{shown}");
}

#[test]
fn namespaced_assets_materialise_all_a_subset_and_a_failed_run_once_each() {
    let script = format!(
        "{SPECS}\n\
         everything = materialise()\n\
         south = materialise('regions/south/total')\n\
         open('data/regions/north/numbers.json', 'w').write('not json')\n\
         failed = materialise('regions/north/total', ok=False)\n\
         tick(2)\n\
         print(json.dumps({{'specs': specs, 'runs': [everything, south, failed]}}))\n"
    );
    let (f, _home, last) = on_a_fresh_instance(&script, &[("KEDRUST_ENV", "regions")]);
    let out: Json = serde_json::from_str(&last).unwrap();
    // Dagster's own check of the namespaced environment's code location passes too.
    let (code, text) = run_dagster(
        &f,
        &["definitions", "validate", "-f", "definitions.py"],
        &[("KEDRUST_ENV", "regions")],
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        spec(&out, "regions/regions_total")["deps"],
        serde_json::json!(["regions/north/total", "regions/south/total"])
    );
    assert_eq!(
        spec(&out, "regions/south/total")["deps"],
        serde_json::json!(["regions/south/numbers"])
    );
    assert_eq!(
        spec(&out, "regions/south/total")["group"],
        "south",
        "its namespace"
    );
    assert_eq!(
        spec(&out, "regions/regions_total")["group"],
        "regions",
        "its pipeline"
    );

    let runs: Vec<&str> = out["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let nodes = |run: &str| -> Vec<String> {
        let mut n: Vec<String> = lifecycle(&f, run)
            .into_iter()
            .filter_map(|l| l.strip_prefix("before_node_run ").map(str::to_owned))
            .collect();
        n.sort();
        n
    };
    let count = |run: &str, hook: &str| lifecycle(&f, run).iter().filter(|l| *l == hook).count();
    assert_eq!(
        nodes(runs[0]),
        [
            "add_regions",
            "north.load",
            "north.sum",
            "south.load",
            "south.sum"
        ]
    );
    assert_eq!(
        nodes(runs[1]),
        ["south.sum"],
        "a persisted input is read, not recomputed"
    );
    for run in [runs[0], runs[1]] {
        assert_eq!(count(run, "before_pipeline_run"), 1);
        assert_eq!(count(run, "after_pipeline_run"), 1, "from the sensor, once");
        assert_eq!(count(run, "on_pipeline_error"), 0);
    }
    // North's numbers no longer load: the run fails at its first node's input, and the
    // sensor ends it once over three ticks.
    assert_eq!(
        lifecycle(&f, runs[2]),
        [
            "after_context_created",
            "after_catalog_created",
            "before_pipeline_run",
            "on_pipeline_error",
        ]
    );
    // South's total, newest version: south's own, 10 × (1 + 2 + 3 + 4).
    let versions = f.path().join("data/regions/south/total.json");
    let newest = std::fs::read_dir(&versions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    let total = std::fs::read_to_string(newest.join("total.json")).unwrap();
    assert_eq!(total.trim(), "100");
}
