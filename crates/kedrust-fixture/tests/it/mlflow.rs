//! MLflow tracking against a real `mlflow server` on 127.0.0.1, installed by scripts/test
//! into `.venv-test` (pinned in `python-pins.txt`). One server for every case: it takes
//! seconds to start.

use crate::Fixture;
use kedrust_mlflow::{Auth, Client, Store};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    uri: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mlflow_binary() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/mlflow");
    assert!(
        venv.is_file(),
        "MLflow is not installed for the tests: run ./scripts/test, or \
         python3 -m venv .venv-test && .venv-test/bin/pip install -r python-pins.txt"
    );
    venv
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The admin of the server with basic authentication.
const ADMIN: &str = "admin";
/// The admin's password: the tests check that it is never shown.
const ADMIN_PASSWORD: &str = "mlflow-admin-pw-4417";

fn start_server() -> Server {
    start(&Auth::None)
}

/// A server that signs users in (`--app-name basic-auth`), its admin `ADMIN`.
fn start_server_with_basic_auth() -> Server {
    start(&Auth::Basic {
        username: ADMIN.into(),
        password: ADMIN_PASSWORD.into(),
    })
}

fn start(auth: &Auth) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let db = format!("sqlite:///{}", dir.path().join("mlflow.db").display());
    let mut command = crate::clean_command(mlflow_binary());
    if let Auth::Basic { username, password } = auth {
        let ini = dir.path().join("basic_auth.ini");
        std::fs::write(
            &ini,
            format!(
                "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\n\
                 admin_username = {username}\nadmin_password = {password}\n\
                 authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
                dir.path().join("auth.db").display()
            ),
        )
        .unwrap();
        command
            .env("MLFLOW_AUTH_CONFIG_PATH", ini)
            .env("MLFLOW_FLASK_SERVER_SECRET_KEY", "kedrust-tests");
    }
    command.args(["server", "--backend-store-uri", &db]);
    if !matches!(auth, Auth::None) {
        command.args(["--app-name", "basic-auth"]);
    }
    // Artifacts go through the server (its artifact proxy, MLflow's default), as they do
    // for a remote server.
    let child = command
        .arg("--artifacts-destination")
        .arg(dir.path().join("artifacts"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--workers",
            "1",
        ])
        .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let uri = format!("http://127.0.0.1:{port}");
    let server = Server {
        child,
        uri,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let client = Client::new(&server.uri, auth);
    while client.experiment_by_name("Default").is_err() {
        assert!(
            Instant::now() < deadline,
            "mlflow server did not start within 120 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    server
}

fn runs(client: &Client, experiment: &str, filter: &str) -> Vec<Json> {
    client.search_runs(experiment, filter).unwrap()
}

/// The nested runs of MLflow run `parent` matching `and_filter` (empty, or ` and ...`).
fn nested_runs(client: &Client, experiment: &str, parent: &Json, and_filter: &str) -> Vec<Json> {
    let parent_id = parent["info"]["run_id"].as_str().expect("a run id");
    runs(
        client,
        experiment,
        &format!("tags.mlflow.parentRunId = '{parent_id}'{and_filter}"),
    )
}

/// The id of the fixture project's experiment.
fn fixture_experiment(client: &Client) -> String {
    client
        .experiment_by_name("kedrust-fixture")
        .unwrap()
        .expect("the experiment")
        .0
}

/// The MLflow parent run of kedrust run `run_id` (its nested runs carry the same tag).
fn parent_run(client: &Client, experiment: &str, run_id: &str) -> Json {
    runs(
        client,
        experiment,
        &format!("tags.`kedrust.run_id` = '{run_id}'"),
    )
    .into_iter()
    .find(|r| tag(r, "kedrust.node").is_none())
    .expect("the parent run")
}

fn tag<'a>(run: &'a Json, key: &str) -> Option<&'a str> {
    run["data"]["tags"]
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)
        .and_then(|t| t["value"].as_str())
}

