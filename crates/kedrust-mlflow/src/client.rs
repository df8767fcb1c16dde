//! A small blocking client of MLflow's REST API (`/api/2.0/mlflow/`): timeouts on every call,
//! retries on connection errors and 5xx, and MLflow's `error_code` in every error.

use crate::store::{Batch, Metric, ModelVersion, Store};
use kedrust_secrets::redact;
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An MLflow call that failed.
#[derive(thiserror::Error)]
#[error("MLflow at {uri}: {message}")]
pub struct MlflowError {
    /// The tracking URI.
    pub uri: String,
    /// What went wrong (the server's `error_code` and message, or the connection error).
    pub message: String,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
}

/// Milliseconds since the epoch, MLflow's timestamps.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A tracking server. Parameters and tags it sends have secrets hidden.
#[derive(Clone)]
pub struct Client {
    uri: String,
    agent: ureq::Agent,
    /// For artifacts: no limit on the whole transfer (a model may be large), only on
    /// connecting and on each read or write stalling.
    files: ureq::Agent,
    attempts: u32,
    authorization: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Client({})", self.uri)
    }
}

impl Client {
    /// A client of `uri` (`http://127.0.0.1:5000`) that signs in with `auth`, with a 10 s
    /// timeout per call and three attempts for unreachable servers and server errors.
    pub fn new(uri: &str, auth: &crate::Auth) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .timeout_connect(Some(Duration::from_secs(3)))
            .http_status_as_error(false)
            .build()
            .into();
        let files: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(3)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .timeout_per_write(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            uri: uri.trim_end_matches('/').to_owned(),
            agent,
            files,
            attempts: 3,
            authorization: auth.header(),
        }
    }

    /// The tracking URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    fn fail(&self, message: impl Into<String>, status: Option<u16>) -> MlflowError {
        MlflowError {
            uri: self.uri.clone(),
            message: message.into(),
            status,
        }
    }

    /// Sends a request made by `send` (given the `Authorization` value, if any), tried again
    /// on connection errors and 5xx with a short backoff: the last answer's status and body.
    fn exchange(
        &self,
        send: impl Fn(Option<&str>) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, Vec<u8>), MlflowError> {
        let mut last = None;
        for attempt in 0..self.attempts {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(200 * u64::from(attempt)));
            }
            let mut response = match send(self.authorization.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    last = Some(Err(self.fail(format!("cannot reach the server: {e}"), None)));
                    continue;
                }
            };
            let status = response.status().as_u16();
            let body = response
                .body_mut()
                .with_config()
                .limit(u64::MAX)
                .read_to_vec()
                .unwrap_or_default();
            if status < 500 {
                return Ok((status, body));
            }
            last = Some(Ok((status, body)));
        }
        last.unwrap_or_else(|| Err(self.fail("no attempt was made", None)))
    }

    /// One call of the tracking API: its JSON answer, or MLflow's `error_code` and message.
    fn call(&self, method: &str, path: &str, body: Option<&Json>) -> Result<Json, MlflowError> {
        let url = format!("{}/api/2.0/mlflow/{path}", self.uri);
        let empty = json!({});
        let body = body.unwrap_or(&empty);
        let (status, bytes) = self.exchange(|auth| {
            let get = method == "GET";
            match auth {
                Some(a) if get => self.agent.get(&url).header("Authorization", a).call(),
                None if get => self.agent.get(&url).call(),
                Some(a) => self
                    .agent
                    .post(&url)
                    .header("Authorization", a)
                    .send_json(body),
                None => self.agent.post(&url).send_json(body),
            }
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let parsed: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        if status < 300 {
            return Ok(parsed);
        }
        let message = match (parsed.get("error_code"), parsed.get("message")) {
            (Some(code), Some(msg)) => format!(
                "{} {}: {}",
                status,
                code.as_str().unwrap_or(""),
                msg.as_str().unwrap_or("")
            ),
            _ => format!("{status} {}", text.chars().take(200).collect::<String>()),
        };
        Err(self.fail(format!("{path}: {message}"), Some(status)))
    }

    /// The experiment called `name`: `(id, deleted)`, or `None`.
    pub fn experiment_by_name(&self, name: &str) -> Result<Option<(String, bool)>, MlflowError> {
        let path = format!("experiments/get-by-name?experiment_name={}", encode(name));
        match self.call("GET", &path, None) {
            Ok(r) => Ok(Some((
                r["experiment"]["experiment_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                r["experiment"]["lifecycle_stage"] == "deleted",
            ))),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates an experiment and returns its id.
    pub fn create_experiment(&self, name: &str) -> Result<String, MlflowError> {
        let r = self.call("POST", "experiments/create", Some(&json!({"name": name})))?;
        Ok(r["experiment_id"].as_str().unwrap_or_default().to_owned())
    }

    /// Restores a deleted experiment.
    pub fn restore_experiment(&self, id: &str) -> Result<(), MlflowError> {
        self.call(
            "POST",
            "experiments/restore",
            Some(&json!({"experiment_id": id})),
        )
        .map(|_| ())
    }

    /// Creates a run that started at `start_time` and returns its id.
    pub fn create_run(
        &self,
        experiment_id: &str,
        name: &str,
        tags: &[(String, String)],
        start_time: i64,
    ) -> Result<String, MlflowError> {
        let tags: Vec<Json> = tags
            .iter()
            .map(|(k, v)| json!({"key": k, "value": redact(v)}))
            .collect();
        let r = self.call(
            "POST",
            "runs/create",
            Some(&json!({"experiment_id": experiment_id, "run_name": name, "start_time": start_time, "tags": tags})),
        )?;
        Ok(r["run"]["info"]["run_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Writes a batch in as few `runs/log-batch` calls as MLflow's limits allow (100
    /// parameters, 100 tags and 1,000 values in all per call).
    pub fn log_batch(&self, run_id: &str, batch: &Batch) -> Result<(), MlflowError> {
        let pair = |(k, v): &(String, String)| json!({"key": k, "value": redact(v)});
        let (mut params, mut tags, mut metrics) = (
            batch.params.as_slice(),
            batch.tags.as_slice(),
            batch.metrics.as_slice(),
        );
        while !(params.is_empty() && tags.is_empty() && metrics.is_empty()) {
            let (p, rest) = params.split_at(params.len().min(100));
            params = rest;
            let (t, rest) = tags.split_at(tags.len().min(100));
            tags = rest;
            let room = 1000 - p.len() - t.len();
            let (m, rest) = metrics.split_at(metrics.len().min(room));
            metrics = rest;
            let m: Vec<Json> = m
                .iter()
                .map(|m| json!({"key": m.key, "value": metric_value(m.value), "timestamp": m.timestamp, "step": m.step}))
                .collect();
            self.call(
                "POST",
                "runs/log-batch",
                Some(&json!({
                    "run_id": run_id,
                    "params": p.iter().map(pair).collect::<Vec<_>>(),
                    "tags": t.iter().map(pair).collect::<Vec<_>>(),
                    "metrics": m,
                })),
            )?;
        }
        Ok(())
    }

    /// Sets a tag.
    pub fn set_tag(&self, run_id: &str, key: &str, value: &str) -> Result<(), MlflowError> {
        self.call(
            "POST",
            "runs/set-tag",
            Some(&json!({"run_id": run_id, "key": key, "value": redact(value)})),
        )
        .map(|_| ())
    }

    /// Ends a run with `status` (`FINISHED`, `FAILED`, `KILLED`) at `end_time`.
    pub fn end_run(&self, run_id: &str, status: &str, end_time: i64) -> Result<(), MlflowError> {
        self.call(
            "POST",
            "runs/update",
            Some(&json!({"run_id": run_id, "status": status, "end_time": end_time})),
        )
        .map(|_| ())
    }

    /// The ids of every active experiment.
    pub fn experiment_ids(&self) -> Result<Vec<String>, MlflowError> {
        let r = self.call(
            "POST",
            "experiments/search",
            Some(&json!({"max_results": 1000})),
        )?;
        Ok(r["experiments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["experiment_id"].as_str().map(str::to_owned))
            .collect())
    }

    /// Runs of `experiment_id` matching an MLflow search `filter`, oldest first.
    pub fn search_runs(&self, experiment_id: &str, filter: &str) -> Result<Vec<Json>, MlflowError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "experiment_ids": [experiment_id],
                "filter": filter,
                "max_results": 1000,
                "order_by": ["attributes.start_time ASC"],
            });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let r = self.call("POST", "runs/search", Some(&body))?;
            out.extend(r["runs"].as_array().cloned().unwrap_or_default());
            match r["next_page_token"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(out),
            }
        }
    }
}

/// Where a run's artifacts are, as this client reaches them.
enum ArtifactRoot {
    /// Through the server's artifact proxy (`mlflow server --serve-artifacts`, the default):
    /// the URL of the run's artifact folder.
    Proxied(String),
    /// A folder this machine sees (a server on the same machine with a local artifact root).
    Local(PathBuf),
}

impl Client {
    /// Where run `run_id`'s artifacts are.
    fn artifact_root(&self, run_id: &str) -> Result<ArtifactRoot, MlflowError> {
        let r = self.call("GET", &format!("runs/get?run_id={}", encode(run_id)), None)?;
        let uri = r["run"]["info"]["artifact_uri"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Some(rest) = uri.strip_prefix("mlflow-artifacts:") {
            // `mlflow-artifacts:/1/<run>/artifacts`, or with the server's host after `//`.
            let path = match rest.strip_prefix("//") {
                Some(with_host) => with_host.split_once('/').map_or("", |(_, p)| p),
                None => rest.trim_start_matches('/'),
            };
            return Ok(ArtifactRoot::Proxied(format!(
                "{}/api/2.0/mlflow-artifacts/artifacts/{path}",
                self.uri
            )));
        }
        if let Some(path) = uri.strip_prefix("file://") {
            return Ok(ArtifactRoot::Local(PathBuf::from(path)));
        }
        if uri.starts_with('/') {
            return Ok(ArtifactRoot::Local(PathBuf::from(uri)));
        }
        Err(self.fail(
            format!(
                "run {run_id} keeps its artifacts at {uri}, which kedrust does not write to; \
                 start the server with --serve-artifacts (the default) so that artifacts go \
                 through it"
            ),
            None,
        ))
    }

    /// One artifact request (a PUT of `body`, else a GET): the response body.
    fn transfer(
        &self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>, MlflowError> {
        let (status, bytes) = self.exchange(|auth| match (body, auth) {
            (Some(bytes), Some(a)) => self.files.put(url).header("Authorization", a).send(bytes),
            (Some(bytes), None) => self.files.put(url).send(bytes),
            (None, Some(a)) => self.files.get(url).header("Authorization", a).call(),
            (None, None) => self.files.get(url).call(),
        })?;
        if status < 300 {
            return Ok(bytes);
        }
        let text: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
        Err(self.fail(format!("{method} {url}: {status} {text}"), Some(status)))
    }
}

impl Store for Client {
    fn experiment_by_name(&self, name: &str) -> Result<Option<(String, bool)>, MlflowError> {
        Client::experiment_by_name(self, name)
    }
    fn create_experiment(&self, name: &str) -> Result<String, MlflowError> {
        Client::create_experiment(self, name)
    }
    fn restore_experiment(&self, id: &str) -> Result<(), MlflowError> {
        Client::restore_experiment(self, id)
    }
    fn create_run(
        &self,
        experiment_id: &str,
        name: &str,
        tags: &[(String, String)],
        start_time: i64,
    ) -> Result<String, MlflowError> {
        Client::create_run(self, experiment_id, name, tags, start_time)
    }
    fn log_batch(&self, run_id: &str, batch: &Batch) -> Result<(), MlflowError> {
        Client::log_batch(self, run_id, batch)
    }
    fn end_run(&self, run_id: &str, status: &str, end_time: i64) -> Result<(), MlflowError> {
        Client::end_run(self, run_id, status, end_time)
    }
    fn open_children(&self, experiment_id: &str, parent: &str) -> Result<Vec<String>, MlflowError> {
        let filter =
            format!("tags.mlflow.parentRunId = '{parent}' and attributes.status = 'RUNNING'");
        Ok(self
            .search_runs(experiment_id, &filter)?
            .iter()
            .filter_map(|run| run["info"]["run_id"].as_str().map(str::to_owned))
            .collect())
    }

    fn child_with_metric(
        &self,
        experiment_id: &str,
        parent: &str,
        key: &str,
    ) -> Result<Option<String>, MlflowError> {
        let filter = format!("tags.mlflow.parentRunId = '{parent}'");
        let logged_at = |run: &Json| {
            run["data"]["metrics"]
                .as_array()?
                .iter()
                .find(|m| m["key"] == key)?["timestamp"]
                .as_i64()
        };
        Ok(self
            .search_runs(experiment_id, &filter)?
            .iter()
            .filter_map(|run| Some((logged_at(run)?, run["info"]["run_id"].as_str()?)))
            .max_by_key(|(at, _)| *at)
            .map(|(_, id)| id.to_owned()))
    }

    fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>, MlflowError> {
        let path = format!(
            "metrics/get-history?run_id={}&metric_key={}",
            encode(run_id),
            encode(key)
        );
        let r = self.call("GET", &path, None)?;
        let mut history: Vec<Metric> = r["metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| Metric {
                key: key.to_owned(),
                value: m["value"].as_f64().unwrap_or(f64::NAN),
                timestamp: m["timestamp"].as_i64().unwrap_or_default(),
                step: m["step"].as_i64().unwrap_or_default(),
            })
            .collect();
        history.sort_by_key(|m| (m.step, m.timestamp));
        Ok(history)
    }

    fn log_artifact(
        &self,
        run_id: &str,
        local: &Path,
        artifact_path: &str,
    ) -> Result<(), MlflowError> {
        match self.artifact_root(run_id)? {
            ArtifactRoot::Proxied(url) => {
                let bytes = std::fs::read(local).map_err(|e| {
                    self.fail(format!("cannot read {}: {e}", local.display()), None)
                })?;
                self.transfer(
                    "PUT",
                    &format!("{url}/{}", encode_path(artifact_path)),
                    Some(&bytes),
                )?;
                Ok(())
            }
            ArtifactRoot::Local(root) => crate::local::copy_file(local, &root.join(artifact_path))
                .map_err(|e| self.fail(format!("cannot copy {}: {e}", local.display()), None)),
        }
    }

    fn download_artifact(
        &self,
        run_id: &str,
        artifact_path: &str,
        to: &Path,
    ) -> Result<(), MlflowError> {
        let cannot =
            |e: std::io::Error| self.fail(format!("cannot write {}: {e}", to.display()), None);
        match self.artifact_root(run_id)? {
            ArtifactRoot::Proxied(url) => {
                let bytes = self.transfer(
                    "GET",
                    &format!("{url}/{}", encode_path(artifact_path)),
                    None,
                )?;
                kedrust_catalog::write_bytes(to, &bytes)
                    .map_err(|e| self.fail(format!("cannot write {}: {e}", to.display()), None))
            }
            ArtifactRoot::Local(root) => {
                crate::local::copy_file(&root.join(artifact_path), to).map_err(cannot)
            }
        }
    }

    fn register_model(
        &self,
        name: &str,
        run_id: &str,
        artifact_path: &str,
    ) -> Result<String, MlflowError> {
        match self.call(
            "POST",
            "registered-models/create",
            Some(&json!({"name": name})),
        ) {
            Ok(_) => {}
            Err(e) if e.status == Some(400) && e.message.contains("RESOURCE_ALREADY_EXISTS") => {}
            Err(e) => return Err(e),
        }
        let r = self.call("GET", &format!("runs/get?run_id={}", encode(run_id)), None)?;
        let root = r["run"]["info"]["artifact_uri"]
            .as_str()
            .unwrap_or_default();
        let source = format!("{}/{artifact_path}", root.trim_end_matches('/'));
        let r = self.call(
            "POST",
            "model-versions/create",
            Some(&json!({"name": name, "source": source, "run_id": run_id})),
        )?;
        Ok(r["model_version"]["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    fn model_version(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<ModelVersion, MlflowError> {
        let found = match version {
            Some(v) => {
                let path = format!(
                    "model-versions/get?name={}&version={}",
                    encode(name),
                    encode(v)
                );
                self.call("GET", &path, None)?["model_version"].clone()
            }
            None => {
                let filter = format!("name = '{}'", name.replace('\'', "\\'"));
                let path = format!("model-versions/search?filter={}", encode(&filter));
                let r = self.call("GET", &path, None)?;
                r["model_versions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .max_by_key(|v| {
                        v["version"]
                            .as_str()
                            .and_then(|v| v.parse::<u64>().ok())
                            .unwrap_or_default()
                    })
                    .cloned()
                    .ok_or_else(|| self.fail(format!("no registered model '{name}'"), Some(404)))?
            }
        };
        let run_id = found["run_id"].as_str().unwrap_or_default().to_owned();
        let source = found["source"].as_str().unwrap_or_default();
        let r = self.call("GET", &format!("runs/get?run_id={}", encode(&run_id)), None)?;
        let root = r["run"]["info"]["artifact_uri"]
            .as_str()
            .unwrap_or_default();
        let artifact_path = source
            .strip_prefix(root.trim_end_matches('/'))
            .map(|p| p.trim_start_matches('/').to_owned())
            .ok_or_else(|| {
                self.fail(
                    format!("model '{name}' is at {source}, outside its run's artifacts"),
                    None,
                )
            })?;
        Ok(ModelVersion {
            version: found["version"].as_str().unwrap_or_default().to_owned(),
            run_id,
            artifact_path,
        })
    }
}

/// A metric value as MLflow's API takes it: JSON has no NaN or infinity, which MLflow reads
/// from these strings (a `null` would fail the whole batch).
fn metric_value(value: f64) -> Json {
    if value.is_nan() {
        json!("NaN")
    } else if value.is_infinite() {
        json!(if value > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(value)
    }
}

/// Percent-encodes each segment of a relative path, keeping its `/`.
fn encode_path(path: &str) -> String {
    path.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

kedrust_secrets::debug_as_message!(MlflowError);
