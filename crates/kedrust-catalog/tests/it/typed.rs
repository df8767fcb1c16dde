//! A project's own dataset type written against `TypedDataset`: its keys checked before the
//! run, its paths taken from the project folder, its values typed.

use kedrust_catalog::{CatalogBuilder, DatasetContext, DatasetError, Registry, TypedDataset};
use kedrust_pipeline::Value;
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Orders kept as one line each in a file of its own (`database:`), the kind of type a
/// project writes for a store kedrust has no built-in for.
#[derive(Debug)]
struct OrdersFile {
    database: PathBuf,
    separator: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdersConfig {
    database: PathBuf,
    #[serde(default = "newline")]
    separator: String,
}

fn newline() -> String {
    "\n".into()
}

impl TypedDataset for OrdersFile {
    const TYPE_NAME: &'static str = "shop.OrdersFile";
    type Value = Vec<String>;
    type Config = OrdersConfig;

    fn from_config(config: OrdersConfig, context: &DatasetContext<'_>) -> Result<Self, String> {
        Ok(Self {
            database: context.in_project(config.database),
            separator: config.separator,
        })
    }

    fn load(&self) -> Result<Vec<String>, DatasetError> {
        let text = std::fs::read_to_string(&self.database).map_err(|source| DatasetError::Io {
            op: "read",
            path: self.database.clone(),
            source,
        })?;
        Ok(text.split(&self.separator).map(str::to_owned).collect())
    }

    fn save(&self, orders: &Vec<String>) -> Result<(), DatasetError> {
        kedrust_catalog::write_bytes(&self.database, orders.join(&self.separator).as_bytes())
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        Ok(self.database.is_file())
    }

    fn path(&self) -> Option<&Path> {
        Some(&self.database)
    }

    /// The type's own notion of a change: the orders it holds (a database would give its
    /// table's last-modified stamp).
    fn data_version(&self) -> Option<String> {
        let orders = self.load().ok()?;
        Some(format!("{} orders, last {}", orders.len(), orders.last()?))
    }
}

fn catalog(root: &Path, entries: serde_json::Value) -> Result<kedrust_catalog::Catalog, String> {
    let mut registry = Registry::with_builtins();
    registry.dataset::<OrdersFile>();
    CatalogBuilder::new(registry)
        .config(kedrust_config::Config::inline(entries))
        .root(root)
        .build()
        .map_err(|e| e.to_string())
}

#[test]
fn a_typed_dataset_saves_and_loads_its_value_under_the_project_folder() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("data")).unwrap();
    let catalog = catalog(
        root.path(),
        json!({"orders": {"type": "shop.OrdersFile", "database": "data/orders.txt", "separator": ";"}}),
    )
    .unwrap();
    let orders = vec!["o-1".to_owned(), "o-2".to_owned()];
    catalog.save("orders", Value::new(orders.clone())).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.path().join("data/orders.txt")).unwrap(),
        "o-1;o-2",
        "written under the project folder, not the working directory"
    );
    let loaded = catalog
        .load("orders")
        .unwrap()
        .take::<Vec<String>>()
        .unwrap();
    assert_eq!(loaded, orders);
    assert_eq!(
        catalog.data_version("orders").as_deref(),
        Some("2 orders, last o-2"),
        "the type's own data version, for --only-changed and Dagster"
    );
    let wrong = catalog.save("orders", Value::new(7_u32)).unwrap_err();
    assert!(wrong.to_string().contains("Vec<String>"), "{wrong}");
}

#[test]
fn a_mistyped_key_of_a_typed_dataset_is_refused_with_the_nearest_key() {
    let root = tempfile::tempdir().unwrap();
    let err = catalog(
        root.path(),
        json!({"orders": {"type": "shop.OrdersFile", "databse": "data/orders.txt"}}),
    )
    .unwrap_err();
    assert!(
        err.contains("unknown key 'databse' for shop.OrdersFile"),
        "{err}"
    );
    assert!(err.contains("did you mean 'database'"), "{err}");
    assert!(
        err.contains("separator"),
        "the valid keys are listed: {err}"
    );
}

#[test]
fn a_missing_key_of_a_typed_dataset_is_refused_by_name() {
    let root = tempfile::tempdir().unwrap();
    let err = catalog(root.path(), json!({"orders": {"type": "shop.OrdersFile"}})).unwrap_err();
    assert!(err.contains("orders"), "{err}");
    assert!(err.contains("database"), "{err}");
}
