//! Incremental runs (`run --only-changed`) on the default pipeline: a second run with nothing
//! changed runs no node (and fires the pipeline hooks once); a changed parameter, an output
//! edited or removed by hand, rerun just what depends on it, and the log says why.

use crate::Fixture;

/// `run --only-changed` with `args`: the nodes that ran, and the log.
fn only_changed(f: &Fixture, args: &[&str]) -> (Vec<String>, String) {
    let _ = std::fs::remove_file(f.trace_path());
    let mut all = vec!["run", "--only-changed"];
    all.extend(args);
    let out = f.run(&all, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    (f.nodes_run(), out.stderr)
}

#[test]
fn a_run_with_nothing_changed_runs_no_node_and_a_change_reruns_what_depends_on_it() {
    let f = Fixture::new("basic");
    let out = f.run(&["run"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    let (ran, log) = only_changed(&f, &[]);
    assert_eq!(ran, Vec::<String>::new(), "{log}");
    assert!(
        log.contains("4 nodes unchanged, skipped; running 0 of 4"),
        "{log}"
    );
    assert_eq!(f.fired("before_pipeline_run"), 1);
    assert_eq!(f.fired("after_pipeline_run"), 1);
    assert_eq!(f.fired("before_node_run"), 0);

    // A parameter: the node that reads it and what is downstream.
    let (ran, log) = only_changed(&f, &["--params", "offset=5"]);
    assert_eq!(ran, ["total", "summarise"], "{log}");
    assert!(
        log.contains("running total: parameter offset changed"),
        "{log}"
    );
    assert!(
        log.contains("running summarise: input report is recomputed (node total runs)"),
        "{log}"
    );
    // The same parameters again: nothing to do.
    let (ran, _) = only_changed(&f, &["--params", "offset=5"]);
    assert_eq!(ran, Vec::<String>::new());

    // An output edited by hand: its node runs again, with the producer of the memory input
    // it needs, and what is downstream.
    std::thread::sleep(std::time::Duration::from_millis(10));
    std::fs::write(f.path().join("data/doubled.json"), "[0, 0, 0, 0]").unwrap();
    let (ran, log) = only_changed(&f, &["--params", "offset=5"]);
    assert_eq!(
        ran,
        ["make_numbers", "double", "total", "summarise"],
        "{log}"
    );
    assert!(
        log.contains("running double: output doubled changed since it was saved"),
        "{log}"
    );
    assert!(
        log.contains("running make_numbers: node double needs its output numbers, kept in memory"),
        "{log}"
    );

    // An output removed: only its node.
    std::fs::remove_file(f.path().join("data/summary.txt")).unwrap();
    let (ran, log) = only_changed(&f, &["--params", "offset=5"]);
    assert_eq!(ran, ["summarise"], "{log}");
    assert!(
        log.contains("running summarise: output summary missing"),
        "{log}"
    );
    assert!(f.path().join("data/summary.txt").is_file());
    // The run keeps what it skipped, and why the rest ran.
    let shown = f.run(&["runs", "show", &f.last_run_id()], &[]).stdout;
    let said: Vec<&str> = shown
        .lines()
        .filter(|l| l.contains("STEP_SKIPPED") || l.contains(" runs: "))
        .filter_map(|l| l.find("node ").map(|at| &l[at..]))
        .collect();
    assert_eq!(
        said,
        [
            "node make_numbers skipped: unchanged (--only-changed)",
            "node double skipped: unchanged (--only-changed)",
            "node total skipped: unchanged (--only-changed)",
            "node summarise runs: output summary missing",
        ],
        "{shown}"
    );
}

#[test]
fn only_changed_and_only_missing_outputs_are_one_or_the_other() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--only-changed", "--only-missing-outputs"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn a_node_whose_output_is_the_runs_result_in_memory_always_runs() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run", "-p", "failing_in_memory"], &[]).code, 0);
    // `after_check` returns its value to the run in memory: it runs, and so do the producers
    // of the memory data it needs.
    let (ran, log) = only_changed(&f, &["-p", "failing_in_memory"]);
    assert_eq!(
        ran,
        ["make_numbers", "double", "check", "after_check"],
        "{log}"
    );
    assert!(
        log.contains(
            "running after_check: its output after_check is the run's result, kept in memory"
        ),
        "{log}"
    );
}

#[test]
fn plan_says_what_an_only_changed_run_would_run_and_why() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run", "--job", "chain_job"], &[]).code, 0);
    let out = f.run(&["plan", "--job", "chain_job", "--only-changed"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("with --only-changed: 0 of 4 nodes would run, 4 unchanged\n"),
        "{}",
        out.stdout
    );
    std::fs::remove_file(f.path().join("data/summary.txt")).unwrap();
    let out = f.run(&["plan", "--job", "chain_job", "--only-changed"], &[]);
    assert!(
        out.stdout.ends_with(
            "with --only-changed: 1 of 4 nodes would run, 3 unchanged\n  summarise: output \
             summary missing\n"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(f.fired("before_node_run"), 4, "plan ran nothing");
}

#[test]
fn a_memory_producer_run_alone_with_other_parameters_does_not_rerun_what_reads_it() {
    // make_numbers (params:count) -(numbers, memory)-> double -> doubled -> ...
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run"], &[]).code, 0);
    // make_numbers alone, with another count: its own record changes, double's does not.
    let out = f.run(
        &["run", "--nodes", "make_numbers", "--params", "count=9"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Back to the configured count, nothing double read has changed.
    let (ran, log) = only_changed(&f, &[]);
    assert_eq!(ran, Vec::<String>::new(), "{log}");
    // With the other count, double's input changes (make_numbers' own record has that count
    // already) and everything from it runs.
    let (ran, log) = only_changed(&f, &["--params", "count=9"]);
    assert_eq!(
        ran,
        ["make_numbers", "double", "total", "summarise"],
        "{log}"
    );
    assert!(
        log.contains("running double: input numbers changed"),
        "{log}"
    );
}
