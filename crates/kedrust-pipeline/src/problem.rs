//! Everything that can be wrong with a node or a pipeline, reported all at once.

use std::fmt;

/// One problem found while validating nodes and pipelines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// An explicit node name outside `[A-Za-z0-9_.-]`.
    #[error(
        "'{name}' is not a valid node name: it must contain only letters, digits, hyphens, underscores and/or full stops"
    )]
    InvalidNodeName {
        /// The name.
        name: String,
    },
    /// A tag outside `[A-Za-z0-9_.-]`.
    #[error(
        "node '{node}': '{tag}' is not a valid node tag: it must contain only letters, digits, hyphens, underscores and/or full stops"
    )]
    InvalidTag {
        /// The node.
        node: String,
        /// The tag.
        tag: String,
    },
    /// A namespace with an empty or invalid segment.
    #[error(
        "node '{node}': '{namespace}' is not a valid namespace: segments separated by '.' must be valid names"
    )]
    InvalidNamespace {
        /// The node.
        node: String,
        /// The namespace.
        namespace: String,
    },
    /// A dataset name that cannot be used.
    #[error("node '{node}': '{dataset}' is not a valid dataset name: {reason}")]
    InvalidDatasetName {
        /// The node.
        node: String,
        /// The name.
        dataset: String,
        /// Why.
        reason: &'static str,
    },
    /// A node that neither reads nor writes anything.
    #[error("node '{node}' has neither inputs nor outputs: it must have some")]
    NoInputsOrOutputs {
        /// The node.
        node: String,
    },
    /// The function takes another number of arguments than the node declares inputs.
    #[error(
        "node '{node}': function '{function}' takes {} argument(s) ({}), but the node declares {} input(s) ({})",
        expected.len(), list(expected), inputs.len(), list(inputs)
    )]
    ArityMismatch {
        /// The node.
        node: String,
        /// The function's name.
        function: String,
        /// The argument types, in order.
        expected: Vec<String>,
        /// The declared inputs.
        inputs: Vec<String>,
    },
    /// The same output declared twice by one node.
    #[error(
        "node '{node}' declares the output(s) {} more than once: node outputs must be unique",
        quoted(outputs)
    )]
    DuplicateOutputs {
        /// The node.
        node: String,
        /// The repeated outputs.
        outputs: Vec<String>,
    },
    /// A node that reads what it writes.
    #[error(
        "node '{node}' cannot have the same inputs and outputs, even when they are transcoded: {}",
        quoted(datasets)
    )]
    InputIsOutput {
        /// The node.
        node: String,
        /// The base names on both sides.
        datasets: Vec<String>,
    },
    /// A `node` whose function returns a `Result`: its `Err` would become the dataset's value.
    #[error(
        "node '{node}': the function returns {result}; use try_node(...) so that an Err fails the node instead of being saved as the output"
    )]
    NodeReturnsResult {
        /// The node.
        node: String,
        /// The result type.
        result: String,
    },
    /// Named outputs that the result type does not have, or result fields left undeclared.
    #[error("node '{node}': {}", key_mismatch(unknown, missing, available))]
    OutputKeys {
        /// The node.
        node: String,
        /// Declared keys the result type lacks.
        unknown: Vec<String>,
        /// Result fields with no declared dataset.
        missing: Vec<String>,
        /// The result type's keys.
        available: Vec<String>,
    },
    /// A parameter input bound to a plain argument instead of `Param<T>`.
    #[error(
        "node '{node}': input '{input}' is a parameter, so its argument must be Param<{declared}> (or serde_json::Value), not {declared}"
    )]
    ParameterArgument {
        /// The node.
        node: String,
        /// The input.
        input: String,
        /// The declared type.
        declared: String,
    },
    /// Two different nodes with one name.
    #[error(
        "pipeline nodes must have unique names; these names appear more than once: {}; name your nodes with .name(..)",
        quoted(names)
    )]
    DuplicateNodeNames {
        /// The names.
        names: Vec<String>,
    },
    /// A dataset used both with and without a transcoding suffix.
    #[error(
        "these datasets are used with transcoding, but were referenced without the separator: {}; specify a transcoding option or rename the datasets",
        quoted(datasets)
    )]
    TranscodingWithoutSeparator {
        /// The base names.
        datasets: Vec<String>,
    },
    /// Several nodes write one dataset.
    #[error(
        "output '{dataset}' is returned by more than one node: {}; node outputs must be unique",
        quoted(nodes)
    )]
    OutputNotUnique {
        /// The dataset (base name).
        dataset: String,
        /// Every node writing it, sorted.
        nodes: Vec<String>,
    },
    /// A dependency cycle.
    #[error("circular dependency: {}", cycle.join(" -> "))]
    Cycle {
        /// The nodes of the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// Names mapped by `inputs`, `outputs` or `parameters` that the pipeline does not use.
    #[error(
        "failed to map datasets and/or parameters onto the nodes provided: {} not in the pipeline{}",
        quoted(names),
        suggestions(hints)
    )]
    UnknownMappedNames {
        /// The names.
        names: Vec<String>,
        /// Close matches among the pipeline's datasets.
        hints: Vec<String>,
    },
    /// A parameter given in `inputs`.
    #[error(
        "parameters should be specified in the 'parameters' argument, not in 'inputs': {}",
        quoted(names)
    )]
    ParameterInInputs {
        /// The names.
        names: Vec<String>,
    },
    /// An `inputs` key that some node of the pipeline produces.
    #[error(
        "inputs must not be outputs from another node in the same pipeline: {}",
        quoted(names)
    )]
    MappedInputIsProduced {
        /// The names.
        names: Vec<String>,
    },
    /// An `outputs` key that no node produces.
    #[error(
        "all outputs must be generated by some node within the pipeline: {} are free inputs",
        quoted(names)
    )]
    MappedOutputIsFreeInput {
        /// The names.
        names: Vec<String>,
    },
    /// A producer and a consumer that disagree on a dataset's type.
    #[error(
        "dataset '{dataset}': node '{producer}' produces {produced}, but node '{consumer}' expects {expected}"
    )]
    TypeMismatch {
        /// The dataset.
        dataset: String,
        /// The writing node.
        producer: String,
        /// The type it writes.
        produced: String,
        /// The reading node.
        consumer: String,
        /// The type it reads.
        expected: String,
    },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// `'a', 'b'`: names as a user types them.
pub(crate) fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn suggestions(hints: &[String]) -> String {
    if hints.is_empty() {
        String::new()
    } else {
        format!(" - did you mean one of these instead: {}", quoted(hints))
    }
}

fn key_mismatch(unknown: &[String], missing: &[String], available: &[String]) -> String {
    let mut parts = Vec::new();
    if !unknown.is_empty() {
        parts.push(format!(
            "the result has no key(s) {} (it has {})",
            quoted(unknown),
            quoted(available)
        ));
    }
    if !missing.is_empty() {
        parts.push(format!(
            "the result's key(s) {} are not mapped to any dataset",
            quoted(missing)
        ));
    }
    parts.join("; ")
}

/// A pipeline that cannot be built, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PipelineError {
    /// The problems, in the order they were found.
    pub problems: Vec<Problem>,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "invalid pipeline: {one}"),
            many => {
                write!(f, "invalid pipeline: {} problems", many.len())?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl From<Vec<Problem>> for PipelineError {
    fn from(problems: Vec<Problem>) -> Self {
        Self { problems }
    }
}
