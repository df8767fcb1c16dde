//! Namespacing and remapping, exactly as Kedro's `pipeline(p, namespace=, inputs=,
//! outputs=, parameters=, tags=)`: which names get the prefix, how `params:` and
//! `parameters` behave, and errors for names the pipeline does not use.

use crate::naming::{
    ALL_PARAMETERS, PARAMS_PREFIX, TRANSCODING_SEPARATOR, base_name, is_parameter,
};
use crate::pipeline::{Part, Pipeline};
use crate::problem::{PipelineError, Problem};
use crate::suggest::close_matches;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// A name mapping (old → new); a bare name maps to itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping(pub Vec<(String, String)>);

/// Conversion into a [`Mapping`]: names (identity) or pairs.
pub trait IntoMapping {
    /// The mapping.
    fn into_mapping(self) -> Mapping;
}

fn identity<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Mapping {
    Mapping(
        names
            .into_iter()
            .map(|n| (n.as_ref().to_owned(), n.as_ref().to_owned()))
            .collect(),
    )
}

fn pairs<K: AsRef<str>, V: AsRef<str>>(items: impl IntoIterator<Item = (K, V)>) -> Mapping {
    Mapping(
        items
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect(),
    )
}

macro_rules! mapping_from {
    ($conv:ident: $($t:ty),+) => {$(
        impl IntoMapping for $t {
            fn into_mapping(self) -> Mapping {
                $conv(self)
            }
        }
    )+};
}

mapping_from!(identity: Vec<&str>, Vec<String>, BTreeSet<String>);
mapping_from!(pairs: Vec<(&str, &str)>, Vec<(String, String)>, BTreeMap<String, String>, HashMap<String, String>, BTreeMap<&str, &str>);

impl IntoMapping for &str {
    fn into_mapping(self) -> Mapping {
        identity([self])
    }
}

impl IntoMapping for String {
    fn into_mapping(self) -> Mapping {
        identity([self])
    }
}

impl<const N: usize> IntoMapping for [&str; N] {
    fn into_mapping(self) -> Mapping {
        identity(self)
    }
}

impl<const N: usize> IntoMapping for [(&str, &str); N] {
    fn into_mapping(self) -> Mapping {
        pairs(self)
    }
}

impl IntoMapping for Mapping {
    fn into_mapping(self) -> Mapping {
        self
    }
}

/// Builds a pipeline, optionally namespaced and remapped, as Kedro's `pipeline(...)`.
///
/// ```
/// use kedrust_pipeline::{node, pipeline};
/// fn double(x: i64) -> i64 { 2 * x }
/// let p = pipeline([node(double, "x", "y").name("double")])
///     .namespace("ns")
///     .inputs("x")
///     .build()
///     .unwrap();
/// assert_eq!(p.node_names(), ["ns.double"]);
/// assert_eq!(p.node("ns.double").unwrap().outputs(), ["ns.y"]);
/// ```
pub fn pipeline<P: Into<Part>>(parts: impl IntoIterator<Item = P>) -> PipelineBuilder {
    PipelineBuilder {
        parts: parts.into_iter().map(Into::into).collect(),
        namespace: None,
        inputs: Mapping::default(),
        outputs: Mapping::default(),
        parameters: Mapping::default(),
        tags: Vec::new(),
        prefix_datasets_with_namespace: true,
    }
}

/// The arguments of Kedro's `pipeline(...)`, collected before building.
pub struct PipelineBuilder {
    parts: Vec<Part>,
    namespace: Option<String>,
    inputs: Mapping,
    outputs: Mapping,
    parameters: Mapping,
    tags: Vec<String>,
    prefix_datasets_with_namespace: bool,
}

