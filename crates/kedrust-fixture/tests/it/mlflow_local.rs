//! MLflow tracking without a server: a project whose `mlflow.yml` names no server writes a
//! local store, and the pinned MLflow's own client (in `.venv-test`) reads it back.

use crate::Fixture;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/python");
    assert!(
        venv.is_file(),
        "MLflow is not installed for the tests: run ./scripts/python-env"
    );
    venv
}

/// Every run of experiment `experiment` in the store at `db`, oldest first, as MLflow's
/// Python client reads them: info, parameters, metrics with their history, tags, artifacts.
fn read_with_mlflow(db: &Path, experiment: &str) -> Vec<Json> {
    const READ: &str = r#"
import json, sys, mlflow
client = mlflow.MlflowClient(tracking_uri="sqlite:///" + sys.argv[1])
experiment = client.get_experiment_by_name(sys.argv[2])
def files(run_id, path):
    out = []
    for a in client.list_artifacts(run_id, path):
        out.extend(files(run_id, a.path) if a.is_dir else [a.path])
    return out
runs = []
for r in client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"]):
    runs.append({
        "run_id": r.info.run_id, "name": r.info.run_name, "status": r.info.status,
        "params": r.data.params, "metrics": r.data.metrics, "tags": r.data.tags,
        "history": {k: [[m.step, m.value] for m in client.get_metric_history(r.info.run_id, k)]
                    for k in r.data.metrics},
        "artifacts": files(r.info.run_id, None),
    })
print(json.dumps(runs))
"#;
    let out = kedrust_testkit::clean_command(python())
        .args(["-c", READ])
        .arg(db)
        .arg(experiment)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "MLflow cannot read the store: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The parent run of kedrust run `run_id` and its nested runs, in order.
fn runs_of(all: &[Json], run_id: &str) -> (Json, Vec<Json>) {
    let of_run: Vec<&Json> = all
        .iter()
        .filter(|r| r["tags"]["kedrust.run_id"] == run_id)
        .collect();
    let parent = of_run
        .iter()
        .find(|r| r["tags"]["kedrust.node"].is_null())
        .expect("the parent run");
    let children = of_run
        .iter()
        .filter(|r| r["tags"]["mlflow.parentRunId"] == parent["run_id"])
        .map(|r| (*r).clone())
        .collect();
    ((*parent).clone(), children)
}

/// The id of the fixture's latest run.
fn run_id(f: &Fixture) -> String {
    let trace = f.trace();
    let last = trace.iter().rev().find_map(|e| e["run_id"].as_str());
    last.expect("a traced run").to_owned()
}

#[test]
fn without_a_server_runs_go_to_a_local_store_that_mlflow_opens() {
    let f = Fixture::new("basic");
    let db = f.path().join("mlflow.db");
    for runner in ["sequential", "process"] {
        let out = f.run(&["run", "--env", "mlflow", "-r", runner], &[]);
        assert_eq!(out.code, 0, "{runner}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("mlflow ui --backend-store-uri sqlite:///"),
            "the run says how to look at it: {}",
            out.stderr
        );
        let all = read_with_mlflow(&db, "kedrust-fixture");
        let (parent, children) = runs_of(&all, &run_id(&f));
        assert_eq!(parent["status"], "FINISHED", "{runner}");
        assert_eq!(parent["name"], "__default__");
        assert_eq!(
            parent["params"]["count"], "4",
            "{runner}: the run's parameters"
        );
        assert_eq!(parent["tags"]["mlflow.source.name"], "kedrust");
        // Nodes that run within one millisecond share a start time, so
        // MLflow's order of them is not the run's: compare by name.
        let by_node: BTreeMap<&str, &Json> = children
            .iter()
            .filter_map(|c| Some((c["tags"]["kedrust.node"].as_str()?, c)))
            .collect();
        assert_eq!(
            by_node.keys().copied().collect::<Vec<_>>(),
            ["double", "make_numbers", "summarise", "total"],
            "{runner}"
        );
        for child in &children {
            assert_eq!(child["status"], "FINISHED", "{runner}: {child}");
            assert!(child["metrics"]["kedrust.duration_s"].as_f64().unwrap() >= 0.0);
        }
        assert_eq!(
            by_node["make_numbers"]["params"]["count"], "4",
            "a node's params: inputs"
        );
        assert_eq!(by_node["total"]["params"]["offset"], "100");
    }

    // A metrics dataset logs a node's output on that node's run, with its history.
    let out = f.run(&["run", "--env", "mlflow", "-p", "fan"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (_, children) = runs_of(&read_with_mlflow(&db, "kedrust-fixture"), &run_id(&f));
    let join = children
        .iter()
        .find(|c| c["tags"]["kedrust.node"] == "join")
        .expect("the join node's run");
    assert_eq!(join["metrics"]["sum"], 42.0, "{join}");
    assert_eq!(join["history"]["sum"], serde_json::json!([[0, 42.0]]));

    // A failing run closes the parent and the failing node's run as FAILED.
    let out = f.run(
        &[
            "run",
            "--env",
            "mlflow",
            "-p",
            "failing",
            "--params",
            "fail=true",
        ],
        &[],
    );
    assert_eq!(out.code, 1);
    let (parent, children) = runs_of(&read_with_mlflow(&db, "kedrust-fixture"), &run_id(&f));
    assert_eq!(parent["status"], "FAILED");
    assert!(
        parent["tags"]["kedrust.error"]
            .as_str()
            .unwrap()
            .contains("the fail switch is on")
    );
    let check = children
        .iter()
        .find(|c| c["tags"]["kedrust.node"] == "check")
        .unwrap();
    assert_eq!(check["status"], "FAILED");
}

/// The versions of registered model `name` in the store at `db`, as MLflow reads them:
/// `[version, run id, the model's value]`, first version first.
fn model_versions(db: &Path, name: &str) -> Vec<Json> {
    const READ: &str = r#"
import json, os, sys, mlflow
uri = "sqlite:///" + sys.argv[1]
client = mlflow.MlflowClient(tracking_uri=uri)
out = []
for v in sorted(client.search_model_versions(f"name = '{sys.argv[2]}'"), key=lambda v: int(v.version)):
    folder = mlflow.artifacts.download_artifacts(artifact_uri=v.source, tracking_uri=uri)
    value = json.load(open(os.path.join(folder, "model.json")))
    out.append([v.version, v.run_id, value])
print(json.dumps(out))
"#;
    let out = kedrust_testkit::clean_command(python())
        .args(["-c", READ])
        .arg(db)
        .arg(name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "MLflow cannot read the registry: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn models_metric_histories_and_artifacts_are_logged_and_read_back() {
    let f = Fixture::new("basic");
    let db = f.path().join("mlflow.db");
    for round in 1..=2 {
        let out = f.run(&["run", "--env", "mlflow", "-p", "tracked_model"], &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "registered version {round} of model 'fixture-line'"
            )),
            "{}",
            out.stderr
        );
    }
    let (_, children) = runs_of(&read_with_mlflow(&db, "kedrust-fixture"), &run_id(&f));
    let node = |name: &str| {
        children
            .iter()
            .find(|c| c["tags"]["kedrust.node"] == name)
            .unwrap_or_else(|| panic!("no run of node {name}"))
            .clone()
    };

    // The model: its value and MLmodel file in the fit node's run, and a new registered
    // version each run, which the evaluate node read back from the registry.
    let fit = node("fit");
    assert_eq!(
        fit["artifacts"],
        serde_json::json!(["model/MLmodel", "model/model.json"])
    );
    let versions = model_versions(&db, "fixture-line");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(versions[1][0], 2);
    assert_eq!(
        versions[1][1], fit["run_id"],
        "version 2 is this run's model"
    );
    assert_eq!(
        versions[1][2],
        serde_json::json!({"slope": 4.0, "intercept": 1.0})
    );

    // The metric at every step, read back by the next node.
    let train = node("train_loss");
    assert_eq!(
        train["history"]["loss"],
        serde_json::json!([[0, 0.5], [1, 1.0], [2, 1.5], [3, 2.0]])
    );
    let report: Json = serde_json::from_str(
        &std::fs::read_to_string(f.path().join("data/model_report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        report,
        serde_json::json!({"slope": 4.0, "losses": [0.5, 1.0, 1.5, 2.0]})
    );

    // A metrics dataset logs a mapping's numbers at step 0 and its lists one value per step.
    let catalog = f.path().join("conf/mlflow/catalog.yml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    let artifact = "type: mlflow.ArtifactDataset\n  artifact_path: reports\n  dataset:\n    \
                    type: json.JSONDataset\n    filepath: data/model_report.json";
    assert!(text.contains(artifact));
    std::fs::write(
        &catalog,
        text.replace(artifact, "type: mlflow.MetricsDataset"),
    )
    .unwrap();
    let out = f.run(&["run", "--env", "mlflow", "-p", "tracked_model"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all = read_with_mlflow(&db, "kedrust-fixture");
    let (_, children) = runs_of(&all, &run_id(&f));
    let evaluate = children
        .iter()
        .find(|c| c["tags"]["kedrust.node"] == "evaluate");
    assert_eq!(
        evaluate.unwrap()["history"],
        serde_json::json!({
            "kedrust.duration_s": evaluate.unwrap()["history"]["kedrust.duration_s"],
            "slope": [[0, 4.0]],
            "losses": [[0, 0.5], [1, 1.0], [2, 1.5], [3, 2.0]],
        })
    );
    std::fs::write(&catalog, &text).unwrap();

    // The report: saved where its dataset says, and logged in the evaluate node's run.
    let evaluate = node("evaluate");
    assert_eq!(
        evaluate["artifacts"],
        serde_json::json!(["reports/model_report.json"])
    );

    // Without nested runs, everything goes to the pipeline's run, and is read back from it.
    let yml = f.path().join("conf/mlflow/mlflow.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text.replace("tracking:\n", "tracking:\n  run:\n    node_runs: false\n"),
    )
    .unwrap();
    let out = f.run(&["run", "--env", "mlflow", "-p", "tracked_model"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (parent, children) = runs_of(&read_with_mlflow(&db, "kedrust-fixture"), &run_id(&f));
    assert!(children.is_empty(), "{children:?}");
    assert_eq!(
        parent["history"]["loss"],
        serde_json::json!([[0, 0.5], [1, 1.0], [2, 1.5], [3, 2.0]])
    );
    assert_eq!(
        parent["artifacts"],
        serde_json::json!([
            "model/MLmodel",
            "model/model.json",
            "reports/model_report.json"
        ])
    );
}

/// The MLflow run id of node `node`'s run in kedrust run `run`.
fn node_run(all: &[Json], run: &str, node: &str) -> String {
    let (_, children) = runs_of(all, run);
    let found = children.iter().find(|c| c["tags"]["kedrust.node"] == node);
    let found = found.unwrap_or_else(|| panic!("no run of node {node} in {run}"));
    found["run_id"].as_str().unwrap().to_owned()
}

#[test]
fn models_and_artifacts_load_back_by_run_and_by_registered_version() {
    let f = Fixture::new("basic");
    let db = f.path().join("mlflow.db");
    let catalog = f.path().join("conf/mlflow/catalog.yml");
    // The report as YAML: an artifact dataset wraps any dataset that writes a file.
    let text = std::fs::read_to_string(&catalog).unwrap();
    let yaml = text.replace(
        "type: json.JSONDataset\n    filepath: data/model_report.json",
        "type: yaml.YAMLDataset\n    filepath: data/model_report.yml",
    );
    assert_ne!(yaml, text);
    std::fs::write(&catalog, &yaml).unwrap();
    // Version 1 fits 4 numbers (slope 4), version 2 fits 6.
    let mut runs = Vec::new();
    for count in [4, 6] {
        let params = format!("count={count}");
        let out = f.run(
            &[
                "run",
                "--env",
                "mlflow",
                "-p",
                "tracked_model",
                "--params",
                &params,
            ],
            &[],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        runs.push(run_id(&f));
    }
    let all = read_with_mlflow(&db, "kedrust-fixture");
    let (_, children) = runs_of(&all, &runs[0]);
    let evaluate = children
        .iter()
        .find(|c| c["tags"]["kedrust.node"] == "evaluate");
    assert_eq!(
        evaluate.unwrap()["artifacts"],
        serde_json::json!(["reports/model_report.yml"])
    );
    let first_report = node_run(&all, &runs[0], "evaluate");
    let first_losses = node_run(&all, &runs[0], "train_loss");
    let second_fit = node_run(&all, &runs[1], "fit");

    for (model, slope) in [
        ("registered_model_name: fixture-line\n  version: 1", 4.0),
        ("registered_model_name: fixture-line", 6.0),
        (&format!("run_id: {second_fit}") as &str, 6.0),
    ] {
        // The first run's report, from its artifacts (the local copy goes elsewhere).
        std::fs::write(
            &catalog,
            format!(
                "{yaml}\npast_model:\n  type: mlflow.ModelDataset\n  {model}\n\
                 past_report:\n  type: mlflow.ArtifactDataset\n  run_id: {first_report}\n  \
                 artifact_path: reports\n  dataset:\n    type: yaml.YAMLDataset\n    \
                 filepath: data/past/model_report.yml\n\
                 past_losses:\n  type: mlflow.MetricHistoryDataset\n  key: loss\n  \
                 run_id: {first_losses}\n  load_args:\n    mode: dict\n\
                 read_back:\n  type: json.JSONDataset\n  filepath: data/read_back.json\n"
            ),
        )
        .unwrap();
        let out = f.run(&["run", "--env", "mlflow", "-p", "read_back"], &[]);
        assert_eq!(out.code, 0, "{model}: {}", out.stderr);
        let read: Json = serde_json::from_str(
            &std::fs::read_to_string(f.path().join("data/read_back.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            read,
            serde_json::json!({
                "slope": slope,
                "report": {"slope": 4.0, "losses": [0.5, 1.0, 1.5, 2.0]},
                "losses": {"0": 0.5, "1": 1.0, "2": 1.5, "3": 2.0},
            }),
            "{model}"
        );
    }
}

#[test]
fn with_on_error_warn_a_model_or_artifact_that_cannot_be_logged_tags_the_run_incomplete() {
    let f = Fixture::new("basic");
    let db = f.path().join("mlflow.db");
    // Version 1 of the model, in experiment 1.
    let out = f.run(&["run", "--env", "mlflow", "-p", "tracked_model"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Experiment 2 cannot keep artifacts: its folder is a file.
    let yml = f.path().join("conf/mlflow/mlflow.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    let elsewhere = text.replace("name: kedrust-fixture", "name: elsewhere");
    std::fs::write(&yml, &elsewhere).unwrap();
    std::fs::write(f.path().join("mlruns/2"), "not a folder").unwrap();

    // By default the model's save fails its node, and the run.
    let out = f.run(&["run", "--env", "mlflow", "-p", "tracked_model"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("'fit'"), "{}", out.stderr);

    // With on_error: warn the run goes on (the next node reads version 1 of the model), says
    // what was not logged, and its MLflow run says it is incomplete.
    let warn = elsewhere.replace("tracking:\n", "tracking:\n  on_error: warn\n");
    std::fs::write(&yml, warn).unwrap();
    let out = f.run(&["run", "--env", "mlflow", "-p", "tracked_model"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for what in ["the model is not logged", "model_report.json is not logged"] {
        assert!(out.stderr.contains(what), "{what}: {}", out.stderr);
    }
    let (parent, children) = runs_of(&read_with_mlflow(&db, "elsewhere"), &run_id(&f));
    assert_eq!(parent["status"], "FINISHED");
    assert_eq!(parent["tags"]["kedrust.tracking"], "incomplete", "{parent}");
    assert_eq!(children.len(), 4);

    // Only the artifact fails (the model is a plain file now), in a worker process: the flag
    // reaches the process that closes the run.
    let catalog = f.path().join("conf/mlflow/catalog.yml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    let model = "type: mlflow.ModelDataset\n  registered_model_name: fixture-line";
    assert!(text.contains(model));
    let plain = "type: serde.JSONDataset\n  filepath: data/line_model.json";
    std::fs::write(&catalog, text.replace(model, plain)).unwrap();
    let out = f.run(
        &[
            "run",
            "--env",
            "mlflow",
            "-p",
            "tracked_model",
            "-r",
            "process",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("model_report.json is not logged"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("the model is not logged"),
        "{}",
        out.stderr
    );
    let (parent, _) = runs_of(&read_with_mlflow(&db, "elsewhere"), &run_id(&f));
    assert_eq!(parent["tags"]["kedrust.tracking"], "incomplete", "{parent}");
}

#[test]
fn what_a_node_logged_before_the_run_failed_is_kept() {
    let f = Fixture::new("basic");
    // The evaluate node fails to save its report: a folder is where its file goes.
    std::fs::create_dir_all(f.path().join("data/model_report.json")).unwrap();
    for runner in ["sequential", "process"] {
        let out = f.run(
            &[
                "run",
                "--env",
                "mlflow",
                "-p",
                "tracked_model",
                "-r",
                runner,
            ],
            &[],
        );
        assert_eq!(out.code, 1, "{runner}: {}", out.stderr);
        let all = read_with_mlflow(&f.path().join("mlflow.db"), "kedrust-fixture");
        let (parent, children) = runs_of(&all, &run_id(&f));
        assert_eq!(parent["status"], "FAILED", "{runner}");
        let node = |name: &str| {
            let found = children.iter().find(|c| c["tags"]["kedrust.node"] == name);
            found
                .unwrap_or_else(|| panic!("{runner}: no run of {name}"))
                .clone()
        };
        let error = parent["tags"]["kedrust.error"].as_str().unwrap_or_default();
        assert!(error.contains("model_report"), "{runner}: {error}");
        let train = node("train_loss");
        assert_eq!(train["status"], "FINISHED", "{runner}");
        assert_eq!(
            train["history"]["loss"],
            serde_json::json!([[0, 0.5], [1, 1.0], [2, 1.5], [3, 2.0]]),
            "{runner}"
        );
    }
}

#[test]
fn a_store_path_in_mlflow_yml_is_a_database_or_a_folder_of_the_project() {
    for (uri, db) in [
        ("sqlite:///tracking/runs.db", "tracking/runs.db"),
        ("tracking/other.db", "tracking/other.db"),
        ("mlruns", "mlruns/mlflow.db"),
    ] {
        let f = Fixture::new("basic");
        let yml = f.path().join("conf/mlflow/mlflow.yml");
        let text = std::fs::read_to_string(&yml).unwrap();
        std::fs::write(
            &yml,
            format!("server:\n  mlflow_tracking_uri: {uri}\n{text}"),
        )
        .unwrap();
        let out = f.run(&["run", "--env", "mlflow"], &[]);
        assert_eq!(out.code, 0, "{uri}: {}", out.stderr);
        let all = read_with_mlflow(&f.path().join(db), "kedrust-fixture");
        let (parent, children) = runs_of(&all, &run_id(&f));
        assert_eq!(parent["status"], "FINISHED", "{uri}");
        assert_eq!(children.len(), 4, "{uri}");
        assert!(
            !f.path().join("mlflow.db").exists(),
            "{uri}: only where it says"
        );
    }
}

#[test]
fn a_tracking_problem_is_reported_before_the_run_with_the_file_and_line() {
    let f = Fixture::new("basic");
    let yml = f.path().join("conf/mlflow/mlflow.yml");
    let text = std::fs::read_to_string(&yml).unwrap();

    // A tracking URI kedrust cannot write to.
    std::fs::write(
        &yml,
        format!("server:\n  mlflow_tracking_uri: postgresql://127.0.0.1/mlflow\n{text}"),
    )
    .unwrap();
    let out = f.run(&["run", "--env", "mlflow"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "conf/mlflow/mlflow.yml:2:3: server.mlflow_tracking_uri: tracking URI \
             'postgresql://127.0.0.1/mlflow' is neither an MLflow server"
        ),
        "{}",
        out.stderr
    );
    assert!(f.nodes_run().is_empty());

    // A value of the wrong kind, at its line, with its key.
    std::fs::write(
        &yml,
        text.replace("tracking:\n", "tracking:\n  on_error: maybe\n"),
    )
    .unwrap();
    let out = f.run(&["run", "--env", "mlflow"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "conf/mlflow/mlflow.yml:3:3: tracking.on_error: unknown variant `maybe`, \
             expected `fail` or `warn`"
        ),
        "{}",
        out.stderr
    );
    assert!(f.nodes_run().is_empty());

    // A store of another MLflow's schema: MLflow itself would refuse it until migrated.
    std::fs::write(&yml, &text).unwrap();
    let made = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
             c.execute('CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)'); \
             c.execute(\"INSERT INTO alembic_version VALUES ('0a8213491aaa')\"); c.commit()",
        ])
        .arg(f.path().join("mlflow.db"))
        .status()
        .unwrap();
    assert!(made.success());
    let out = f.run(&["run", "--env", "mlflow"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("schema is at revision 0a8213491aaa")
            && out.stderr.contains("mlflow db upgrade")
            && out
                .stderr
                .contains("the project's store (no tracking URI is set)")
            && !out.stderr.contains("MLFLOW_TRACKING_URI"),
        "{}",
        out.stderr
    );
    assert!(f.nodes_run().is_empty());
    assert_eq!(f.fired("before_pipeline_run"), 0, "no hook fired");

    // A misspelt type inside an artifact dataset is named with its entry, before the run.
    let f = Fixture::new("basic");
    let catalog = f.path().join("conf/mlflow/catalog.yml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    std::fs::write(
        &catalog,
        text.replace("type: json.JSONDataset", "type: json.JSONDatset"),
    )
    .unwrap();
    let out = f.run(&["run", "--env", "mlflow", "-p", "tracked_model"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("model_report")
            && out
                .stderr
                .contains("unknown dataset type 'json.JSONDatset' in 'dataset'")
            && out.stderr.contains("json.JSONDataset"),
        "{}",
        out.stderr
    );
    assert!(!f.path().join("mlflow.db").exists(), "nothing was tracked");
}

#[test]
fn the_schema_is_the_one_the_pinned_mlflow_creates() {
    // Tables, their columns, indexes and the migration head of a store the pinned MLflow
    // creates, against one made from kedrust's schema file. (The text differs from one
    // MLflow run to the next: its migrations order constraints and indexes at random.)
    const COMPARE: &str = r#"
import os, sqlite3, sys, tempfile, mlflow
def shape(db):
    con = sqlite3.connect(db)
    out = {}
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        out[name] = (sorted(con.execute(f'PRAGMA table_info("{name}")').fetchall()),
                     sorted(r[1] for r in con.execute(f'PRAGMA index_list("{name}")') if not r[1].startswith("sqlite_")))
    out["alembic"] = con.execute("SELECT version_num FROM alembic_version").fetchall()
    return out
with tempfile.TemporaryDirectory() as tmp:
    theirs = os.path.join(tmp, "mlflow.db")
    mlflow.MlflowClient(tracking_uri="sqlite:///" + theirs).search_experiments()
    ours = os.path.join(tmp, "ours.db")
    sqlite3.connect(ours).executescript(open(sys.argv[1]).read())
    a, b = shape(theirs), shape(ours)
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            print(f"{key}: MLflow {a.get(key)}, kedrust {b.get(key)}")
"#;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = kedrust_testkit::clean_command(python())
        .args(["-c", COMPARE])
        .arg(root.join("crates/kedrust-mlflow/src/local/schema.sql"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let differences = String::from_utf8_lossy(&out.stdout);
    assert!(
        differences.is_empty(),
        "the pinned MLflow's schema changed; run scripts/mlflow-schema:\n{differences}"
    );
}
