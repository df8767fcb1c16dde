//! Dagster's staleness view agrees with `--only-changed` (#21). The `sourced` environment's
//! pipeline: `raw_numbers` (a file no node writes, a source asset) -> shift (reads
//! `params:offset`) -(memory)-> double_shifted -> `doubled` -> sum_up -> `sourced_total`.
//! Asset specs carry the code version of what a node's result depends on besides its
//! persisted inputs (code, parameters, memory producers); materialisations and the sources'
//! observations carry kedrust's data versions.

use crate::Fixture;
use crate::dagster::{ON_THE_INSTANCE, dagster_home, python};
use serde_json::{Value as Json, json};

/// `execute(*keys)` materialises (or observes) assets as the UI does; `stale()` is every
/// materialisable asset Dagster calls stale, with its causes, as the UI shows them.
const STALENESS: &str = r#"
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._time import get_current_datetime
graph = location.defs.resolve_asset_graph()
asset_job = location.defs.get_implicit_global_asset_job_def()
def execute(*keys):
    selection = [dg.AssetKey(k.split("/")) for k in keys]
    assert asset_job.execute_in_process(instance=instance, asset_selection=selection).success
    tick()
def stale():
    now = TemporalContext(effective_dt=get_current_datetime(), last_event_id=None)
    view = AssetGraphView(temporal_context=now, instance=instance, asset_graph=graph)
    resolver = CachingStaleStatusResolver(instance, graph, view)
    return {"/".join(k.path): [c.reason for c in resolver.get_stale_causes(k)]
            for k in graph.get_all_asset_keys()
            if graph.get(k).is_materializable and resolver.get_status(k) == StaleStatus.STALE}
def tags(key):
    event = instance.get_latest_materialization_event(dg.AssetKey(key.split("/")))
    return {k: v for k, v in event.asset_materialization.tags.items() if "version" in k}
"#;

/// The project in the `sourced` environment, with its code location and a Dagster instance.
struct Sourced {
    f: Fixture,
    home: tempfile::TempDir,
}

impl Sourced {
    fn new() -> Self {
        let f = Fixture::new("basic");
        std::fs::create_dir_all(f.path().join("data")).unwrap();
        std::fs::write(f.path().join("data/raw_numbers.json"), "[1, 2, 3]").unwrap();
        assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
        Self {
            f,
            home: dagster_home(),
        }
    }

    /// What `script` (after loading the code location anew) printed last, as JSON.
    fn dagster(&self, script: &str) -> Json {
        let home = self.home.path().to_str().unwrap();
        let env = [("KEDRUST_ENV", "sourced"), ("DAGSTER_HOME", home)];
        let out = python(
            &self.f,
            &format!("{ON_THE_INSTANCE}{STALENESS}{script}"),
            &env,
        );
        serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap()
    }

    /// The data versions the binary gives the code location for `datasets`.
    fn observe(&self, datasets: &[&str]) -> Json {
        let mut args = vec!["__dagster_observe", "--"];
        args.extend(datasets);
        let out = self.f.run(&args, &[("KEDRUST_ENV", "sourced")]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap()
    }

    /// What `run --only-changed` would run now, as `plan` says it.
    fn would_run(&self) -> String {
        let out = self.f.run(
            &["plan", "--job", "sourced_job", "--only-changed"],
            &[("KEDRUST_ENV", "sourced")],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let at = out
            .stdout
            .find("with --only-changed")
            .expect("the selection");
        out.stdout[at..].to_owned()
    }
}

#[test]
fn dagsters_stale_assets_are_what_only_changed_would_run() {
    let s = Sourced::new();
    // Observed, then materialised: nothing is stale, and kedrust would run nothing.
    let out = s.dagster(
        "execute('sourced/raw_numbers')\n\
         execute('sourced/doubled', 'sourced/sourced_total')\n\
         print(json.dumps({'stale': stale(), 'doubled': tags('sourced/doubled')}))\n",
    );
    assert_eq!(out["stale"], json!({}));
    let doubled = &out["doubled"];
    assert_eq!(doubled["dagster/data_version_is_user_provided"], "true");
    assert!(
        doubled["dagster/code_version"]
            .as_str()
            .unwrap()
            .contains('+'),
        "the memory producer and its parameter are in it: {doubled}"
    );
    // The versions are kedrust's own: the observed raw file's, and the saved output's.
    let observed = s.observe(&["raw_numbers", "doubled"]);
    assert_eq!(
        doubled["dagster/input_data_version/sourced/raw_numbers"],
        observed["raw_numbers"]
    );
    assert_eq!(doubled["dagster/data_version"], observed["doubled"]);
    assert!(s.would_run().contains("0 of 3 nodes would run"));
    // Observing again what did not change changes nothing.
    let out = s.dagster("execute('sourced/raw_numbers')\nprint(json.dumps(stale()))\n");
    assert_eq!(out, json!({}));

    // The raw file changes: once observed, the asset read from it is stale, as kedrust
    // would run its nodes (and, downstream, sum_up).
    std::thread::sleep(std::time::Duration::from_millis(10));
    std::fs::write(s.f.path().join("data/raw_numbers.json"), "[1, 2, 3, 4]").unwrap();
    let would = s.would_run();
    assert!(would.contains("3 of 3 nodes would run"), "{would}");
    assert!(
        would.contains("shift: input raw_numbers changed"),
        "{would}"
    );
    assert!(
        would.contains("double_shifted: input shifted is recomputed (node shift runs)"),
        "the cause is said where it is: {would}"
    );
    let out = s.dagster("execute('sourced/raw_numbers')\nprint(json.dumps(stale()))\n");
    assert_eq!(
        out,
        json!({"sourced/doubled": ["has a new dependency data version"]})
    );

    // Materialising what is stale makes what is downstream stale in turn (Dagster knows an
    // asset's new data version only once it is materialised); then nothing is, and kedrust
    // agrees.
    let out = s.dagster(
        "execute('sourced/doubled')\n\
         first = stale()\n\
         execute(*first)\n\
         print(json.dumps({'first': first, 'then': stale()}))\n",
    );
    assert_eq!(
        out,
        json!({"first": {"sourced/sourced_total": ["has a new dependency data version"]}, "then": {}})
    );
    assert!(s.would_run().contains("0 of 3 nodes would run"));
    let total = std::fs::read_to_string(s.f.path().join("data/sourced_total.json")).unwrap();
    assert_eq!(total.trim(), "820", "(1 + 2 + 3 + 4 + 4 x 100) x 2");

    // A parameter changes: the code location, loaded again, gives the asset whose nodes
    // read it a new code version, and kedrust would run the same nodes.
    let parameters = s.f.path().join("conf/sourced/parameters.yml");
    std::fs::write(&parameters, "offset: 7\n").unwrap();
    let would = s.would_run();
    assert!(would.contains("3 of 3 nodes would run"), "{would}");
    assert!(would.contains("shift: parameter offset changed"), "{would}");
    let out = s.dagster("print(json.dumps(stale()))\n");
    assert_eq!(out, json!({"sourced/doubled": ["has a new code version"]}));
}
