//! The node: a function with named inputs and outputs, a name, tags and a namespace.

use crate::args::{ArgKind, ArgType, NodeArg};
use crate::handler::{CallError, Handler};
use crate::naming::{self, default_node_name, function_name};
use crate::outputs::{OutputBinding, OutputError, OutputSpec};
use crate::problem::Problem;
use crate::types::TypeTag;
use crate::value::Value;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Any error a node function returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

type Call = dyn Fn(Vec<Value>) -> Result<Vec<Value>, Failure> + Send + Sync;

/// What a node runs, shared by every copy of the node (tagging and namespacing copy nodes).
struct Logic {
    function_path: &'static str,
    /// The result type of a `node` whose function returns a `Result` (`try_node` unwraps it).
    result_from_node: Option<&'static str>,
    arg_types: Vec<ArgType>,
    output_types: Vec<TypeTag>,
    output_keys: Option<Vec<String>>,
    static_keys: Option<Vec<&'static str>>,
    call: Box<Call>,
}

enum Failure {
    Call(CallError),
    Output(OutputError),
    Function(BoxError),
}

/// A node: plain function logic with declared inputs and outputs.
///
/// Build one with [`node`] (infallible functions) or [`try_node`] (functions returning
/// `Result`). Construction never fails: problems are reported together when the node joins a
/// [`Pipeline`](crate::Pipeline).
#[derive(Clone)]
pub struct Node {
    logic: Arc<Logic>,
    explicit_name: Option<String>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    tags: BTreeSet<String>,
    namespace: Option<String>,
    name: String,
    /// The partition key of a fan-out copy.
    partition: Option<String>,
    /// The code version its author declared.
    code_version: Option<String>,
}

/// Conversion of input declarations: `()`, one name, an array or a `Vec` of names.
pub trait IntoNames {
    /// The names, in order.
    fn into_names(self) -> Vec<String>;
}

impl IntoNames for () {
    fn into_names(self) -> Vec<String> {
        Vec::new()
    }
}

