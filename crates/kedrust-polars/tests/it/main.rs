//! Integration tests of the DataFrame datasets: every format round-trips, options reach
//! Polars, and a wrong type or a typo in the options is reported before anything runs.

use kedrust_catalog::{Catalog, CatalogBuilder, Registry};
use kedrust_config::ConfigLoader;
use kedrust_pipeline::{Pipeline, Value, node};
use polars::prelude::*;
use std::path::Path;

const FIXTURES: &str = "tests/fixtures";

fn catalog(root: &Path) -> Catalog {
    let mut registry = Registry::with_builtins();
    kedrust_polars::register(&mut registry);
    let loader = ConfigLoader::new(Path::new(FIXTURES).join("conf"), "local");
    CatalogBuilder::new(registry)
        .config(loader.load("catalog").unwrap())
        .root(root)
        .build()
        .unwrap()
}

fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("data/companies.csv"),
        dir.path().join("data/companies.csv"),
    )
    .unwrap();
    dir
}

fn frame(c: &Catalog, name: &str) -> DataFrame {
    c.load(name).unwrap().take::<DataFrame>().unwrap()
}

#[test]
fn csv_load_args_reach_polars() {
    let dir = scratch();
    let c = catalog(dir.path());
    let df = frame(&c, "companies");
    assert_eq!(df.shape(), (3, 4));
    assert_eq!(
        df.column("company_rating").unwrap().null_count(),
        1,
        "n/a is null"
    );
    assert_eq!(
        df.column("company_location").unwrap().str().unwrap().get(0),
        Some("Isle of Man")
    );
}

#[test]
fn every_format_round_trips() {
    let dir = scratch();
    let c = catalog(dir.path());
    let df = frame(&c, "companies");
    c.save("companies_out", Value::new(df.clone())).unwrap();
    let written = std::fs::read_to_string(dir.path().join("data/out/companies.csv")).unwrap();
    assert!(written.starts_with("id|company_rating|"), "{written}");
    assert!(frame(&c, "companies_out").equals_missing(&df));
    for name in [
        "companies_parquet",
        "companies_ndjson",
        "companies_json",
        "companies_ipc",
    ] {
        c.save(name, Value::new(df.clone())).unwrap();
        let back = frame(&c, name);
        assert!(back.equals_missing(&df), "{name}: {back}");
    }
}

#[test]
fn versioned_frames_use_kedros_layout() {
    let dir = scratch();
    let mut registry = Registry::with_builtins();
    kedrust_polars::register(&mut registry);
    let loader = ConfigLoader::new(Path::new(FIXTURES).join("conf"), "local");
    let c = CatalogBuilder::new(registry)
        .config(loader.load("catalog").unwrap())
        .root(dir.path())
        .save_version("2026-11-25T12.00.00.000Z")
        .build()
        .unwrap();
    let df = frame(&c, "companies");
    c.save("versioned_frame", Value::new(df.clone())).unwrap();
    assert!(
        dir.path()
            .join("data/out/versioned.parquet/2026-11-25T12.00.00.000Z/versioned.parquet")
            .is_file()
    );
    assert!(frame(&c, "versioned_frame").equals_missing(&df));
}

#[test]
fn a_missing_file_names_the_dataset_type_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let c = catalog(dir.path());
    let err = c.load("companies").unwrap_err().to_string();
    assert!(
        err.starts_with("cannot load dataset 'companies' (polars.CSVDataset): cannot read ")
            && err.contains("data/companies.csv"),
        "{err}"
    );
}

#[test]
fn reading_a_csv_into_a_string_is_reported_before_the_run() {
    fn shout(text: String) -> String {
        text.to_uppercase()
    }
    let dir = scratch();
    let c = catalog(dir.path());
    let p = Pipeline::new([node(shout, "companies", "loud").name("shout")]).unwrap();
    let err = c.bind(&p).unwrap_err().to_string();
    assert_eq!(
        err,
        "tests/fixtures/conf/base/catalog.yml:1:1: dataset 'companies': polars.CSVDataset stores DataFrame, but node 'shout' reads it as String"
    );
}

#[test]
fn a_typo_in_load_args_suggests_the_option_even_when_no_pipeline_uses_the_entry() {
    let mut registry = Registry::with_builtins();
    kedrust_polars::register(&mut registry);
    let loader = ConfigLoader::new(Path::new(FIXTURES).join("conf"), "typo");
    let err = CatalogBuilder::new(registry)
        .config(loader.load("catalog").unwrap())
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("tests/fixtures/conf/typo/catalog.yml:3:1: dataset 'typo_in_load_args': polars.CSVDataset: 'load_args': unknown key 'sepaator'; did you mean 'separator'? (valid: separator, has_header,"),
        "{err}"
    );
}