impl PipelineBuilder {
    /// Puts every node under `namespace` and prefixes its datasets and parameters.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        let ns = namespace.into();
        self.namespace = (!ns.is_empty()).then_some(ns);
        self
    }

    /// Free inputs kept or renamed: they are not prefixed.
    pub fn inputs(mut self, mapping: impl IntoMapping) -> Self {
        self.inputs.0.extend(mapping.into_mapping().0);
        self
    }

    /// Outputs kept or renamed: they are not prefixed.
    pub fn outputs(mut self, mapping: impl IntoMapping) -> Self {
        self.outputs.0.extend(mapping.into_mapping().0);
        self
    }

    /// Parameters kept or renamed (`x` and `params:x` are the same): they are not prefixed.
    pub fn parameters(mut self, mapping: impl IntoMapping) -> Self {
        let normal = mapping
            .into_mapping()
            .0
            .into_iter()
            .map(|(k, v)| (as_parameter(&k), as_parameter(&v)));
        self.parameters.0.extend(normal);
        self
    }

    /// Tags added to every node.
    pub fn tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// When false, nodes are namespaced but datasets and parameters keep their names.
    pub fn prefix_datasets_with_namespace(mut self, prefix: bool) -> Self {
        self.prefix_datasets_with_namespace = prefix;
        self
    }

    /// The pipeline, or every problem found.
    pub fn build(self) -> Result<Pipeline, PipelineError> {
        let base = Pipeline::new(self.parts)?;
        let base = if self.tags.is_empty() {
            base
        } else {
            base.tag(self.tags.iter().cloned())
        };
        let remapping = self.namespace.is_some()
            || !self.inputs.0.is_empty()
            || !self.outputs.0.is_empty()
            || !self.parameters.0.is_empty();
        if !remapping {
            return Ok(base);
        }
        let problems = mapping_problems(&base, &self.inputs, &self.outputs, &self.parameters);
        if !problems.is_empty() {
            return Err(problems.into());
        }
        let merged: HashMap<&str, &str> = self
            .inputs
            .0
            .iter()
            .chain(&self.outputs.0)
            .chain(&self.parameters.0)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let rename = |name: &String| {
            rename(
                name,
                &merged,
                self.namespace.as_deref(),
                self.prefix_datasets_with_namespace,
            )
        };
        let nodes = base
            .nodes()
            .map(|n| {
                let namespace = match (&self.namespace, n.namespace_name()) {
                    (Some(ns), Some(old)) => Some(format!("{ns}.{old}")),
                    (Some(ns), None) => Some(ns.clone()),
                    (None, old) => old.map(str::to_owned),
                };
                Arc::new(n.with_datasets(
                    n.inputs().iter().map(rename).collect(),
                    n.outputs().iter().map(rename).collect(),
                    namespace,
                ))
            })
            .collect();
        Pipeline::validated(nodes)
    }
}

fn as_parameter(name: &str) -> String {
    if name == ALL_PARAMETERS || name.starts_with(PARAMS_PREFIX) {
        name.to_owned()
    } else {
        format!("{PARAMS_PREFIX}{name}")
    }
}

/// Kedro's renaming rule; the first matching case wins.
fn rename(name: &str, merged: &HashMap<&str, &str>, ns: Option<&str>, prefix: bool) -> String {
    if let Some(new) = merged.get(name) {
        return (*new).to_owned();
    }
    if name == ALL_PARAMETERS {
        return name.to_owned();
    }
    if let Some((base, suffix)) = name.split_once(TRANSCODING_SEPARATOR)
        && let Some(new) = merged.get(base)
    {
        return format!("{new}{TRANSCODING_SEPARATOR}{suffix}");
    }
    match ns {
        Some(ns) if prefix => match name.strip_prefix(PARAMS_PREFIX) {
            Some(param) => format!("{PARAMS_PREFIX}{ns}.{param}"),
            None => format!("{ns}.{name}"),
        },
        _ => name.to_owned(),
    }
}

fn mapping_problems(
    base: &Pipeline,
    inputs: &Mapping,
    outputs: &Mapping,
    parameters: &Mapping,
) -> Vec<Problem> {
    let datasets: BTreeSet<String> = base
        .datasets()
        .iter()
        .map(|d| base_name(d).to_owned())
        .collect();
    let free_inputs: BTreeSet<String> = base
        .inputs()
        .iter()
        .map(|d| base_name(d).to_owned())
        .collect();
    let keys =
        |m: &Mapping| -> Vec<String> { m.0.iter().map(|(k, _)| base_name(k).to_owned()).collect() };
    let (input_keys, output_keys, param_keys) = (keys(inputs), keys(outputs), keys(parameters));
    let mut problems = Vec::new();

    let unknown: BTreeSet<String> = input_keys
        .iter()
        .chain(&output_keys)
        .chain(&param_keys)
        .filter(|k| !datasets.contains(*k))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let mut hints: Vec<String> = Vec::new();
        for u in &unknown {
            for m in close_matches(u, datasets.iter().map(String::as_str), 3, 0.6) {
                if !hints.iter().any(|h| h == m) {
                    hints.push(m.to_owned());
                }
            }
        }
        problems.push(Problem::UnknownMappedNames {
            names: unknown.into_iter().collect(),
            hints,
        });
    }
    let params_in_inputs: Vec<String> = input_keys
        .iter()
        .filter(|k| is_parameter(k))
        .cloned()
        .collect();
    if !params_in_inputs.is_empty() {
        problems.push(Problem::ParameterInInputs {
            names: params_in_inputs,
        });
    }
    let produced: Vec<String> = input_keys
        .iter()
        .filter(|k| datasets.contains(*k) && !is_parameter(k) && !free_inputs.contains(*k))
        .cloned()
        .collect();
    if !produced.is_empty() {
        problems.push(Problem::MappedInputIsProduced { names: produced });
    }
    let free: Vec<String> = output_keys
        .iter()
        .filter(|k| free_inputs.contains(*k))
        .cloned()
        .collect();
    if !free.is_empty() {
        problems.push(Problem::MappedOutputIsFreeInput { names: free });
    }
    problems
}