impl IntoNames for &str {
    fn into_names(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl IntoNames for String {
    fn into_names(self) -> Vec<String> {
        vec![self]
    }
}

impl<S: Into<String>, const N: usize> IntoNames for [S; N] {
    fn into_names(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<S: Into<String>> IntoNames for Vec<S> {
    fn into_names(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

/// A node of an infallible function.
///
/// ```
/// use kedrust_pipeline::node;
/// fn add(a: i64, b: i64) -> i64 { a + b }
/// let n = node(add, ["a", "b"], "sum");
/// assert_eq!(n.to_string(), "add([a;b]) -> [sum]");
/// ```
pub fn node<Args, R, F, O>(func: F, inputs: impl IntoNames, outputs: O) -> Node
where
    F: Handler<Args, R>,
    O: OutputSpec<R>,
    R: 'static,
{
    // A `Result` stored as a dataset's value would hide its error: the pipeline refuses it.
    let returned = std::any::type_name::<R>();
    let result = returned
        .starts_with("core::result::Result<")
        .then_some(returned);
    let function = (std::any::type_name::<F>(), F::arg_types(), result);
    assemble(
        function,
        inputs.into_names(),
        outputs.bind(),
        move |values| func.call(values).map_err(Failure::Call),
    )
}

/// A node of a fallible function: `Ok` values become the outputs, an `Err` fails the node.
///
/// ```
/// use kedrust_pipeline::try_node;
/// fn parse(text: String) -> Result<i64, std::num::ParseIntError> { text.trim().parse() }
/// let n = try_node(parse, "raw", "number").name("parse_number");
/// assert_eq!(n.node_name(), "parse_number");
/// ```
pub fn try_node<Args, T, E, F, O>(func: F, inputs: impl IntoNames, outputs: O) -> Node
where
    F: Handler<Args, Result<T, E>>,
    O: OutputSpec<T>,
    T: 'static,
    E: Into<BoxError> + 'static,
{
    let function = (std::any::type_name::<F>(), F::arg_types(), None);
    assemble(
        function,
        inputs.into_names(),
        outputs.bind(),
        move |values| {
            let result = func.call(values).map_err(Failure::Call)?;
            result.map_err(|e| Failure::Function(e.into()))
        },
    )
}

/// A node whose function takes every input as one list of a single type, as Kedro's
/// `def f(*inputs)`: fan-in nodes such as "log every tuning result". Each input is checked
/// against `T` before the run, as the arguments of other nodes are.
///
/// ```
/// use kedrust_pipeline::fan_in;
/// fn total(scores: Vec<f64>) -> f64 { scores.iter().sum() }
/// let n = fan_in(total, ["score_a", "score_b", "score_c"], "total");
/// assert_eq!(n.to_string(), "total([score_a;score_b;score_c]) -> [total]");
/// ```
pub fn fan_in<T, R, F, O>(func: F, inputs: impl IntoNames, outputs: O) -> Node
where
    F: Fn(Vec<T>) -> R + Send + Sync + 'static,
    T: NodeArg,
    O: OutputSpec<R>,
    R: 'static,
{
    let inputs = inputs.into_names();
    let function = (
        std::any::type_name::<F>(),
        vec![T::arg_type(); inputs.len()],
        None,
    );
    assemble(function, inputs, outputs.bind(), move |values| {
        let args = values
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                T::from_value(value).map_err(|error| Failure::Call(CallError::Arg { index, error }))
            })
            .collect::<Result<Vec<T>, Failure>>()?;
        Ok(func(args))
    })
}

/// The node of a function (its path, what each argument expects, and its `Result` type when
/// `node` was given one) whose call (`call`) yields the value `T` the outputs split.
fn assemble<T: 'static>(
    (function_path, arg_types, result_from_node): (
        &'static str,
        Vec<ArgType>,
        Option<&'static str>,
    ),
    inputs: Vec<String>,
    binding: OutputBinding<T>,
    call: impl Fn(Vec<Value>) -> Result<T, Failure> + Send + Sync + 'static,
) -> Node {
    let split = binding.split;
    let keys = binding.keys.clone();
    let run = move |values: Vec<Value>| {
        let result = call(values)?;
        split(result, keys.as_deref()).map_err(Failure::Output)
    };
    Node::from_logic(
        Logic {
            function_path,
            result_from_node,
            arg_types,
            output_types: binding.types,
            output_keys: binding.keys,
            static_keys: binding.static_keys,
            call: Box::new(run),
        },
        inputs,
        binding.datasets,
    )
}

/// Why a node run failed.
#[derive(thiserror::Error)]
pub enum NodeRunError {
    /// An input could not become its argument.
    #[error("node '{node}' could not read input '{input}': {message}")]
    Input {
        /// The node.
        node: String,
        /// The input dataset.
        input: String,
        /// Why.
        message: String,
    },
    /// The runner passed the wrong number of inputs.
    #[error("node '{node}': {source}")]
    Arity {
        /// The node.
        node: String,
        /// The mismatch.
        source: CallError,
    },
    /// The result does not fit the declared outputs.
    #[error("node '{node}' returned outputs that do not match its declaration: {source}")]
    Output {
        /// The node.
        node: String,
        /// The mismatch.
        source: OutputError,
    },
    /// The function returned an error.
    #[error("node '{node}' failed: {source}")]
    Function {
        /// The node.
        node: String,
        /// The function's error.
        source: BoxError,
    },
}

impl Node {
    fn from_logic(logic: Logic, inputs: Vec<String>, outputs: Vec<String>) -> Self {
        let mut n = Node {
            logic: Arc::new(logic),
            explicit_name: None,
            inputs,
            outputs,
            tags: BTreeSet::new(),
            namespace: None,
            name: String::new(),
            partition: None,
            code_version: None,
        };
        n.rename();
        n
    }

    fn rename(&mut self) {
        let base = match &self.explicit_name {
            Some(name) => name.clone(),
            None => default_node_name(self.logic.function_path, &self.inputs, &self.outputs),
        };
        self.name = match &self.namespace {
            Some(ns) => format!("{ns}.{base}"),
            None => base,
        };
    }

    /// Gives the node an explicit name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.explicit_name = Some(name.into());
        self.rename();
        self
    }

    /// Adds tags.
    pub fn tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Declares the version of the node's code: bump it when the function's body changes, so
    /// that `run --only-changed` and Dagster's staleness see the change. Without one, the
    /// node's [`Node::fingerprint`] stands for it, which changes only when the node is
    /// rewired or its function renamed.
    pub fn code_version(mut self, version: impl Into<String>) -> Self {
        self.code_version = Some(version.into());
        self
    }

    /// The version of the node's code: the declared one, else its fingerprint.
    pub fn code_version_or_default(&self) -> String {
        self.code_version
            .clone()
            .unwrap_or_else(|| self.fingerprint())
    }

    /// Sets the node's namespace (`a.b.c`); its name becomes `a.b.c.{name}`. Dataset names
    /// are left alone, as in Kedro.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        let ns = namespace.into();
        self.namespace = (!ns.is_empty()).then_some(ns);
        self.rename();
        self
    }

    /// The full name, namespace included.
    pub fn node_name(&self) -> &str {
        &self.name
    }

    /// The explicit name without namespace, when one was given.
    pub fn explicit_name(&self) -> Option<&str> {
        self.explicit_name.as_deref()
    }

    /// The function's name (`clean_rows`, or `closure`).
    pub fn function_name(&self) -> &'static str {
        function_name(self.logic.function_path)
    }