#[test]
fn an_excel_sheet_round_trips_with_pandas_column_types() {
    let dir = scratch();
    let c = catalog(dir.path());
    let df = df!(
        "id" => [1i64, 2, 3],
        "engines" => [Some(1.5), None, Some(2.0)],
        "checked" => [true, false, true],
        "price" => ["$1,325.0", "$2,000.0", "$99.5"],
    )
    .unwrap();
    c.save("fleet_xlsx", Value::new(df.clone())).unwrap();
    let back = frame(&c, "fleet_xlsx");
    assert_eq!(
        back, df,
        "whole numbers stay Int64, a gap makes Float64, flags stay Boolean"
    );
    // The sheet is named as save_args says, and load_args pick it by name or position.
    let book = dir.path().join("data/out/fleet.xlsx");
    let mut sheets = calamine::open_workbook_auto(&book).unwrap();
    assert_eq!(calamine::Reader::sheet_names(&sheets), ["fleet"]);
    let _ = calamine::Reader::worksheet_range(&mut sheets, "fleet").unwrap();
}

#[test]
fn kedros_starter_shuttles_sheet_loads() {
    let starter = Path::new("../../../shared/data/spaceflights-starter/shuttles.xlsx");
    if !starter.exists() {
        eprintln!("skipped: {} is not here", starter.display());
        return;
    }
    let mut registry = Registry::with_builtins();
    kedrust_polars::register(&mut registry);
    let entry = serde_json::json!({"shuttles": {
        "type": "polars.ExcelDataset",
        "filepath": std::fs::canonicalize(starter).unwrap(),
    }});
    let c = CatalogBuilder::new(registry)
        .config(kedrust_config::Config::inline(entry))
        .build()
        .unwrap();
    let shuttles = frame(&c, "shuttles");
    assert_eq!(shuttles.height(), 15_531);
    let column = |name: &str| shuttles.column(name).unwrap().dtype().clone();
    assert_eq!(column("id"), DataType::Int64);
    assert_eq!(column("engines"), DataType::Float64, "it has gaps");
    assert_eq!(
        column("d_check_complete"),
        DataType::String,
        "t/f, as in the CSV"
    );
    assert_eq!(column("price"), DataType::String, "$1,325.0 as text");
}

/// A catalog of one entry, written inline.
fn catalog_of(root: &Path, entries: serde_json::Value) -> Result<Catalog, String> {
    let mut registry = Registry::with_builtins();
    kedrust_polars::register(&mut registry);
    CatalogBuilder::new(registry)
        .config(kedrust_config::Config::inline(entries))
        .root(root)
        .build()
        .map_err(|e| e.to_string())
}

#[test]
fn several_sheets_load_and_save_as_a_map_as_kedros_sheet_name_none_does() {
    use kedrust_polars::Sheets;
    let dir = scratch();
    let every = catalog_of(
        dir.path(),
        serde_json::json!({"book": {
            "type": "polars.ExcelDataset",
            "filepath": "data/book.xlsx",
            "load_args": {"sheet_name": null},
        }}),
    )
    .unwrap();
    let sheets: Sheets = [
        ("fleet".to_owned(), df!("id" => [1i64, 2]).unwrap()),
        ("crew".to_owned(), df!("name" => ["Ada", "Grace"]).unwrap()),
    ]
    .into();
    every.save("book", Value::new(sheets.clone())).unwrap();
    let back = every.load("book").unwrap().take::<Sheets>().unwrap();
    assert_eq!(back, sheets, "every sheet, by name");

    // A list picks sheets by name or position; one sheet stays a DataFrame.
    let some = catalog_of(
        dir.path(),
        serde_json::json!({
            "two": {"type": "polars.ExcelDataset", "filepath": "data/book.xlsx",
                    "load_args": {"sheet_name": ["fleet", 0]}},
            "one": {"type": "polars.ExcelDataset", "filepath": "data/book.xlsx",
                    "load_args": {"sheet_name": "fleet"}},
        }),
    )
    .unwrap();
    let two = some.load("two").unwrap().take::<Sheets>().unwrap();
    assert_eq!(two.keys().collect::<Vec<_>>(), ["crew", "fleet"]);
    assert_eq!(frame(&some, "one"), sheets["fleet"]);

    // What the entry holds is checked against the nodes before the run.
    fn count(frame: DataFrame) -> usize {
        frame.height()
    }
    let p = Pipeline::new([node(count, "book", "rows").name("count")]).unwrap();
    let err = every.bind(&p).unwrap_err().to_string();
    assert!(
        err.contains("polars.ExcelDataset stores BTreeMap<String, DataFrame>, but node 'count' reads it as DataFrame"),
        "{err}"
    );
    let missing = catalog_of(
        dir.path(),
        serde_json::json!({"x": {"type": "polars.ExcelDataset", "filepath": "data/book.xlsx",
                                 "load_args": {"sheet_name": ["fleet", "crews"]}}}),
    )
    .unwrap();
    let err = missing.load("x").unwrap_err().to_string();
    assert!(
        err.contains("no sheet 'crews' (sheets: crew, fleet)"),
        "{err}"
    );
}

