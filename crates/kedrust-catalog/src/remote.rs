//! Files on object storage: a dataset whose `filepath` is a URL (`s3://bucket/key`,
//! `gs://…`, `az://…`/`abfs://…`, `file://…`, read-only `http(s)://…`) reads and writes it
//! through the `object_store` crate (what Polars, DataFusion and delta-rs use), never through
//! clients of our own.
//!
//! Credentials come from the entry's `credentials` (Kedro's keys: `key`, `secret`, `token`,
//! `client_kwargs.endpoint_url`, `region_name`; Azure's `account_name` and `account_key`),
//! then from each cloud's standard environment variables; `fs_args` sets the store's own
//! options (`endpoint`, `allow_http`, `virtual_hosted_style_request`, `skip_signature`, ...),
//! a misspelt one refused with the nearest. A save is one PUT, so a half-written object is
//! never visible; calls are retried a bounded number of times within a bounded time.

use crate::error::DatasetError;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, path::Path as StorePath};
use serde_json::{Map, Value as Json};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Schemes that name object storage (a path with another `scheme://` is refused).
const SCHEMES: [&str; 11] = [
    "s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "azure", "file", "http", "https",
];

/// How long one request may take, how often a failed one is tried again, and for how long.
const TIMEOUT: &str = "30s";
const CONNECT_TIMEOUT: &str = "5s";
const MAX_RETRIES: usize = 3;
const RETRY_FOR: Duration = Duration::from_secs(20);

/// Whether `filepath` is a URL of object storage rather than a local path.
pub fn is_url(filepath: &str) -> bool {
    filepath
        .split_once("://")
        .is_some_and(|(scheme, _)| SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// Why `filepath` is refused: a `scheme://` that is no storage kedrust knows (it would
/// otherwise be a local folder named after the URL).
pub fn unknown_scheme(filepath: &str) -> Option<String> {
    let (scheme, _) = filepath.split_once("://")?;
    if is_url(filepath) {
        return None;
    }
    let hint = kedrust_pipeline::suggest::hint(scheme, SCHEMES.iter().copied());
    Some(format!(
        "'{scheme}://' is not a storage kedrust knows{hint} (storages: {})",
        SCHEMES.join(", ")
    ))
}

/// Runs `work` to completion on the store's runtime, from any thread: inside another tokio
/// runtime (a project whose `main` is async), on a thread of its own, since blocking there
/// would panic.
fn block_on<T: Send>(work: impl std::future::Future<Output = T> + Send) -> T {
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(|| runtime().block_on(work))
                .join()
                .expect("an object storage request does not panic")
        })
    } else {
        runtime().block_on(work)
    }
}

/// One object (or a prefix of objects) on a store.
#[derive(Clone)]
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    path: StorePath,
    url: String,
    read_only: bool,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("url", &self.url).finish()
    }
}

/// The runtime the blocking datasets drive the store's requests on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for object storage")
    })
}

/// `options` as the keys of one store (`K`), each parsed once; the first that is not one is
/// refused, with the nearest of `names`.
fn keyed<'a, K: std::str::FromStr>(
    options: &'a [(String, String)],
    scheme: &str,
    names: &[&str],
) -> Result<impl Iterator<Item = (K, &'a String)>, String> {
    let mut parsed = Vec::with_capacity(options.len());
    for (key, value) in options {
        let Ok(parsed_key) = key.parse::<K>() else {
            return Err(format!(
                "'{key}' is not an option of {scheme}:// storage{}",
                kedrust_pipeline::suggest::hint(key, names.iter().copied())
            ));
        };
        parsed.push((parsed_key, value));
    }
    Ok(parsed.into_iter())
}

