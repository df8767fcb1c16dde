//! Functions as node logic: any `Fn` of up to 16 [`NodeArg`] arguments, in the manner of
//! axum handlers. Arguments bind to the declared inputs by position.

use crate::args::{ArgError, ArgType, NodeArg};
use crate::value::Value;

/// Why a function could not be called with the given inputs.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CallError {
    /// The runner passed another number of inputs than the function takes.
    #[error("the function takes {expected} argument(s) but {given} input(s) were given")]
    Arity {
        /// Arguments of the function.
        expected: usize,
        /// Inputs given.
        given: usize,
    },
    /// One input could not be converted.
    #[error("argument {index}: {error}")]
    Arg {
        /// Position of the argument.
        index: usize,
        /// What went wrong.
        error: ArgError,
    },
}

/// A function usable as node logic, with arguments `Args` and result `R`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a node function",
    label = "not a node function",
    note = "a node function is a `fn` or closure that is `Send + Sync + 'static`, of up to 16 \
            arguments, each data (`Clone + Send + Sync`) or `Param<T>` with `T: serde::Deserialize`"
)]
pub trait Handler<Args, R>: Send + Sync + 'static {
    /// What each argument expects, in order.
    fn arg_types() -> Vec<ArgType>;
    /// Calls the function with one value per argument.
    fn call(&self, inputs: Vec<Value>) -> Result<R, CallError>;
}

fn arg<A: NodeArg>(
    inputs: &mut std::vec::IntoIter<Value>,
    index: &mut usize,
) -> Result<A, CallError> {
    let at = *index;
    *index += 1;
    let value = inputs.next().expect("arity checked before conversion");
    A::from_value(value).map_err(|error| CallError::Arg { index: at, error })
}

macro_rules! handler {
    ($n:literal $(, $A:ident)*) => {
        impl<F, R, $($A: NodeArg),*> Handler<($($A,)*), R> for F
        where
            F: Fn($($A),*) -> R + Send + Sync + 'static,
        {
            fn arg_types() -> Vec<ArgType> {
                vec![$($A::arg_type()),*]
            }

            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn call(&self, inputs: Vec<Value>) -> Result<R, CallError> {
                if inputs.len() != $n {
                    return Err(CallError::Arity { expected: $n, given: inputs.len() });
                }
                let mut inputs = inputs.into_iter();
                let mut index = 0;
                $(let $A = arg::<$A>(&mut inputs, &mut index)?;)*
                Ok(self($($A),*))
            }
        }
    };
}

handler!(0);
handler!(1, A1);
handler!(2, A1, A2);
handler!(3, A1, A2, A3);
handler!(4, A1, A2, A3, A4);
handler!(5, A1, A2, A3, A4, A5);
handler!(6, A1, A2, A3, A4, A5, A6);
handler!(7, A1, A2, A3, A4, A5, A6, A7);
handler!(8, A1, A2, A3, A4, A5, A6, A7, A8);
handler!(9, A1, A2, A3, A4, A5, A6, A7, A8, A9);
handler!(10, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
handler!(11, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
handler!(12, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
handler!(13, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13);
handler!(
    14, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14
);
handler!(
    15, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15
);
handler!(
    16, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16
);
