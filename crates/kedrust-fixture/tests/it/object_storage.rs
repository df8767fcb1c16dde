//! Datasets on object storage, against a real S3 server on 127.0.0.1 (moto's standalone
//! server, pinned in `python-pins.txt`): a run reads and writes its files there with Kedro's
//! credential keys, versions are kept in Kedro's layout, and every mistake names the dataset,
//! the URL and what the server said.

use crate::Fixture;
use kedrust_testkit::S3Server as S3;
use std::time::{Duration, Instant};

/// The `basic` project with an environment `s3` whose files are in the bucket: the report,
/// the summary, and `doubled` versioned.
fn project(s3: &S3, catalog_extra: &str) -> Fixture {
    let f = Fixture::new("basic");
    let env = f.path().join("conf/s3");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(env.join("credentials.yml"), s3.credentials_yaml("dev_s3")).unwrap();
    std::fs::write(
        env.join("catalog.yml"),
        format!(
            "report:\n  type: json.JSONDataset\n  filepath: s3://kedrust/report.json\n  \
             credentials: dev_s3\n\
             summary:\n  type: text.TextDataset\n  filepath: s3://kedrust/summary.txt\n  \
             credentials: dev_s3\n\
             doubled:\n  type: serde.JSONDataset\n  filepath: s3://kedrust/doubled.json\n  \
             versioned: true\n  credentials: dev_s3\n{catalog_extra}"
        ),
    )
    .unwrap();
    f
}

#[test]
fn a_run_reads_and_writes_its_files_on_s3_and_keeps_every_version() {
    let s3 = S3::start();
    let f = project(&s3, "");
    let out = f.run(&["run", "--env", "s3"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        s3.object("summary.txt").as_deref(),
        Some("total 120 over 4 numbers\n")
    );
    assert!(s3.object("report.json").is_some());
    assert!(!f.path().join("data/summary.txt").exists(), "nothing local");
    // A second run writes a second version of `doubled`, in Kedro's layout, and the first
    // stays as it was.
    std::thread::sleep(Duration::from_millis(5));
    let out = f.run(&["run", "--env", "s3"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let versions = s3.keys("doubled.json/");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions.iter().all(|k| k.ends_with("/doubled.json")));
    // `catalog` commands see the data where it is, and the secret is never shown.
    let listed = f.run(&["catalog", "list", "--env", "s3"], &[]);
    assert!(!listed.stdout.contains(S3::SECRET));
    assert!(!out.stderr.contains(S3::SECRET));
}

#[test]
fn object_storage_mistakes_name_the_dataset_the_url_and_what_the_server_said() {
    let s3 = S3::start();
    // A bucket that does not exist: the run fails at the save, naming all three.
    let f = project(
        &s3,
        "numbers:\n  type: serde.JSONDataset\n  filepath: s3://no-such-bucket/numbers.json\n  \
         credentials: dev_s3\n",
    );
    let out = f.run(&["run", "--env", "s3"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("'numbers'"), "{}", out.stderr);
    assert!(
        out.stderr.contains("s3://no-such-bucket/numbers.json"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("NoSuchBucket"), "{}", out.stderr);
    assert!(!out.stderr.contains(S3::SECRET), "{}", out.stderr);
    // A misspelt option is refused before anything runs, with the nearest one.
    let f = project(
        &s3,
        "numbers:\n  type: serde.JSONDataset\n  filepath: s3://kedrust/numbers.json\n  \
         fs_args: {allow_htp: true}\n",
    );
    let out = f.run(&["run", "--env", "s3"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("'allow_htp' is not an option of s3:// storage; did you mean 'allow_http'?"),
        "{}",
        out.stderr
    );
    assert_eq!(f.fired("before_pipeline_run"), 0, "nothing ran");
    // An endpoint nothing answers: a bounded wait, then the dataset and the URL.
    let f = project(&s3, "");
    let credentials = f.path().join("conf/s3/credentials.yml");
    let text = std::fs::read_to_string(&credentials).unwrap();
    std::fs::write(
        &credentials,
        text.replace(s3.endpoint(), "http://127.0.0.1:9"),
    )
    .unwrap();
    let started = Instant::now();
    let out = f.run(&["run", "--env", "s3"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(out.stderr.contains("s3://kedrust/"), "{}", out.stderr);
}