fn param<'a>(run: &'a Json, key: &str) -> Option<&'a str> {
    run["data"]["params"]
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)
        .and_then(|t| t["value"].as_str())
}

#[test]
fn a_parent_run_per_pipeline_run_and_a_nested_run_per_node_in_every_mode() {
    let server = start_server();
    let client = Client::new(&server.uri, &Auth::None);
    let env = [("MLFLOW_TRACKING_URI", server.uri.as_str())];
    for runner in ["sequential", "process"] {
        let f = Fixture::new("basic");
        let out = f.run(&["run", "--env", "mlflow", "-r", runner], &env);
        assert_eq!(out.code, 0, "{runner}: {}", out.stderr);
        let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
        let experiment = fixture_experiment(&client);
        let parents = runs(
            &client,
            &experiment,
            &format!(
                "tags.`kedrust.run_id` = '{run_id}' and tags.`mlflow.source.name` = 'kedrust'"
            ),
        );
        assert_eq!(parents.len(), 1, "{runner}");
        let parent = &parents[0];
        assert_eq!(parent["info"]["status"], "FINISHED", "{runner}");
        assert_eq!(
            param(parent, "count"),
            Some("4"),
            "{runner}: the run's parameters"
        );
        let children = nested_runs(&client, &experiment, parent, "");
        // Nodes that run within one millisecond share a start time, so
        // MLflow's order of them is not the run's: compare by name.
        let by_node: std::collections::BTreeMap<&str, &Json> = children
            .iter()
            .filter_map(|c| Some((tag(c, "kedrust.node")?, c)))
            .collect();
        assert_eq!(
            by_node.keys().copied().collect::<Vec<_>>(),
            ["double", "make_numbers", "summarise", "total"],
            "{runner}"
        );
        assert!(
            children.iter().all(|c| c["info"]["status"] == "FINISHED"),
            "{runner}"
        );
        assert_eq!(
            param(by_node["make_numbers"], "count"),
            Some("4"),
            "{runner}: a node's params: inputs"
        );
        assert_eq!(param(by_node["total"], "offset"), Some("100"), "{runner}");
    }

    // A failing run closes the parent and the failing node's run as FAILED.
    let f = Fixture::new("basic");
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
        &env,
    );
    assert_eq!(out.code, 1);
    let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
    let experiment = fixture_experiment(&client);
    let parent = &parent_run(&client, &experiment, &run_id);
    assert_eq!(parent["info"]["status"], "FAILED");
    assert!(
        tag(parent, "kedrust.error")
            .unwrap()
            .contains("the fail switch is on")
    );
    let check = nested_runs(
        &client,
        &experiment,
        parent,
        " and tags.`kedrust.node` = 'check'",
    );
    assert_eq!(check[0]["info"]["status"], "FAILED");

    // A metrics dataset logs a node's output on that node's run.
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--env", "mlflow", "-p", "fan"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
    let join = runs(
        &client,
        &experiment,
        &format!("tags.`kedrust.run_id` = '{run_id}' and tags.`kedrust.node` = 'join'"),
    );
    let metrics = join[0]["data"]["metrics"].as_array().unwrap();
    assert!(
        metrics
            .iter()
            .any(|m| m["key"] == "sum" && m["value"] == 42.0),
        "{metrics:?}"
    );

    // Without mlflow.yml in the environment, nothing is tracked, in any experiment.
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run"], &env).code, 0);
    let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
    let experiments = client.experiment_ids().unwrap();
    assert!(
        experiments.len() >= 2,
        "Default and kedrust-fixture: {experiments:?}"
    );
    for experiment in experiments {
        let tracked = runs(
            &client,
            &experiment,
            &format!("tags.`kedrust.run_id` = '{run_id}'"),
        );
        assert!(tracked.is_empty(), "experiment {experiment}: {tracked:?}");
    }
}

