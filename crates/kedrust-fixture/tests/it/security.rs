//! What kedrust promises about data it keeps and input it refuses (issue #14, in part): the
//! state folder is private, and bad input is refused with its own message before anything
//! runs.

use crate::Fixture;

#[test]
fn the_state_folder_and_the_run_store_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run", "-r", "process"], &[]).code, 0);
    let mode = |p: &str| {
        std::fs::metadata(f.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(".kedrust"), 0o700);
    assert_eq!(mode(".kedrust/runs.db"), 0o600);
}

/// A refused command: its arguments, extra environment, and how its message starts.
type Refused = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[test]
fn bad_input_is_refused_with_its_own_message_before_anything_runs() {
    let cases: [Refused; 7] = [
        (
            &["run", "--max-workers", "0"],
            &[],
            "error: --max-workers must be positive",
        ),
        (
            &["run", "--load-versions", "summary"],
            &[],
            "error: --load-versions: 'summary' must be <dataset>:<version>",
        ),
        (
            &["run", "--runner", "parallel"],
            &[],
            "error: unknown runner 'parallel'; use sequential, thread or process",
        ),
        (
            &["--conf-source", "/nonexistent/conf", "run"],
            &[],
            "error: no configuration at /nonexistent/conf: run from a project folder or pass --project-dir",
        ),
        (
            &["__dagster_op", "--job", "chain_job", "--op", "no_such_op"],
            &[("KEDRUST_RUN_ID", "6f1c2d3e-0000-4000-8000-00000000e001")],
            "error: op 'no_such_op' is not in job 'chain_job' (ops: before_pipeline_run_hook_chain_job, make_numbers, double, total, summarise, after_pipeline_run_hook_chain_job)",
        ),
        (
            &["__dagster_op", "--job", "chain_job", "--op", "make_numbers"],
            &[],
            "error: no run id: start this op from Dagster (Pipes), or pass --run-id (KEDRUST_RUN_ID)",
        ),
        (
            &["__dagster_op", "--job", "chain_job", "--op", "make_numbers"],
            &[
                ("DAGSTER_PIPES_CONTEXT", "not base64"),
                ("DAGSTER_PIPES_MESSAGES", "x"),
            ],
            "error: dagster pipes: DAGSTER_PIPES_CONTEXT: not base64",
        ),
    ];
    for (args, env, message) in cases {
        let f = Fixture::new("basic");
        let out = f.run(args, env);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.trim().starts_with(message),
            "{args:?}: expected {message:?}, got {:?}",
            out.stderr.trim()
        );
        assert!(f.trace().is_empty(), "{args:?}: no hook fired");
    }
    // The same project traces its hooks when it runs: an empty trace above means none fired.
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run"], &[]).code, 0);
    assert_eq!(f.fired("before_pipeline_run"), 1);
}

#[test]
fn a_run_store_that_cannot_be_read_and_a_resume_of_a_running_run_are_refused() {
    let f = Fixture::new("basic");
    let (mut running, _) = f.spawn_blocked(&["run", "-p", "failing"], &[]);
    let run_id = f.last_run_id();
    let out = f.run(&["run", "--resume", &run_id], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "error: run '{run_id}' is still running: resume it once it has ended (`runs show {run_id}`)"
        )
    );
    std::fs::remove_file(f.block_path()).unwrap();
    assert!(running.wait().unwrap().success());

    let f = Fixture::new("basic");
    std::fs::create_dir_all(f.path().join(".kedrust")).unwrap();
    std::fs::write(
        f.path().join(".kedrust/runs.db"),
        "not a database, just text\n",
    )
    .unwrap();
    for args in [&["runs", "list"][..], &["run"][..]] {
        let out = f.run(args, &[]);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .trim()
                .starts_with("error: run store <project>/.kedrust/runs.db: file is not a database"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(f.trace().is_empty(), "{args:?}: no hook fired");
    }
}