#[test]
fn frames_and_sheets_round_trip_on_s3_with_versions() {
    let s3 = kedrust_testkit::S3Server::start();
    let dir = scratch();
    let credentials = serde_json::json!({
        "key": kedrust_testkit::S3Server::KEY,
        "secret": kedrust_testkit::S3Server::SECRET,
        "client_kwargs": {"endpoint_url": s3.endpoint(), "region_name": "us-east-1"},
    });
    let on_s3 = |kind: &str, key: &str, versioned: bool| {
        serde_json::json!({"type": kind, "filepath": format!("s3://kedrust/{key}"),
                           "credentials": credentials, "versioned": versioned})
    };
    let c = catalog_of(
        dir.path(),
        serde_json::json!({
            "trips": on_s3("polars.ParquetDataset", "trips.parquet", true),
            "trips_csv": on_s3("polars.CSVDataset", "trips.csv", false),
            "book": on_s3("polars.ExcelDataset", "book.xlsx", false),
        }),
    )
    .unwrap();
    let trips = df!("id" => [1i64, 2, 3], "km" => [1.5f64, 2.0, 7.25]).unwrap();
    for name in ["trips", "trips_csv", "book"] {
        c.save(name, Value::new(trips.clone())).unwrap();
        assert!(frame(&c, name).equals_missing(&trips), "{name}");
    }
    assert_eq!(
        s3.object("trips.csv").unwrap().lines().next(),
        Some("id,km")
    );
    let versions = s3.keys("trips.parquet/");
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert!(versions[0].ends_with("/trips.parquet"), "{versions:?}");
}

/// Lazy entries of the three formats Polars scans, over the same trips.
fn lazy_catalog(root: &Path) -> Catalog {
    let lazy = |file: &str, format: &str| {
        serde_json::json!({"type": "polars.LazyPolarsDataset",
                           "filepath": format!("data/{file}"), "file_format": format})
    };
    let mut csv = lazy("trips.csv", "csv");
    csv["load_args"] = serde_json::json!({"separator": ";"});
    csv["save_args"] = serde_json::json!({"separator": ";"});
    let mut first_two = lazy("trips.parquet", "parquet");
    first_two["load_args"] = serde_json::json!({"columns": ["id", "km"], "n_rows": 2});
    catalog_of(
        root,
        serde_json::json!({
            "trips": lazy("trips.parquet", "parquet"),
            "trips_csv": csv,
            "trips_ipc": lazy("trips.arrow", "ipc"),
            "trips_xlsx": lazy("trips.xlsx", "excel"),
            "first_two": first_two,
            "short_trips": lazy("short.parquet", "parquet"),
        }),
    )
    .unwrap()
}

fn trips() -> DataFrame {
    df!("id" => [1i64, 2, 3], "km" => [1.5f64, 2.0, 7.25], "pilot" => ["Ada", "Grace", "Yuri"])
        .unwrap()
}

fn query(c: &Catalog, name: &str) -> LazyFrame {
    c.load(name).unwrap().take::<LazyFrame>().unwrap()
}

#[test]
fn a_lazy_dataset_saves_a_query_and_loads_one_that_reads_the_file_when_it_runs() {
    let dir = scratch();
    let c = lazy_catalog(dir.path());
    for name in ["trips", "trips_csv", "trips_ipc", "trips_xlsx"] {
        c.save(name, Value::new(trips().lazy())).unwrap();
        let back = query(&c, name).collect().unwrap();
        assert!(back.equals_missing(&trips()), "{name}: {back}");
    }
    let csv = std::fs::read_to_string(dir.path().join("data/trips.csv")).unwrap();
    assert!(
        csv.starts_with("id;km;pilot"),
        "save_args reach the writer: {csv}"
    );
    let first_two = query(&c, "first_two").collect().unwrap();
    assert_eq!(first_two.shape(), (2, 2), "load_args reach the scan");

    // Loading reads nothing: the file is read when the query runs.
    let later = query(&c, "trips");
    std::fs::remove_file(dir.path().join("data/trips.parquet")).unwrap();
    assert!(later.collect().is_err(), "the file was read at load");
}