#[test]
fn models_metric_histories_and_artifacts_go_through_the_server() {
    let server = start_server();
    let client = Client::new(&server.uri, &Auth::None);
    let env = [("MLFLOW_TRACKING_URI", server.uri.as_str())];
    let f = Fixture::new("basic");
    for _ in 0..2 {
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
            &env,
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let trace = f.trace();
    let run_id = trace
        .iter()
        .rev()
        .find_map(|e| e["run_id"].as_str())
        .unwrap();
    let experiment = fixture_experiment(&client);
    let node = |name: &str| {
        let found = runs(
            &client,
            &experiment,
            &format!("tags.`kedrust.run_id` = '{run_id}' and tags.`kedrust.node` = '{name}'"),
        );
        found[0]["info"]["run_id"].as_str().unwrap().to_owned()
    };
    let read = |run: &str, path: &str| -> Json {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("artifact");
        client.download_artifact(run, path, &file).unwrap();
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
    };

    // The second run registered version 2, from its fit node's run, through the proxy.
    let version = client.model_version("fixture-line", None).unwrap();
    assert_eq!(version.version, "2");
    assert_eq!(version.run_id, node("fit"));
    assert_eq!(
        read(&version.run_id, "model/model.json"),
        serde_json::json!({"slope": 4.0, "intercept": 1.0})
    );
    assert_eq!(
        read(&version.run_id, "model/MLmodel")["flavors"]["kedrust"]["type"],
        "Line"
    );
    let history: Vec<(i64, f64)> = client
        .metric_history(&node("train_loss"), "loss")
        .unwrap()
        .iter()
        .map(|m| (m.step, m.value))
        .collect();
    assert_eq!(history, [(0, 0.5), (1, 1.0), (2, 1.5), (3, 2.0)]);
    assert_eq!(
        read(&node("evaluate"), "reports/model_report.json"),
        serde_json::json!({"slope": 4.0, "losses": [0.5, 1.0, 1.5, 2.0]})
    );
}

#[test]
fn a_server_that_stops_mid_run_fails_the_run_unless_on_error_is_warn() {
    for on_error in ["fail", "warn"] {
        let server = start_server();
        let f = Fixture::new("basic");
        let yml = f.path().join("conf/mlflow/mlflow.yml");
        let text = std::fs::read_to_string(&yml).unwrap();
        let text = text.replace(
            "tracking:\n",
            &format!("tracking:\n  on_error: {on_error}\n"),
        );
        std::fs::write(&yml, text).unwrap();
        let block = f.block_path();
        let child = f
            .command(
                &["run", "--env", "mlflow", "-p", "failing"],
                &[
                    ("MLFLOW_TRACKING_URI", server.uri.as_str()),
                    ("KEDRUST_FIXTURE_BLOCK", block.to_str().unwrap()),
                ],
            )
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        crate::wait_for(&block);
        // The server goes away while the check node runs; its tracking is still queued.
        drop(server);
        std::fs::remove_file(&block).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            f.nodes_run().len(),
            4,
            "{on_error}: every node ran: {stderr}"
        );
        if on_error == "fail" {
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(stderr.contains("cannot reach the server"), "{stderr}");
        } else {
            assert_eq!(out.status.code(), Some(0), "{stderr}");
            assert!(
                stderr.contains("is not tracked (tracking.on_error is warn)"),
                "{stderr}"
            );
        }
    }
}