/// The store's options from Kedro's credential keys.
fn credential_options(credentials: &Map<String, Json>) -> Vec<(String, String)> {
    let text = |v: &Json| match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut out = Vec::new();
    for (key, value) in credentials {
        let option = match key.as_str() {
            "key" | "aws_access_key_id" => "aws_access_key_id",
            "secret" | "aws_secret_access_key" => "aws_secret_access_key",
            "token" | "aws_session_token" => "aws_session_token",
            "region_name" => "aws_region",
            "account_name" => "azure_storage_account_name",
            "account_key" => "azure_storage_account_key",
            "client_kwargs" => {
                // Kedro passes these to boto's client: its endpoint, region and keys.
                for (inner, v) in value.as_object().into_iter().flatten() {
                    let Some(v) = text(v) else { continue };
                    match inner.as_str() {
                        "endpoint_url" => {
                            if v.starts_with("http://") {
                                out.push(("allow_http".into(), "true".into()));
                            }
                            out.push(("aws_endpoint".into(), v));
                        }
                        "region_name" => out.push(("aws_region".into(), v)),
                        other => out.push((other.to_owned(), v)),
                    }
                }
                continue;
            }
            other => other,
        };
        if let Some(v) = text(value) {
            out.push((option.to_owned(), v));
        }
    }
    out
}