    /// The node's fingerprint ([`naming::fingerprint`]): what Dagster shows as the code
    /// version of the assets it produces.
    pub fn fingerprint(&self) -> String {
        naming::fingerprint(self.logic.function_path, &self.inputs, &self.outputs)
    }

    /// The declared inputs, in argument order.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// The declared outputs, in declaration order.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// The tags.
    pub fn tag_set(&self) -> &BTreeSet<String> {
        &self.tags
    }

    /// The namespace, if any.
    pub fn namespace_name(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Every prefix of the namespace, shortest first (`a.b` gives `a`, `a.b`).
    pub fn namespace_prefixes(&self) -> Vec<&str> {
        let Some(ns) = self.namespace.as_deref() else {
            return Vec::new();
        };
        ns.match_indices('.')
            .map(|(i, _)| &ns[..i])
            .chain(std::iter::once(ns))
            .collect()
    }

    /// What each argument expects, aligned with [`Node::inputs`].
    pub fn input_types(&self) -> &[ArgType] {
        &self.logic.arg_types
    }

    /// The type each output holds, aligned with [`Node::outputs`].
    pub fn output_types(&self) -> &[TypeTag] {
        &self.logic.output_types
    }

    /// Runs the function on one value per input (in declared order) and returns one value per
    /// output (in declared order).
    pub fn run(&self, inputs: Vec<Value>) -> Result<Vec<Value>, NodeRunError> {
        (self.logic.call)(inputs).map_err(|failure| match failure {
            Failure::Call(CallError::Arg { index, error }) => NodeRunError::Input {
                node: self.name.clone(),
                input: self.inputs.get(index).cloned().unwrap_or_default(),
                message: error.to_string(),
            },
            Failure::Call(source) => NodeRunError::Arity {
                node: self.name.clone(),
                source,
            },
            Failure::Output(source) => NodeRunError::Output {
                node: self.name.clone(),
                source,
            },
            Failure::Function(source) => NodeRunError::Function {
                node: self.name.clone(),
                source,
            },
        })
    }

    /// A copy with other datasets and namespace, sharing the logic; a default name is
    /// recomputed from the new datasets, as Kedro does.
    pub(crate) fn with_datasets(
        &self,
        inputs: Vec<String>,
        outputs: Vec<String>,
        namespace: Option<String>,
    ) -> Node {
        let mut n = Node {
            logic: Arc::clone(&self.logic),
            explicit_name: self.explicit_name.clone(),
            inputs,
            outputs,
            tags: self.tags.clone(),
            namespace,
            name: String::new(),
            partition: self.partition.clone(),
            code_version: self.code_version.clone(),
        };
        n.rename();
        n
    }

    /// The copy of this node that runs for partition `key` of a fan-out: named `name`, reading
    /// `inputs` and writing `outputs` (each partition's own datasets), with the same function.
    pub fn for_partition(
        &self,
        key: &str,
        name: String,
        inputs: Vec<String>,
        outputs: Vec<String>,
    ) -> Node {
        let mut n = self.with_datasets(inputs, outputs, None);
        n.explicit_name = Some(name);
        n.partition = Some(key.to_owned());
        n.rename();
        n
    }

    /// The partition key this node runs for, when it is a copy of a fan-out.
    pub fn partition(&self) -> Option<&str> {
        self.partition.as_deref()
    }

    /// A copy that reads `parts` (datasets each holding `held`) in place of its input at
    /// `position`; `gather` makes of their values the one value the function takes there (a
    /// fan-in reading every partition of a fan-out).
    pub fn gathering(
        &self,
        position: usize,
        parts: Vec<String>,
        held: TypeTag,
        gather: impl Fn(Vec<Value>) -> Value + Send + Sync + 'static,
    ) -> Node {
        let count = parts.len();
        let mut inputs = self.inputs.clone();
        inputs.splice(position..=position, parts);
        let mut arg_types = self.logic.arg_types.clone();
        let part_type = ArgType {
            held,
            declared: held,
            kind: crate::ArgKind::Data,
            check: None,
        };
        arg_types.splice(position..=position, std::iter::repeat_n(part_type, count));
        let original = Arc::clone(&self.logic);
        let call = move |mut values: Vec<Value>| {
            let gathered: Vec<Value> = values.drain(position..position + count).collect();
            values.insert(position, gather(gathered));
            (original.call)(values)
        };
        let logic = Logic {
            function_path: self.logic.function_path,
            result_from_node: self.logic.result_from_node,
            arg_types,
            output_types: self.logic.output_types.clone(),
            output_keys: self.logic.output_keys.clone(),
            static_keys: self.logic.static_keys.clone(),
            call: Box::new(call),
        };
        let mut n = self.with_datasets(inputs, self.outputs.clone(), self.namespace.clone());
        n.logic = Arc::new(logic);
        n
    }

    /// Every problem of this node on its own.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let node = || self.name.clone();
        if let Some(name) = &self.explicit_name
            && !naming::is_valid_name(name)
        {
            out.push(Problem::InvalidNodeName { name: name.clone() });
        }
        if let Some(ns) = &self.namespace
            && !ns.split('.').all(naming::is_valid_name)
        {
            out.push(Problem::InvalidNamespace {
                node: node(),
                namespace: ns.clone(),
            });
        }
        for tag in self.tags.iter().filter(|t| !naming::is_valid_name(t)) {
            out.push(Problem::InvalidTag {
                node: node(),
                tag: tag.clone(),
            });
        }
        for dataset in self.inputs.iter().chain(&self.outputs) {
            if let Some(reason) = naming::dataset_name_problem(dataset) {
                out.push(Problem::InvalidDatasetName {
                    node: node(),
                    dataset: dataset.clone(),
                    reason,
                });
            }
        }
        if self.inputs.is_empty() && self.outputs.is_empty() {
            out.push(Problem::NoInputsOrOutputs { node: node() });
        }
        if let Some(result) = self.logic.result_from_node {
            out.push(Problem::NodeReturnsResult {
                node: node(),
                result: crate::types::short_type_name(result),
            });
        }
        if self.inputs.len() != self.logic.arg_types.len() {
            out.push(Problem::ArityMismatch {
                node: node(),
                function: self.function_name().to_owned(),
                expected: self
                    .logic
                    .arg_types
                    .iter()
                    .map(|a| a.declared.short_name())
                    .collect(),
                inputs: self.inputs.clone(),
            });
        } else {
            self.parameter_argument_problems(&mut out);
        }
        self.output_problems(&mut out);
        out
    }