#[test]
fn lazy_nodes_between_two_files_are_one_query_that_reads_only_what_the_end_needs() {
    fn long(trips: LazyFrame) -> LazyFrame {
        trips.filter(col("km").gt(lit(1.8)))
    }
    fn distances(trips: LazyFrame) -> LazyFrame {
        trips.select([col("id"), col("km")])
    }
    let dir = scratch();
    let c = lazy_catalog(dir.path());
    c.save("trips", Value::new(trips().lazy())).unwrap();
    let p = Pipeline::new([
        node(long, "trips", "long_trips").name("long"),
        node(distances, "long_trips", "short_trips").name("distances"),
    ])
    .unwrap();
    c.bind(&p).expect("the nodes read and write LazyFrames");
    // What the runner does, node by node: the memory dataset between them holds a plan.
    let end = distances(long(query(&c, "trips")));
    let plan = end.clone().explain(true).unwrap();
    assert!(
        plan.contains("PROJECT 2/3 COLUMNS") && plan.contains("SELECTION"),
        "the column choice and the filter reach the scan:\n{plan}"
    );
    c.save("short_trips", Value::new(end.clone())).unwrap();
    // Its record has the rows it wrote, which the query did not know before it ran.
    let described = c.describe_saved("short_trips", &Value::new(end)).unwrap();
    assert_eq!(described["row_count"], 2, "{described}");
    assert_eq!(described["columns"][1]["name"], "km", "{described}");
    let saved =
        ParquetReader::new(std::fs::File::open(dir.path().join("data/short.parquet")).unwrap())
            .finish()
            .unwrap();
    assert_eq!(
        saved,
        df!("id" => [2i64, 3], "km" => [2.0f64, 7.25]).unwrap()
    );
}

#[test]
fn a_lazy_entry_is_checked_before_anything_runs() {
    let dir = scratch();
    let entry = |extra: serde_json::Value| {
        let mut e =
            serde_json::json!({"type": "polars.LazyPolarsDataset", "filepath": "data/t.parquet"});
        e.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        catalog_of(dir.path(), serde_json::json!({"t": e}))
            .map(|_| ())
            .unwrap_err()
    };
    let missing = entry(serde_json::json!({}));
    assert!(
        missing.contains("'file_format' is required: csv, parquet, ipc or excel"),
        "{missing}"
    );
    let typo = entry(serde_json::json!({"file_format": "parqet"}));
    assert!(
        typo.contains("parqet") && typo.contains("`parquet`"),
        "{typo}"
    );
    let load_args =
        entry(serde_json::json!({"file_format": "parquet", "load_args": {"colums": ["a"]}}));
    assert!(load_args.contains("did you mean 'columns'?"), "{load_args}");
    let remote =
        entry(serde_json::json!({"file_format": "parquet", "filepath": "s3://bucket/t.parquet"}));
    assert!(
        remote.contains("a lazy dataset scans a local file"),
        "{remote}"
    );

    // A node that wants rows, not a query, is told so at bind.
    fn count(frame: DataFrame) -> usize {
        frame.height()
    }
    let c = lazy_catalog(dir.path());
    let p = Pipeline::new([node(count, "trips", "rows").name("count")]).unwrap();
    let err = c.bind(&p).unwrap_err().to_string();
    assert!(
        err.contains(
            "polars.LazyPolarsDataset stores LazyFrame, but node 'count' reads it as DataFrame"
        ),
        "{err}"
    );
}

#[test]
fn a_query_travels_between_processes_as_its_rows() {
    let mut registry = Registry::with_builtins();
    kedrust_polars::register(&mut registry);
    let codec = registry
        .codec(kedrust_pipeline::TypeTag::of::<LazyFrame>())
        .expect("LazyFrame has a codec");
    let bytes = codec
        .encode(&Value::new(trips().lazy().filter(col("id").eq(lit(2)))))
        .unwrap();
    let back = codec.decode(&bytes).unwrap().take::<LazyFrame>().unwrap();
    assert_eq!(back.collect().unwrap(), trips().slice(1, 1));
}