impl Remote {
    /// The object at `url`, with the entry's `credentials` and `fs_args` (`args`).
    pub fn new(url: &str, args: &Map<String, Json>) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!(
                "'{}': a storage URL takes no '?' or '#' part (put options in fs_args, \
                 secrets in credentials)",
                &url[..url.find(['?', '#']).unwrap_or(url.len())]
            ));
        }
        let mut options: Vec<(String, String)> = Vec::new();
        if let Some(Json::Object(credentials)) = args.get("credentials") {
            options.extend(credential_options(credentials));
        }
        match args.get("fs_args") {
            None => {}
            Some(Json::Object(fs_args)) => options.extend(credential_options(fs_args)),
            Some(other) => return Err(format!("'fs_args' must be a mapping, not {other}")),
        }
        for (key, value) in [("timeout", TIMEOUT), ("connect_timeout", CONNECT_TIMEOUT)] {
            if !options.iter().any(|(k, _)| k == key) {
                options.push((key.into(), value.into()));
            }
        }
        let retry = object_store::RetryConfig {
            max_retries: MAX_RETRIES,
            retry_timeout: RETRY_FOR,
            ..Default::default()
        };
        let scheme = parsed.scheme().to_ascii_lowercase();
        let (store, read_only): (Arc<dyn ObjectStore>, bool) = match scheme.as_str() {
            "s3" | "s3a" => {
                use object_store::aws::AmazonS3Builder;
                let start = AmazonS3Builder::from_env().with_url(url).with_retry(retry);
                let builder = keyed(&options, &scheme, &S3_OPTIONS)?
                    .fold(start, |b, (key, value)| b.with_config(key, value));
                (Arc::new(builder.build().map_err(|e| e.to_string())?), false)
            }
            "gs" | "gcs" => {
                use object_store::gcp::GoogleCloudStorageBuilder;
                // `gcs://` is fsspec's other name for `gs://`.
                let gs_url = format!("gs://{}", &url[scheme.len() + 3..]);
                let start = GoogleCloudStorageBuilder::from_env()
                    .with_url(gs_url)
                    .with_retry(retry);
                let builder = keyed(&options, &scheme, &GCS_OPTIONS)?
                    .fold(start, |b, (key, value)| b.with_config(key, value));
                (Arc::new(builder.build().map_err(|e| e.to_string())?), false)
            }
            "az" | "abfs" | "abfss" | "azure" => {
                use object_store::azure::MicrosoftAzureBuilder;
                let start = MicrosoftAzureBuilder::from_env()
                    .with_url(url)
                    .with_retry(retry);
                let builder = keyed(&options, &scheme, &AZURE_OPTIONS)?
                    .fold(start, |b, (key, value)| b.with_config(key, value));
                (Arc::new(builder.build().map_err(|e| e.to_string())?), false)
            }
            "http" | "https" => {
                let mut builder = object_store::http::HttpBuilder::new()
                    .with_url(&parsed[..url::Position::BeforePath])
                    .with_retry(retry);
                for (k, v) in &options {
                    if let Ok(key) = k.parse::<object_store::ClientConfigKey>() {
                        builder = builder.with_config(key, v);
                    }
                }
                (Arc::new(builder.build().map_err(|e| e.to_string())?), true)
            }
            "file" => (Arc::new(object_store::local::LocalFileSystem::new()), false),
            other => return Err(format!("'{other}://' is not a storage kedrust knows")),
        };
        let path = StorePath::from_url_path(parsed.path()).map_err(|e| e.to_string())?;
        Ok(Self {
            store,
            path,
            url: url.to_owned(),
            read_only,
        })
    }

    /// The URL, as the catalog wrote it (it holds no credentials: they are separate).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The object `child` below this one (`<url>/<child>`; `child` may have several parts).
    pub fn join(&self, child: &str) -> Self {
        let path = child
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(self.path.clone(), |path, part| path.join(part));
        Self {
            store: Arc::clone(&self.store),
            path,
            url: format!("{}/{child}", self.url.trim_end_matches('/')),
            read_only: self.read_only,
        }
    }

    fn failed(&self, what: &str, e: &object_store::Error) -> DatasetError {
        DatasetError::Other(format!("cannot {what} {}: {}", self.url, said(e)))
    }

    /// The object's bytes.
    pub fn read(&self) -> Result<Vec<u8>, DatasetError> {
        let store = Arc::clone(&self.store);
        let path = self.path.clone();
        block_on(async move { store.get(&path).await?.bytes().await })
            .map(|b| b.to_vec())
            .map_err(|e| self.failed("read", &e))
    }

    /// The object's bytes, or `None` when there is no such object.
    pub fn read_if_exists(&self) -> Result<Option<Vec<u8>>, DatasetError> {
        let store = Arc::clone(&self.store);
        let path = self.path.clone();
        match block_on(async move { store.get(&path).await?.bytes().await }) {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.failed("read", &e)),
        }
    }

    /// Writes the object whole, in one request: readers see the old object or the new one.
    pub fn write(&self, bytes: Vec<u8>) -> Result<(), DatasetError> {
        if self.read_only {
            return Err(DatasetError::Other(format!(
                "cannot write {}: http(s) storage is read-only",
                self.url
            )));
        }
        let store = Arc::clone(&self.store);
        let path = self.path.clone();
        block_on(async move { store.put(&path, PutPayload::from(bytes)).await })
            .map(|_| ())
            .map_err(|e| self.failed("write", &e))
    }

    /// Writes the object whole, only if there is none yet: one conditional request
    /// (`If-None-Match: *`), so that of two writers racing for a new object one wins and the
    /// other is told. `Ok(false)` when the object was there.
    pub fn write_new(&self, bytes: Vec<u8>) -> Result<bool, DatasetError> {
        if self.read_only {
            return self.write(bytes).map(|()| true);
        }
        let payload = PutPayload::from(bytes);
        let put = |mode: object_store::PutMode| {
            let (store, path, payload) =
                (Arc::clone(&self.store), self.path.clone(), payload.clone());
            block_on(async move { store.put_opts(&path, payload, mode.into()).await })
        };
        match put(object_store::PutMode::Create) {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            // A store told not to write conditionally (`aws_conditional_put: disabled`): a
            // look first, which a writer racing this one may slip past.
            Err(object_store::Error::NotImplemented { .. }) => {
                if self.exists()? {
                    return Ok(false);
                }
                put(object_store::PutMode::Overwrite)
                    .map(|_| true)
                    .map_err(|e| self.failed("write", &e))
            }
            Err(e) => Err(self.failed("write", &e)),
        }
    }

    /// Whether the object exists: one HEAD request.
    pub fn exists(&self) -> Result<bool, DatasetError> {
        let store = Arc::clone(&self.store);
        let path = self.path.clone();
        match block_on(async move { store.head(&path).await }) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.failed("look for", &e)),
        }
    }

    /// Removes the object, if it is there.
    pub fn delete(&self) -> Result<(), DatasetError> {
        let store = Arc::clone(&self.store);
        let path = self.path.clone();
        match block_on(async move { store.delete(&path).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed("remove", &e)),
        }
    }

    /// Removes every object below this one (a "folder"): one listing, then one request per
    /// object.
    pub fn delete_all(&self) -> Result<(), DatasetError> {
        for file in self.files()? {
            self.join(&file).delete()?;
        }
        Ok(())
    }

    /// Every object below this one (at any depth), by its path relative to it: one listing,
    /// which the store pages through (a thousand keys a request on S3), never a request per
    /// object.
    pub fn files(&self) -> Result<Vec<String>, DatasetError> {
        Ok(self.listing()?.into_iter().map(|(name, _)| name).collect())
    }

    /// Every object below this one, by relative path, with what the store says of it.
    fn listing(&self) -> Result<Vec<(String, object_store::ObjectMeta)>, DatasetError> {
        use futures::TryStreamExt;
        let store = Arc::clone(&self.store);
        let prefix = self.path.clone();
        let listed: Vec<object_store::ObjectMeta> =
            block_on(async move { store.list(Some(&prefix)).try_collect().await })
                .map_err(|e| self.failed("list", &e))?;
        Ok(listed
            .into_iter()
            .filter_map(|meta| {
                // Each part as it was named: the store keeps `%` and the characters keys
                // should avoid percent-encoded, and `join` encodes them again.
                let rest: Vec<String> = meta
                    .location
                    .prefix_match(&self.path)?
                    .map(|part| {
                        percent_encoding::percent_decode_str(part.as_ref())
                            .decode_utf8_lossy()
                            .into_owned()
                    })
                    .collect();
                (!rest.is_empty()).then(|| (rest.join("/"), meta))
            })
            .collect())
    }

    /// A text that changes when the object changes, or for a folder (versions, partitions)
    /// any object below it: the store's ETag of each, else its size and modification time.
    /// One HEAD, then for a folder one listing; `None` when nothing is there or the store
    /// cannot be reached, so that a reader takes the data as changed.
    pub fn data_version(&self) -> Option<String> {
        let stamp = |name: &str, meta: &object_store::ObjectMeta| {
            let version = meta
                .e_tag
                .clone()
                .unwrap_or_else(|| meta.last_modified.to_rfc3339());
            format!("{name}\t{}\t{version}\n", meta.size)
        };
        let store = Arc::clone(&self.store);
        let path = self.path.clone();
        let listing = match block_on(async move { store.head(&path).await }) {
            Ok(meta) => stamp("", &meta),
            Err(object_store::Error::NotFound { .. }) => {
                let mut files = self.listing().ok()?;
                // Hidden objects are the catalog's own, not data.
                files.retain(|(name, _)| !name.split('/').any(|part| part.starts_with('.')));
                if files.is_empty() {
                    return None;
                }
                files.sort_by(|a, b| a.0.cmp(&b.0));
                files.iter().map(|(name, meta)| stamp(name, meta)).collect()
            }
            Err(_) => return None,
        };
        Some(kedrust_pipeline::naming::hash_hex(&listing))
    }
}

