//! Node results: how a function's return value becomes one value per declared output.
//!
//! The output declaration decides the shape at compile time: a single name takes the whole
//! value, an array of N names takes an N-tuple, [`named`] takes a struct deriving
//! [`NodeOutputs`](crate::NodeOutputs) or a map, and `()` takes nothing.

use crate::types::TypeTag;
use crate::value::Value;
use std::any::Any;
use std::collections::{BTreeMap, HashMap};

/// Why a return value could not be split into the declared outputs.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OutputError {
    /// A map result whose keys differ from the declared keys.
    #[error(
        "the function returned the keys {returned:?}, but the node declares the keys {declared:?}"
    )]
    KeysDiffer {
        /// Keys of the returned map, sorted.
        returned: Vec<String>,
        /// Keys of the declaration, sorted.
        declared: Vec<String>,
    },
}

/// Splits a result into values aligned with the declared datasets, given the declared keys.
pub type Splitter<R> = fn(R, Option<&[String]>) -> Result<Vec<Value>, OutputError>;

/// How a return value of type `R` maps onto declared outputs.
pub struct OutputBinding<R> {
    /// Dataset names, in declaration order.
    pub datasets: Vec<String>,
    /// Keys of a named declaration, aligned with `datasets`.
    pub keys: Option<Vec<String>>,
    /// The type each output holds, aligned with `datasets`.
    pub types: Vec<TypeTag>,
    /// Keys a struct result has, known before any run (`None` for maps and positional results).
    pub static_keys: Option<Vec<&'static str>>,
    /// Splits a result into values aligned with `datasets`.
    pub split: Splitter<R>,
}

/// A declaration of outputs that can receive a result of type `R`.
#[diagnostic::on_unimplemented(
    message = "these outputs cannot receive a node result of type `{R}`",
    label = "outputs that do not fit the function's result",
    note = "one name takes the whole result; an array of N names takes an N-tuple of the same N; \
            `named(...)` takes a struct deriving `NodeOutputs` or a map; `()` takes no result"
)]
pub trait OutputSpec<R> {
    /// The binding of this declaration to `R`.
    fn bind(self) -> OutputBinding<R>;
}

impl OutputSpec<()> for () {
    fn bind(self) -> OutputBinding<()> {
        OutputBinding {
            datasets: Vec::new(),
            keys: None,
            types: Vec::new(),
            static_keys: None,
            split: |(), _| Ok(Vec::new()),
        }
    }
}

fn single<R: Any + Send + Sync>(name: String) -> OutputBinding<R> {
    OutputBinding {
        datasets: vec![name],
        keys: None,
        types: vec![TypeTag::of::<R>()],
        static_keys: None,
        split: |r, _| Ok(vec![Value::new(r)]),
    }
}

impl<R: Any + Send + Sync> OutputSpec<R> for &str {
    fn bind(self) -> OutputBinding<R> {
        single(self.to_owned())
    }
}

impl<R: Any + Send + Sync> OutputSpec<R> for String {
    fn bind(self) -> OutputBinding<R> {
        single(self)
    }
}

macro_rules! tuple_outputs {
    ($n:literal; $($T:ident $i:tt),+) => {
        impl<S: Into<String>, $($T: Any + Send + Sync),+> OutputSpec<($($T,)+)> for [S; $n] {
            fn bind(self) -> OutputBinding<($($T,)+)> {
                OutputBinding {
                    datasets: self.into_iter().map(Into::into).collect(),
                    keys: None,
                    types: vec![$(TypeTag::of::<$T>()),+],
                    static_keys: None,
                    split: |r, _| Ok(vec![$(Value::new(r.$i)),+]),
                }
            }
        }
    };
}

tuple_outputs!(1; A 0);
tuple_outputs!(2; A 0, B 1);
tuple_outputs!(3; A 0, B 1, C 2);
tuple_outputs!(4; A 0, B 1, C 2, D 3);
tuple_outputs!(5; A 0, B 1, C 2, D 3, E 4);
tuple_outputs!(6; A 0, B 1, C 2, D 3, E 4, F 5);
tuple_outputs!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_outputs!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_outputs!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_outputs!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_outputs!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_outputs!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
tuple_outputs!(13; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
tuple_outputs!(14; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
tuple_outputs!(15; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
tuple_outputs!(16; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

/// A result with named parts: a struct deriving [`NodeOutputs`](crate::NodeOutputs), or a map
/// of name to value.
pub trait NamedOutputs: Send + 'static {
    /// The keys every value has, when the type fixes them (struct fields); `None` for maps.
    fn static_keys() -> Option<Vec<&'static str>>;
    /// The type held under `key`, when known.
    fn key_type(key: &str) -> Option<TypeTag>;
    /// The parts, by key.
    fn into_parts(self) -> Vec<(String, Value)>;
}

macro_rules! map_outputs {
    ($($map:ident),+) => {$(
        impl<T: Any + Send + Sync> NamedOutputs for $map<String, T> {
            fn static_keys() -> Option<Vec<&'static str>> {
                None
            }
            fn key_type(_: &str) -> Option<TypeTag> {
                Some(TypeTag::of::<T>())
            }
            fn into_parts(self) -> Vec<(String, Value)> {
                self.into_iter().map(|(k, v)| (k, Value::new(v))).collect()
            }
        }
    )+};
}

map_outputs!(BTreeMap, HashMap);

/// A named declaration of outputs: result key → dataset name, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Named(pub Vec<(String, String)>);

/// Declares named outputs, as Kedro's dict outputs: `named([("model", "regressor")])`.
pub fn named<K: Into<String>, D: Into<String>>(pairs: impl IntoIterator<Item = (K, D)>) -> Named {
    Named(
        pairs
            .into_iter()
            .map(|(k, d)| (k.into(), d.into()))
            .collect(),
    )
}

impl<R: NamedOutputs> OutputSpec<R> for Named {
    fn bind(self) -> OutputBinding<R> {
        let (keys, datasets): (Vec<String>, Vec<String>) = self.0.into_iter().unzip();
        let types = keys
            .iter()
            .map(|k| R::key_type(k).unwrap_or(TypeTag::of::<MissingKey>()))
            .collect();
        OutputBinding {
            datasets,
            keys: Some(keys),
            types,
            static_keys: R::static_keys(),
            split: split_named::<R>,
        }
    }
}

/// Stands for the type of a declared key that the result type does not have; such a node
/// is reported by validation and never runs.
pub struct MissingKey;

fn split_named<R: NamedOutputs>(
    result: R,
    keys: Option<&[String]>,
) -> Result<Vec<Value>, OutputError> {
    let declared = keys.unwrap_or_default();
    let mut parts: HashMap<String, Value> = result.into_parts().into_iter().collect();
    let same = parts.len() == declared.len() && declared.iter().all(|k| parts.contains_key(k));
    if !same {
        let mut returned: Vec<String> = parts.keys().cloned().collect();
        returned.sort();
        let mut declared = declared.to_vec();
        declared.sort();
        return Err(OutputError::KeysDiffer { returned, declared });
    }
    Ok(declared
        .iter()
        .map(|k| parts.remove(k).expect("presence checked above"))
        .collect())
}
