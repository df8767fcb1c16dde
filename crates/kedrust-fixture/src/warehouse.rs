//! `fixture.WarehouseTable`: a dataset that signs in to a database with credentials and
//! fails to reach it, quoting its connection string and token as real drivers do. The
//! secrets tests check that what it says is shown with the secrets hidden. It is written
//! against the typed dataset trait, as a project's own types are.

use kedrust_catalog::{DatasetContext, DatasetError, TypedDataset};
use serde::Deserialize;

/// `credentials:` of the entry, resolved from `credentials.yml`.
#[derive(Deserialize)]
pub struct Credentials {
    con: String,
    token: String,
}

/// The entry's keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    credentials: Credentials,
}

#[derive(Debug)]
pub struct WarehouseTable {
    con: String,
    token: String,
}

impl TypedDataset for WarehouseTable {
    const TYPE_NAME: &'static str = "fixture.WarehouseTable";
    type Value = serde_json::Value;
    type Config = Config;

    fn from_config(config: Config, _: &DatasetContext<'_>) -> Result<Self, String> {
        Ok(Self {
            con: config.credentials.con,
            token: config.credentials.token,
        })
    }

    fn load(&self) -> Result<serde_json::Value, DatasetError> {
        Err(DatasetError::Other(format!(
            "cannot connect to {} (token {}): connection refused",
            self.con, self.token
        )))
    }

    fn save(&self, _: &serde_json::Value) -> Result<(), DatasetError> {
        Err(DatasetError::Other("read only".into()))
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        Ok(true)
    }
}
