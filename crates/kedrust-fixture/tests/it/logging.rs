//! logging.yml and a job's loggers of dagster.yml, through the binary: each test writes the
//! files it needs into a copy of the basic project and reads what the handlers wrote.

use crate::Fixture;
use std::path::Path;

fn write(f: &Fixture, file: &str, text: &str) {
    let path = f.path().join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Kedro's project template, with a console on stdout in a shape the test can read and a
/// file that shows each line's process.
const KEDRO_LOGGING_YML: &str = r#"
version: 1
disable_existing_loggers: False
formatters:
  simple:
    format: "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
  traced:
    format: "%(process)d|%(levelname)s|%(name)s|%(message)s"
handlers:
  console:
    class: logging.StreamHandler
    level: INFO
    formatter: simple
    stream: ext://sys.stdout
  info_file_handler:
    class: logging.handlers.RotatingFileHandler
    level: INFO
    formatter: traced
    filename: logs/info.log
    maxBytes: 10485760 # 10MB
    backupCount: 20
    encoding: utf8
    delay: True
loggers:
  kedro:
    level: INFO
root:
  handlers: [console, info_file_handler]
"#;

#[test]
fn logging_yml_sends_every_process_s_lines_to_its_handlers_in_their_formats() {
    let f = Fixture::new("basic");
    write(&f, "conf/logging.yml", KEDRO_LOGGING_YML);
    let out = f.run(&["run", "-r", "process"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The console handler writes to stdout in its format; kedrust's own console lines are
    // replaced, not doubled.
    assert!(
        out.stdout.lines().any(|l| l.ends_with(
            " - kedrust.cli.commands - INFO - pipeline execution completed successfully"
        ) || l.contains(
            " - kedrust.cli.commands - INFO - pipeline execution completed successfully in "
        )),
        "{}",
        out.stdout
    );
    assert!(!out.stderr.contains("completed node"), "{}", out.stderr);
    // The file has the node's own line, written by the step's process, and the run's lines,
    // written by the orchestrating one.
    let log = read(&f.path().join("logs/info.log"));
    let pid_of = |needle: &str| -> String {
        let line = log
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no '{needle}' in:\n{log}"));
        line.split('|').next().unwrap().to_owned()
    };
    let step = pid_of("|INFO|kedrust.fixture|adding up 4 numbers");
    let run = pid_of("|INFO|kedrust.framework.session|kedrust project fixture: running 4 nodes");
    assert_ne!(step, run, "the node ran in a step process:\n{log}");
}

#[test]
fn an_environment_changes_one_key_of_logging_yml_and_a_filter_on_the_command_line_wins() {
    let f = Fixture::new("basic");
    write(&f, "conf/logging.yml", KEDRO_LOGGING_YML);
    // `quiet` raises the level of kedrust's loggers and nothing else: the handlers stay.
    write(
        &f,
        "conf/quiet/logging.yml",
        "loggers:\n  kedro:\n    level: ERROR\n",
    );
    let out = f.run(&["run", "--env", "quiet"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "", "nothing at ERROR");
    assert!(
        !f.path().join("logs/info.log").exists(),
        "delay: the file opens at its first line"
    );
    // KEDRUST_LOG decides what is logged; the handlers still decide where it goes.
    let out = f.run(&["run", "--env", "quiet"], &[("KEDRUST_LOG", "info")]);
    assert!(
        out.stdout
            .contains(" - INFO - completed node double (2 of 4)"),
        "{}",
        out.stdout
    );
    assert!(
        read(&f.path().join("logs/info.log")).contains("|INFO|kedrust.fixture|adding up 4 numbers")
    );
}

#[test]
fn a_rotating_file_keeps_backup_count_files_of_max_bytes() {
    let f = Fixture::new("basic");
    write(
        &f,
        "conf/base/logging.yml",
        r#"
handlers:
  file:
    class: logging.handlers.RotatingFileHandler
    filename: logs/small.log
    maxBytes: 150
    backupCount: 2
loggers:
  kedrust: {level: INFO, handlers: [file]}
"#,
    );
    for _ in 0..3 {
        assert_eq!(f.run(&["run"], &[]).code, 0);
    }
    let logs = f.path().join("logs");
    for kept in ["small.log", "small.log.1", "small.log.2"] {
        let text = read(&logs.join(kept));
        // A file is rotated after the line that passes the limit.
        let last = text.lines().last().map_or(0, str::len) + 1;
        assert!(text.len() <= 150 + last, "{kept}: {} bytes", text.len());
    }
    assert!(!logs.join("small.log.3").exists(), "backupCount: 2");
}

#[test]
fn mistakes_in_logging_yml_are_configuration_errors_at_their_lines_before_anything_runs() {
    let f = Fixture::new("basic");
    write(
        &f,
        "conf/logging.yml",
        r#"version: 1
formatters:
  simple:
    format: "%(asctime)s %(levelnme)s %(message)s"
handlers:
  console:
    class: logging.StreamHandlr
  file:
    class: logging.FileHandler
    filename: logs/run.log
    formatter: simpel
    maxBytes: 100
  custom:
    (): my_project.logging.make_handler
root:
  level: LOUD
  handlers: [consle]
"#,
    );
    let out = f.run(&["run"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let at = |line: u32| {
        format!(
            "{}:{line}: logging: ",
            f.path().join("conf/logging.yml").display()
        )
        .replace(&f.path().display().to_string(), "<project>")
    };
    for expected in [
        format!(
            "{}formatters.simple.format: '%(asctime)s %(levelnme)s %(message)s': unknown attribute 'levelnme'; did you mean 'levelname'?",
            at(4)
        ),
        format!(
            "{}handlers.console.class: unknown handler class 'logging.StreamHandlr'; did you mean 'logging.StreamHandler'?",
            at(7)
        ),
        format!(
            "{}handlers.file.maxBytes: unknown key (keys: class, level, formatter, filters, filename, mode, encoding, delay, errors)",
            at(12)
        ),
        format!(
            "{}handlers.file.formatter: no formatter 'simpel'; did you mean 'simple'?",
            at(11)
        ),
        format!(
            "{}handlers.custom.(): factories (`()`) are not supported, as in Kedro; name a class instead",
            at(14)
        ),
        format!("{}root.level: invalid level \"LOUD\"", at(16)),
        format!("{}root.handlers: no handler 'consle'", at(17)),
    ] {
        assert!(
            out.stderr.contains(&expected),
            "missing: {expected}\nin:\n{}",
            out.stderr
        );
    }
    assert!(f.nodes_run().is_empty(), "nothing ran");
    assert!(!f.path().join("logs").exists());
}

#[test]
fn a_job_s_loggers_of_dagster_yml_apply_to_run_job() {
    let f = Fixture::new("basic");
    // kedro-dagster's template logger, and one whose handler class only Dagster can import.
    write(
        &f,
        "conf/logged/dagster.yml",
        r#"
loggers:
  file_logger:
    log_level: INFO
    formatters:
      simple:
        format: "[%(asctime)s] %(levelname)s - %(message)s"
    handlers:
      - class: logging.handlers.RotatingFileHandler
        level: INFO
        formatter: simple
        filename: dagster_run_info.log
        maxBytes: 10485760
        backupCount: 20
        encoding: utf8
        delay: True
  chat_logger:
    handlers:
      - class: my_project.logging.ChatHandler
jobs:
  logged_job:
    pipeline:
      pipeline_name: chain
    loggers: [file_logger, chat_logger]
"#,
    );
    let out = f.run(&["run", "--env", "logged", "--job", "logged_job"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("loggers.chat_logger: handlers.0.class: unknown handler class 'my_project.logging.ChatHandler'"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("left out of `run --job` (Dagster applies it)"),
        "{}",
        out.stderr
    );
    // The console keeps kedrust's lines; the job's file gets them in its own format.
    assert!(
        out.stderr.contains("completed node double"),
        "{}",
        out.stderr
    );
    let log = read(&f.path().join("dagster_run_info.log"));
    assert!(
        log.lines()
            .any(|l| l.starts_with('[') && l.ends_with("] INFO - adding up 4 numbers")),
        "{log}"
    );
    // A plain run names no job, and the job's loggers stay out of it.
    std::fs::remove_file(f.path().join("dagster_run_info.log")).unwrap();
    assert_eq!(f.run(&["run", "--env", "logged"], &[]).code, 0);
    assert!(!f.path().join("dagster_run_info.log").exists());
}
