//! Node arguments: how a type-erased input becomes the typed argument a function declares.

use crate::types::TypeTag;
use crate::value::Value;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::fmt;
use std::ops::Deref;

/// What a node argument expects to find in its input dataset.
#[derive(Clone, Copy, Debug)]
pub struct ArgType {
    /// The type the dataset must hold.
    pub held: TypeTag,
    /// The argument's own type as the function declares it (`Param<f64>`, `DataFrame`).
    pub declared: TypeTag,
    /// Whether the argument reads a parameter rather than data.
    pub kind: ArgKind,
    /// For a parameter: whether a configured value deserialises into the declared type
    /// (serde's message when not), so that a run checks every parameter before any node.
    pub check: Option<ParamCheck>,
}

/// Whether a configured parameter fits a declared `Param<T>` (serde's message when not).
pub type ParamCheck = fn(&serde_json::Value) -> Result<(), String>;

/// Two arguments expect the same when they hold and declare the same types (the check follows
/// from the declared type).
impl PartialEq for ArgType {
    fn eq(&self, other: &Self) -> bool {
        (self.held, self.declared, self.kind) == (other.held, other.declared, other.kind)
    }
}

impl Eq for ArgType {}

/// Whether `value` deserialises into `T`.
fn deserialises_into<T: DeserializeOwned>(value: &serde_json::Value) -> Result<(), String> {
    T::deserialize(value).map(drop).map_err(|e| e.to_string())
}

/// Data or parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A dataset value, moved or cloned out of the dataset.
    Data,
    /// A parameter, deserialised from the configured value.
    Parameter,
    /// Every partition of a partitioned dataset ([`Partitions`]): a fan-in of a fan-out.
    Partitions,
}

/// Why an input could not become the argument.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ArgError {
    /// The dataset holds another type.
    #[error("expected {expected} but the dataset holds {found}")]
    WrongType {
        /// What the argument wants.
        expected: String,
        /// What the dataset holds.
        found: String,
    },
    /// The parameter does not deserialise into the declared type.
    #[error("parameter does not fit {declared}: {message}")]
    Parameter {
        /// The declared `Param<T>`.
        declared: String,
        /// What serde said.
        message: String,
    },
}

/// A type a node function can take as an argument.
///
/// Implemented for every `Clone + Send + Sync + 'static` type (the value is moved out of its
/// dataset when the node is its last consumer, cloned otherwise) and for [`Param`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a node argument",
    label = "not data a node can take",
    note = "a node argument is data that is `Clone + Send + Sync + 'static`, or `Param<T>` for a \
            `params:` input, with `T: serde::Deserialize`"
)]
pub trait NodeArg: Sized + Send + 'static {
    /// What the argument expects.
    fn arg_type() -> ArgType;
    /// Converts the input value.
    fn from_value(value: Value) -> Result<Self, ArgError>;
}

impl<T: Any + Clone + Send + Sync> NodeArg for T {
    fn arg_type() -> ArgType {
        ArgType {
            held: TypeTag::of::<T>(),
            declared: TypeTag::of::<T>(),
            kind: ArgKind::Data,
            check: None,
        }
    }

    fn from_value(value: Value) -> Result<Self, ArgError> {
        value.take::<T>().map_err(|v| ArgError::WrongType {
            expected: TypeTag::of::<T>().short_name(),
            found: v.type_tag().short_name(),
        })
    }
}

/// A parameter (`params:a.b` or `parameters`) deserialised into `T`.
///
/// Parameters are configured as YAML and held as [`serde_json::Value`]; any
/// `T: DeserializeOwned` can be asked for.
pub struct Param<T>(pub T);

impl<T> Param<T> {
    /// The parameter.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Param<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Param<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Param").field(&self.0).finish()
    }
}

impl<T: DeserializeOwned + Send + 'static> NodeArg for Param<T> {
    fn arg_type() -> ArgType {
        ArgType {
            held: TypeTag::of::<serde_json::Value>(),
            declared: TypeTag::of::<Param<T>>(),
            kind: ArgKind::Parameter,
            check: Some(deserialises_into::<T>),
        }
    }

    fn from_value(value: Value) -> Result<Self, ArgError> {
        let declared = TypeTag::of::<Param<T>>().short_name();
        let Some(json) = value.downcast_ref::<serde_json::Value>() else {
            return Err(ArgError::WrongType {
                expected: "a parameter (serde_json::Value)".into(),
                found: value.type_tag().short_name(),
            });
        };
        T::deserialize(json)
            .map(Param)
            .map_err(|e| ArgError::Parameter {
                declared,
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Split {
        test_size: f64,
    }

    #[test]
    fn params_deserialise_into_any_type() {
        let v = Value::new(serde_json::json!({"test_size": 0.2}));
        let p = Param::<Split>::from_value(v).unwrap();
        assert_eq!(p.test_size, 0.2);
    }

    #[test]
    fn a_bad_parameter_names_the_declared_type() {
        let v = Value::new(serde_json::json!({"test_size": "big"}));
        let err = Param::<Split>::from_value(v).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("parameter does not fit Param<Split>"),
            "{err}"
        );
    }

    #[test]
    fn data_args_report_both_types() {
        let err = String::from_value(Value::new(3u32)).unwrap_err();
        assert_eq!(err.to_string(), "expected String but the dataset holds u32");
    }
}

/// Every partition of a partitioned dataset, by key: what a node takes to read the whole of a
/// dataset whose partitions a fan-out wrote (`run --fan-out`), each partition's value loaded.
/// The dataset's own type is `T`, so the wiring check holds it against what its producer
/// writes.
pub struct Partitions<T>(pub std::collections::BTreeMap<String, T>);

impl<T> Partitions<T> {
    /// The partitions, by key.
    pub fn into_inner(self) -> std::collections::BTreeMap<String, T> {
        self.0
    }
}

impl<T> Deref for Partitions<T> {
    type Target = std::collections::BTreeMap<String, T>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Partitions<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Partitions").field(&self.0).finish()
    }
}

/// What a fan-out hands a [`Partitions`] argument: each partition's key and value.
#[derive(Clone, Debug)]
pub struct PartitionValues(pub Vec<(String, Value)>);

impl<T: Any + Clone + Send + Sync> NodeArg for Partitions<T> {
    fn arg_type() -> ArgType {
        ArgType {
            held: TypeTag::of::<T>(),
            declared: TypeTag::of::<Partitions<T>>(),
            kind: ArgKind::Partitions,
            check: None,
        }
    }

    fn from_value(value: Value) -> Result<Self, ArgError> {
        let declared = TypeTag::of::<Partitions<T>>().short_name();
        let parts = value
            .take::<PartitionValues>()
            .map_err(|v| ArgError::WrongType {
                expected: declared.clone(),
                found: v.type_tag().short_name(),
            })?;
        let mut out = std::collections::BTreeMap::new();
        for (key, value) in parts.0 {
            let value = value.take::<T>().map_err(|v| ArgError::WrongType {
                expected: TypeTag::of::<T>().short_name(),
                found: v.type_tag().short_name(),
            })?;
            out.insert(key, value);
        }
        Ok(Partitions(out))
    }
}