#[test]
fn runs_started_in_the_same_millisecond_get_distinct_run_ids_and_save_versions() {
    use std::time::{Duration, SystemTime};
    let f = Fixture::new("basic");
    // Other runs took every id from a second ago to ten seconds ahead: whenever this run
    // starts, its own millisecond is taken, and so is every one up to the end of the range.
    let store = kedrust_store::RunStore::open(&f.path().join(".kedrust/runs.db")).unwrap();
    let now = SystemTime::now();
    let at = |ms: u64| kedrust_catalog::timestamp(now + Duration::from_millis(ms));
    let before = kedrust_catalog::timestamp(now - Duration::from_secs(1));
    assert!(store.reserve_run_id(&before).unwrap());
    for ms in 0..10_000 {
        assert!(store.reserve_run_id(&at(ms)).unwrap());
    }
    assert!(
        !store.reserve_run_id(&at(0)).unwrap(),
        "an id is taken once"
    );
    drop(store);

    let out = f.run(
        &["run", "--env", "faults", "--pipeline", "failing_in_memory"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = f.last_run_id();
    assert_eq!(id, at(10_000), "the first millisecond no other run took");
    assert!(
        f.path().join("data/checked.json").join(&id).is_dir(),
        "the run saves under its own version"
    );
}

/// The secrets the `secrets` environment reads (credentials.yml, `oc.env`) and the secret
/// parameter the tests give with `--params`.
const SECRETS: [&str; 3] = ["pg-s3cret-9431", "wh-token-7788", "tok-params-5521"];

/// Every file under `dir`, except the project's own configuration.
fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn secrets_appear_in_no_message_log_record_listing_or_file() {
    let f = Fixture::new("basic");
    let debug = f.path().join("hook-debug.txt");
    let env = [
        ("FIXTURE_WAREHOUSE_TOKEN", "wh-token-7788"),
        ("KEDRUST_FIXTURE_DEBUG", debug.to_str().unwrap()),
    ];
    let mut shown = String::new();
    for (runner, format) in [("sequential", "plain"), ("process", "json")] {
        let out = f.run(
            &[
                "--log-format",
                format,
                "run",
                "--env",
                "secrets",
                "--pipeline",
                "secrets",
                "--runner",
                runner,
                "--params",
                "api_token=tok-params-5521",
            ],
            &env,
        );
        assert_eq!(out.code, 1, "{runner}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("cannot connect to postgresql://app:***@127.0.0.1:5432/test (token ***)"),
            "{runner}: the error says what failed, secrets hidden: {}",
            out.stderr
        );
        shown += &out.stderr;
    }
    // What the run store kept, a listing of the catalog, and what Dagster's launchpad shows.
    let run_id = f.last_run_id();
    let kept = f.run(&["runs", "show", &run_id], &[]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    shown += &kept.stdout;
    let listing = f.run(
        &["catalog", "resolve", "warehouse_table", "--env", "secrets"],
        &env,
    );
    shown += &listing.stdout;
    let plans = f.run(&["__dagster_plans", "--env", "secrets"], &env);
    assert_eq!(plans.code, 0, "{}", plans.stderr);
    shown += &plans.stdout;
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{secret} was shown:\n{shown}");
    }
    assert!(
        std::fs::read_to_string(&debug)
            .unwrap()
            .contains("conf_creds"),
        "the hooks' arguments were printed"
    );

    // Everything kedrust and the hooks wrote: the run store (and its journal), the hook trace,
    // the hooks' Debug output, the run folders and their copy of the configuration.
    let mut files = Vec::new();
    files_under(f.path(), &mut files);
    let conf = f.path().join("conf");
    for file in files.iter().filter(|p| !p.starts_with(&conf)) {
        let bytes = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        for secret in SECRETS {
            assert!(!bytes.contains(secret), "{secret} is in {}", file.display());
        }
    }

    // The run store kept the secret parameter hidden: a resume asks for it again.
    let resume = f.run(&["run", "--resume", &run_id], &env);
    assert_eq!(resume.code, 2, "{}", resume.stderr);
    insta::assert_snapshot!(
        resume.stderr.replace(&run_id, "<run>"),
        @"error: run '<run>' was given secret parameters the run store does not keep: api_token; give them again: run --resume <run> --params api_token=<value>"
    );
    let resume = f.run(
        &[
            "run",
            "--resume",
            &run_id,
            "--params",
            "api_token=tok-params-5521",
        ],
        &env,
    );
    assert_eq!(
        resume.code, 1,
        "it runs, and the table is still unreachable"
    );
    assert!(
        resume.stderr.contains("connection refused"),
        "{}",
        resume.stderr
    );
}

#[test]
fn partitioned_dataset_config_errors_are_each_named_before_anything_runs() {
    let f = Fixture::new("basic");
    let env = f.path().join("conf/parts");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(
        env.join("catalog.yml"),
        // The four datasets of the default pipeline, each partitioned wrongly.
        "numbers:\n  type: partitions.PartitionedDataset\n  path: data/a\n\
         doubled:\n  type: partitions.PartitionedDataset\n  path: data/b\n  dataset: text.TextDatset\n\
         report:\n  type: partitions.PartitionedDataset\n  path: data/c\n  dataset:\n    type: text.TextDataset\n    versioned: true\n\
         summary:\n  type: partitions.PartitionedDataset\n  path: data/d\n  dataset:\n    filepath_arg: path\n",
    )
    .unwrap();
    let out = f.run(&["run", "--env", "parts"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr);
    assert!(f.trace().is_empty(), "no hook fired");
}

#[test]
fn a_tracking_uri_kedrust_cannot_write_says_how_to_serve_it_before_anything_runs() {
    let f = Fixture::new("basic");
    let out = f.run(
        &["run", "--env", "mlflow"],
        &[("MLFLOW_TRACKING_URI", "postgresql://127.0.0.1/mlflow")],
    );
    // A tracking URI kedrust cannot use is a config error, blamed on the variable that named
    // it: exit 2, no hook fired.
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr.trim_end(), @"error: MlflowHook: MLFLOW_TRACKING_URI: tracking URI 'postgresql://127.0.0.1/mlflow' is neither an MLflow server (http:// or https://) nor a local store (sqlite:///<file>, a path, or null for mlflow.db in the project); for another database, run `mlflow server --backend-store-uri postgresql://127.0.0.1/mlflow` and give its address");
    assert!(f.trace().is_empty(), "no hook fired");
}

#[test]
fn a_misspelt_key_of_mlflow_yml_is_a_config_error_at_its_line() {
    let f = Fixture::new("basic");
    let file = f.path().join("conf/mlflow/mlflow.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("tracking:", "trackin:", 1)).unwrap();
    let out = f.run(&["run", "--env", "mlflow"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr.trim_end(), @"error: MlflowHook: <project>/conf/mlflow/mlflow.yml:2:1: unknown key 'trackin'; did you mean 'tracking'? (valid: server, tracking, ui)");
    assert!(f.trace().is_empty(), "no hook fired");
}
