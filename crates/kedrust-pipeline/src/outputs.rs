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

/// The count of an array of output names, as the compiler shows it when the count is wrong:
/// "`Names<3>` for `Results<4>`".
pub struct Names<const N: usize>;

/// The count of elements of a tuple result.
pub struct Results<const N: usize>;

/// Holds when an array of names has one name per element of the tuple result. Its only impl
/// is `Names<N>` for `Results<N>`, so a wrong count is reported with both numbers rather than
/// as a list of every tuple size.
#[diagnostic::on_unimplemented(
    message = "`{Self}` for `{R}`: the outputs need one name per element of the function's result",
    label = "one name per element of the result tuple",
    note = "give as many names as the tuple has elements, or one name (a `&str`) for the whole result"
)]
pub trait OneNameEach<R> {}

impl<const N: usize> OneNameEach<Results<N>> for Names<N> {}

/// A tuple result, split into one value per element.
#[diagnostic::on_unimplemented(
    message = "an array of output names takes a tuple result, but the function returns `{Self}`",
    label = "outputs for a tuple",
    note = "one name (a `&str`) takes the whole result; an array of N names takes an N-tuple"
)]
pub trait TupleResult: Send + 'static {
    /// `Results<N>` for an N-tuple.
    type Count;
    /// The element types, in order.
    fn types() -> Vec<TypeTag>;
    /// The elements, in order.
    fn into_values(self) -> Vec<Value>;
}

impl<S: Into<String>, R: TupleResult, const N: usize> OutputSpec<R> for [S; N]
where
    Names<N>: OneNameEach<R::Count>,
{
    fn bind(self) -> OutputBinding<R> {
        OutputBinding {
            datasets: self.into_iter().map(Into::into).collect(),
            keys: None,
            types: R::types(),
            static_keys: None,
            split: |r, _| Ok(r.into_values()),
        }
    }
}

macro_rules! tuple_result {
    ($n:literal; $($T:ident $i:tt),+) => {
        impl<$($T: Any + Send + Sync),+> TupleResult for ($($T,)+) {
            type Count = Results<$n>;
            fn types() -> Vec<TypeTag> {
                vec![$(TypeTag::of::<$T>()),+]
            }
            fn into_values(self) -> Vec<Value> {
                vec![$(Value::new(self.$i)),+]
            }
        }
    };
}

tuple_result!(1; A 0);
tuple_result!(2; A 0, B 1);
tuple_result!(3; A 0, B 1, C 2);
tuple_result!(4; A 0, B 1, C 2, D 3);
tuple_result!(5; A 0, B 1, C 2, D 3, E 4);
tuple_result!(6; A 0, B 1, C 2, D 3, E 4, F 5);
tuple_result!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_result!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_result!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_result!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_result!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_result!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
tuple_result!(13; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
tuple_result!(14; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
tuple_result!(15; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
tuple_result!(16; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

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