    fn parameter_argument_problems(&self, out: &mut Vec<Problem>) {
        for (input, arg) in self.inputs.iter().zip(&self.logic.arg_types) {
            let raw_json = arg.held == TypeTag::of::<serde_json::Value>();
            if naming::is_parameter(input) && arg.kind == ArgKind::Data && !raw_json {
                out.push(Problem::ParameterArgument {
                    node: self.name.clone(),
                    input: input.clone(),
                    declared: arg.declared.short_name(),
                });
            }
        }
    }

    fn output_problems(&self, out: &mut Vec<Problem>) {
        let mut seen = HashSet::new();
        let mut repeated: Vec<String> = Vec::new();
        for o in &self.outputs {
            if !seen.insert(o.as_str()) && !repeated.contains(o) {
                repeated.push(o.clone());
            }
        }
        if !repeated.is_empty() {
            out.push(Problem::DuplicateOutputs {
                node: self.name.clone(),
                outputs: repeated,
            });
        }
        let produced: BTreeSet<&str> = self.outputs.iter().map(|o| naming::base_name(o)).collect();
        let both: BTreeSet<&str> = self
            .inputs
            .iter()
            .map(|i| naming::base_name(i))
            .filter(|i| produced.contains(i))
            .collect();
        if !both.is_empty() {
            out.push(Problem::InputIsOutput {
                node: self.name.clone(),
                datasets: both.into_iter().map(str::to_owned).collect(),
            });
        }
        if let (Some(keys), Some(available)) = (&self.logic.output_keys, &self.logic.static_keys) {
            let unknown: Vec<String> = keys
                .iter()
                .filter(|k| !available.contains(&k.as_str()))
                .cloned()
                .collect();
            let missing: Vec<String> = available
                .iter()
                .filter(|a| !keys.iter().any(|k| k == *a))
                .map(|a| (*a).to_owned())
                .collect();
            if !unknown.is_empty() || !missing.is_empty() {
                out.push(Problem::OutputKeys {
                    node: self.name.clone(),
                    unknown,
                    missing,
                    available: available.iter().map(|a| (*a).to_owned()).collect(),
                });
            }
        }
    }

    /// The identity key: name, inputs and outputs (tags are not part of identity).
    fn identity(&self) -> (&str, &[String], &[String]) {
        (&self.name, &self.inputs, &self.outputs)
    }
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for Node {}

impl Hash for Node {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.identity().hash(state);
    }
}

impl PartialOrd for Node {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Node {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.identity().cmp(&other.identity())
    }
}

impl fmt::Display for Node {
    /// Kedro's form: `name: function([in1;in2]) -> [out1;out2]`, the name only when explicit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |names: &[String]| {
            if names.is_empty() {
                "None".to_owned()
            } else {
                format!("[{}]", names.join(";"))
            }
        };
        if self.explicit_name.is_some() {
            write!(f, "{}: ", self.name)?;
        }
        write!(
            f,
            "{}({}) -> {}",
            self.function_name(),
            join(&self.inputs),
            join(&self.outputs)
        )
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({self})")
    }
}

kedrust_secrets::debug_as_message!(NodeRunError);