/// What the server said (its error code and message are in the store's error), with any
/// secret hidden.
fn said(e: &object_store::Error) -> String {
    let text = e.to_string();
    let tag = |name: &str| {
        let start = text.find(&format!("<{name}>"))? + name.len() + 2;
        let end = start + text[start..].find(&format!("</{name}>"))?;
        Some(text[start..end].to_owned())
    };
    let said = match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => format!("the server said {code}: {message}"),
        (Some(code), None) => format!("the server said {code}"),
        _ => text.clone(),
    };
    kedrust_secrets::redact(&said).into_owned()
}

/// The options each store takes, for suggestions (the store checks them itself).
const S3_OPTIONS: [&str; 12] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_region",
    "aws_endpoint",
    "aws_virtual_hosted_style_request",
    "aws_skip_signature",
    "aws_unsigned_payload",
    "allow_http",
    "timeout",
    "connect_timeout",
    "proxy_url",
];
const GCS_OPTIONS: [&str; 5] = [
    "google_service_account",
    "google_service_account_key",
    "google_application_credentials",
    "timeout",
    "connect_timeout",
];
const AZURE_OPTIONS: [&str; 7] = [
    "azure_storage_account_name",
    "azure_storage_account_key",
    "azure_storage_sas_key",
    "azure_storage_use_emulator",
    "azure_storage_endpoint",
    "timeout",
    "connect_timeout",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(value: Json) -> Map<String, Json> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn urls_of_object_storage_are_told_from_paths() {
        for url in [
            "s3://b/k",
            "gs://b/k",
            "az://c/k",
            "abfs://c@a/k",
            "file:///tmp/x",
            "https://h/x",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in ["data/x.json", "/abs/x.json", "weird://x", "C:/x"] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn kedros_credential_keys_become_the_stores_options() {
        let options = credential_options(&args(json!({
            "key": "id", "secret": "s", "token": "t",
            "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000", "region_name": "eu-west-1"},
            "account_name": "acct", "account_key": "k"
        })));
        for wanted in [
            ("aws_access_key_id", "id"),
            ("aws_secret_access_key", "s"),
            ("aws_session_token", "t"),
            ("aws_endpoint", "http://127.0.0.1:9000"),
            ("allow_http", "true"),
            ("aws_region", "eu-west-1"),
            ("azure_storage_account_name", "acct"),
            ("azure_storage_account_key", "k"),
        ] {
            assert!(
                options
                    .iter()
                    .any(|(k, v)| (k.as_str(), v.as_str()) == wanted),
                "{wanted:?} in {options:?}"
            );
        }
    }

    #[test]
    fn google_and_azure_urls_take_their_credentials_and_refuse_unknown_options() {
        let azure = Remote::new(
            "az://container/reports/x.json",
            &args(json!({"credentials": {"account_name": "acct", "account_key": "a2VkcnVzdA=="}})),
        )
        .unwrap();
        assert_eq!(azure.url(), "az://container/reports/x.json");
        assert_eq!(azure.join("v1").url(), "az://container/reports/x.json/v1");
        let error = Remote::new(
            "gs://bucket/x.json",
            &args(json!({"fs_args": {"google_service_acount": "a.json"}})),
        )
        .unwrap_err();
        assert!(
            error.contains("did you mean 'google_service_account'?"),
            "{error}"
        );
        let error = Remote::new("s3://b/x", &args(json!({"fs_args": ["endpoint"]}))).unwrap_err();
        assert!(error.starts_with("'fs_args' must be a mapping"), "{error}");
    }

    #[test]
    fn boto_keys_in_client_kwargs_count_and_misspelt_schemes_and_query_strings_are_refused() {
        let options = credential_options(&args(json!({
            "client_kwargs": {"aws_access_key_id": "id", "aws_secret_access_key": "s"}
        })));
        assert!(options.contains(&("aws_access_key_id".into(), "id".into())));
        assert!(options.contains(&("aws_secret_access_key".into(), "s".into())));
        let error = Remote::new(
            "s3://b/x",
            &args(json!({"credentials": {"client_kwargs": {"verify": "false"}}})),
        )
        .unwrap_err();
        assert!(
            error.starts_with("'verify' is not an option of s3://"),
            "{error}"
        );
        let error = unknown_scheme("gcss://bucket/x.json").unwrap();
        assert!(error.contains("did you mean 'gcs'?"), "{error}");
        assert!(unknown_scheme("gcs://bucket/x.json").is_none());
        assert!(unknown_scheme("data/x.json").is_none());
        let error = Remote::new("https://h/x.csv?sig=s3cret", &Map::new()).unwrap_err();
        assert!(error.contains("takes no '?'"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn storage_is_reached_from_inside_an_async_runtime_too() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}/x.txt", dir.path().display());
        let object = Remote::new(&url, &Map::new()).unwrap();
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        outer.block_on(async {
            object.write(b"inside".to_vec()).unwrap();
            assert_eq!(object.read().unwrap(), b"inside");
        });
    }

    #[test]
    fn a_file_url_is_read_and_written_and_http_is_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}/out/x.txt", dir.path().display());
        let object = Remote::new(&url, &Map::new()).unwrap();
        assert!(!object.exists().unwrap());
        object.write(b"hello".to_vec()).unwrap();
        assert!(object.exists().unwrap());
        assert_eq!(object.read().unwrap(), b"hello");
        let http = Remote::new("http://127.0.0.1:9/x.json", &Map::new()).unwrap();
        let error = http.write(b"{}".to_vec()).unwrap_err().to_string();
        assert!(error.contains("read-only"), "{error}");
    }
}
