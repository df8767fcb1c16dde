//! `${...}` interpolation: in-group references, `globals:`, `runtime_params:`, `oc.env:` and
//! project resolvers, and the message for each way it can fail.

use kedrust_config::{ConfigLoader, parse_runtime_params};
use serde_json::{Value, json};

const INTERPOLATED: &str = "tests/fixtures/interpolated/conf";
const ERRORS: &str = "tests/fixtures/interpolation_errors/conf";

fn add(args: &[Value]) -> Result<Value, String> {
    let sum: f64 = args.iter().filter_map(Value::as_f64).sum();
    Ok(json!(sum))
}

#[test]
fn references_globals_and_defaults_resolve_with_their_types() {
    let catalog = ConfigLoader::new(INTERPOLATED, "local")
        .load("catalog")
        .unwrap()
        .value;
    assert_eq!(
        catalog["companies"]["filepath"],
        "data/01_raw/companies.csv"
    );
    assert_eq!(
        catalog["shuttles"]["filepath"],
        "s3://kedrust-data/shuttles.parquet"
    );
    // A whole-string interpolation keeps the type of what it refers to.
    assert_eq!(catalog["shuttles"]["save_args"]["threads"], json!(4));
    assert_eq!(catalog["shuttles"]["save_args"]["compression"], "zstd");
    assert_eq!(catalog["reviews"]["filepath"], "data/reviews.txt");
    assert_eq!(
        catalog["reviews"]["metadata"]["literal"],
        "${not_interpolated}"
    );
    assert_eq!(
        catalog["reviews"]["metadata"]["folders"],
        json!({"raw": "01_raw"})
    );
}

#[test]
fn runtime_params_feed_interpolations_in_every_group() {
    let loader = ConfigLoader::new(INTERPOLATED, "local")
        .runtime_params(parse_runtime_params("reviews_path=/tmp/r.txt,seed=42").unwrap())
        .resolver("add", add);
    let catalog = loader.load("catalog").unwrap().value;
    assert_eq!(catalog["reviews"]["filepath"], "/tmp/r.txt");
    let params = loader.load("parameters").unwrap().value;
    assert_eq!(params["seed"], json!(42));
}

#[test]
fn parameters_interpolate_each_other_and_call_project_resolvers() {
    let params = ConfigLoader::new(INTERPOLATED, "local")
        .resolver("add", add)
        .load("parameters")
        .unwrap()
        .value;
    assert_eq!(
        params["seed"],
        json!(7),
        "the globals default of a runtime param"
    );
    assert_eq!(params["report_alpha"], json!(0.1));
    assert_eq!(params["label"], "linear model, alpha 0.1");
    assert_eq!(params["shifted"], json!(1.1));
}

#[test]
fn environment_variables_are_read_in_credentials() {
    let creds = ConfigLoader::new(INTERPOLATED, "local")
        .load("credentials")
        .unwrap()
        .value;
    assert_eq!(creds["shell"]["path"], std::env::var("PATH").unwrap());
    assert_eq!(creds["shell"]["token"], "no-token");
}

#[test]
fn every_unresolvable_string_is_reported_at_its_line() {
    let err = ConfigLoader::new(ERRORS, "local")
        .load("catalog")
        .unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn oc_env_can_be_allowed_everywhere() {
    let catalog = ConfigLoader::new(ERRORS, "local")
        .env_vars_everywhere(true)
        .load("catalog")
        .unwrap_err()
        .to_string();
    assert!(!catalog.contains("env_outside_credentials"), "{catalog}");
}

#[test]
fn an_unknown_project_resolver_is_suggested() {
    let err = ConfigLoader::new(INTERPOLATED, "local")
        .resolver("ad", add)
        .load("parameters")
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("unknown resolver 'add' (known: globals, runtime_params, oc.env, ad); did you mean 'ad'?"),
        "{err}"
    );
}
