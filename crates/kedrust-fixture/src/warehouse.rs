//! `fixture.WarehouseTable`: a dataset that signs in to a database with credentials and
//! fails to reach it, quoting its connection string and token as real drivers do. The
//! secrets tests check that what it says is shown with the secrets hidden.

use kedrust_catalog::{Dataset, DatasetError, DatasetType, Holds};
use kedrust_pipeline::{TypeTag, Value};
use std::sync::Arc;

#[derive(Debug)]
struct WarehouseTable {
    con: String,
    token: String,
}

impl Dataset for WarehouseTable {
    fn load(&self) -> Result<Value, DatasetError> {
        Err(DatasetError::Other(format!(
            "cannot connect to {} (token {}): connection refused",
            self.con, self.token
        )))
    }
    fn save(&self, _: Value) -> Result<(), DatasetError> {
        Err(DatasetError::Other("read only".into()))
    }
    fn exists(&self) -> Result<bool, DatasetError> {
        Ok(true)
    }
}

pub fn dataset_type() -> DatasetType {
    DatasetType::new(
        "fixture.WarehouseTable",
        Holds::Fixed(TypeTag::of::<serde_json::Value>()),
        &["credentials"],
        |spec| {
            let credentials = spec
                .args
                .get("credentials")
                .ok_or("'credentials' is required")?;
            let text = |key: &str| credentials[key].as_str().unwrap_or_default().to_owned();
            Ok(Arc::new(WarehouseTable {
                con: text("con"),
                token: text("token"),
            }))
        },
    )
}