#[test]
fn an_unreachable_server_is_a_clear_error_before_the_run_and_never_a_hang() {
    let f = Fixture::new("basic");
    let uri = format!("http://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let out = f.run(
        &["run", "--env", "mlflow"],
        &[("MLFLOW_TRACKING_URI", uri.as_str())],
    );
    assert_eq!(out.code, 2, "a configuration error: {}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "bounded by timeouts and retries"
    );
    for said in [
        &format!("MLflow at {uri}: cannot reach the server"),
        "start the server, or set tracking.on_error: warn",
    ] {
        assert!(out.stderr.contains(said), "{said}: {}", out.stderr);
    }
    assert!(f.nodes_run().is_empty(), "no node ran");
    assert_eq!(f.fired("before_pipeline_run"), 0, "no hook fired");
    // Named by the variable, not by mlflow.yml: the error says so.
    assert!(
        out.stderr.contains("MLFLOW_TRACKING_URI: MLflow at") && !out.stderr.contains("mlflow.yml"),
        "{}",
        out.stderr
    );

    // Named in mlflow.yml, the error points at the key's line.
    let yml = f.path().join("conf/mlflow/mlflow.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        format!("server:\n  mlflow_tracking_uri: {uri}\n{text}"),
    )
    .unwrap();
    let out = f.run(&["run", "--env", "mlflow"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("conf/mlflow/mlflow.yml:2:")
            && out
                .stderr
                .contains(": server.mlflow_tracking_uri: MLflow at"),
        "{}",
        out.stderr
    );
    std::fs::write(&yml, &text).unwrap();

    // `tracking.on_error: warn` runs without tracking, and says so.
    let yml = f.path().join("conf/mlflow/mlflow.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text.replace("tracking:\n", "tracking:\n  on_error: warn\n"),
    )
    .unwrap();
    let out = f.run(
        &["run", "--env", "mlflow"],
        &[("MLFLOW_TRACKING_URI", uri.as_str())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the run is not tracked (tracking.on_error is warn)"),
        "{}",
        out.stderr
    );
    assert_eq!(f.nodes_run().len(), 4);
    // Its MLflow datasets skip MLflow and say so; the run goes on.
    let out = f.run(
        &["run", "--env", "mlflow", "-p", "fan"],
        &[("MLFLOW_TRACKING_URI", uri.as_str())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "a metrics dataset is not logged: tracking failed and tracking.on_error is warn"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn runs_sign_in_from_a_credentials_entry_or_mlflows_variables() {
    let server = start_server_with_basic_auth();
    let admin = Client::new(
        &server.uri,
        &Auth::Basic {
            username: ADMIN.into(),
            password: ADMIN_PASSWORD.into(),
        },
    );
    let uri = [("MLFLOW_TRACKING_URI", server.uri.as_str())];

    // Without a sign-in the server refuses, and the run says so before it starts.
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--env", "mlflow"], &uri);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(f.nodes_run().is_empty());

    // `server.credentials` names an entry of credentials.yml; every step of the process
    // runner signs in from its own catalog.
    let f = Fixture::new("basic");
    let env_dir = f.path().join("conf/mlflow");
    std::fs::write(
        env_dir.join("credentials.yml"),
        "mlflow_admin:\n  MLFLOW_TRACKING_USERNAME: admin\n  \
         MLFLOW_TRACKING_PASSWORD: ${oc.env:FIXTURE_MLFLOW_PASSWORD}\n",
    )
    .unwrap();
    let mlflow_yml = std::fs::read_to_string(env_dir.join("mlflow.yml")).unwrap();
    std::fs::write(
        env_dir.join("mlflow.yml"),
        format!("server:\n  credentials: mlflow_admin\n{mlflow_yml}"),
    )
    .unwrap();
    let out = f.run(
        &["run", "--env", "mlflow", "-r", "process"],
        &[uri[0], ("FIXTURE_MLFLOW_PASSWORD", ADMIN_PASSWORD)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
    let experiment = fixture_experiment(&admin);
    let parent = &parent_run(&admin, &experiment, &run_id);
    assert_eq!(parent["info"]["status"], "FINISHED");
    let children = nested_runs(&admin, &experiment, parent, "");
    assert_eq!(children.len(), 4, "every node's process signed in");

    // A credentials entry without a sign-in is bad input, named.
    std::fs::write(
        env_dir.join("credentials.yml"),
        "mlflow_admin:\n  user: admin\n",
    )
    .unwrap();
    let out = f.run(&["run", "--env", "mlflow"], &uri);
    assert_eq!(
        out.code, 2,
        "a configuration error, before the run: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "credentials entry 'mlflow_admin' has neither MLFLOW_TRACKING_TOKEN nor \
             MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
        ),
        "{}",
        out.stderr
    );

    // MLflow's own variables, without mlflow.yml naming anything. A secret parameter is
    // logged, hidden.
    let f = Fixture::new("basic");
    let out = f.run(
        &[
            "run",
            "--env",
            "mlflow",
            "--params",
            "api_token=tok-params-5521",
        ],
        &[
            uri[0],
            ("MLFLOW_TRACKING_USERNAME", ADMIN),
            ("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
    let parent = &parent_run(&admin, &experiment, &run_id);
    assert_eq!(param(parent, "api_token"), Some("***"));
    assert_eq!(param(parent, "count"), Some("4"));
    assert!(
        !parent.to_string().contains("tok-params-5521"),
        "nor in a tag: {parent}"
    );

    // A password in the tracking URI is refused before the run, and not shown.
    let with_password = server
        .uri
        .replace("http://", &format!("http://admin:{ADMIN_PASSWORD}@"));
    let out = f.run(
        &["run", "--env", "mlflow"],
        &[("MLFLOW_TRACKING_URI", &with_password)],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(f.fired("before_pipeline_run"), 1, "only the first run's");
    assert!(
        out.stderr.contains("http://admin:***@127.0.0.1"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(ADMIN_PASSWORD));
}

#[test]
fn on_dagster_every_op_logs_to_the_runs_nested_runs_and_a_failure_closes_them_failed() {
    use crate::dagster::{dagster_home, execute_job, tick_failure_sensor_twice};
    let server = start_server();
    let client = Client::new(&server.uri, &Auth::None);
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let home = dagster_home();
    let home = home.path().to_str().unwrap();
    let env = [
        ("MLFLOW_TRACKING_URI", server.uri.as_str()),
        ("KEDRUST_ENV", "mlflow"),
        ("DAGSTER_HOME", home),
    ];
    // Each op is its own process: the parent run opened in the start op, a nested run per
    // node op, closed in the end op.
    let (code, text) = execute_job(&f, "chain_job", None, &env);
    assert_eq!(code, 0, "{text}");
    let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
    let experiment = fixture_experiment(&client);
    let parent = &parent_run(&client, &experiment, &run_id);
    assert_eq!(parent["info"]["status"], "FINISHED");
    // On Dagster the run id is Dagster's: the tag links the MLflow run to the Dagster run.
    assert_eq!(tag(parent, "kedrust.run_id"), Some(run_id.as_str()));
    let children = nested_runs(&client, &experiment, parent, "");
    let mut nodes: Vec<&str> = children
        .iter()
        .filter_map(|c| tag(c, "kedrust.node"))
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["double", "make_numbers", "summarise", "total"]);
    assert!(children.iter().all(|c| c["info"]["status"] == "FINISHED"));
    // Each materialisation links to the run's MLflow run.
    let linked = crate::dagster::python(
        &f,
        "import dagster as dg\n\
         e = dg.DagsterInstance.get().get_latest_materialization_event(dg.AssetKey(['mlflow', 'report']))\n\
         m = e.asset_materialization.metadata\n\
         print(m['mlflow_run_id'].value, m['mlflow_run'].value)\n",
        &env,
    );
    let parent_id = parent["info"]["run_id"].as_str().unwrap();
    assert_eq!(
        linked.trim(),
        format!(
            "{parent_id} {}/#/experiments/{experiment}/runs/{parent_id}",
            server.uri.trim_end_matches('/')
        )
    );

    // A failing node: its run closes FAILED in its op, the parent when the failure sensor
    // ends the Dagster run.
    std::fs::remove_file(f.trace_path()).unwrap();
    let mut failing = env.to_vec();
    failing.push(("KEDRUST_FIXTURE_FAIL_CHECK", "1"));
    let (code, _) = execute_job(&f, "failing_job", None, &failing);
    assert_ne!(code, 0);
    tick_failure_sensor_twice(&f, &failing);
    let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
    let parent = &parent_run(&client, &experiment, &run_id);
    assert_eq!(parent["info"]["status"], "FAILED");
    let check = nested_runs(
        &client,
        &experiment,
        parent,
        " and tags.`kedrust.node` = 'check'",
    );
    assert_eq!(check[0]["info"]["status"], "FAILED");
}
