//! Type-erased values: what travels between nodes, datasets and runners.

use crate::types::TypeTag;
use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// A value of any `Send + Sync + 'static` type, shared by reference counting.
///
/// Cloning a `Value` shares the data; [`Value::take`] hands out an owned `T` without a copy
/// when this is the last reference, which is why runners release datasets after their last
/// consumer.
#[derive(Clone)]
pub struct Value {
    data: Arc<dyn Any + Send + Sync>,
    tag: TypeTag,
}

impl Value {
    /// Wraps a value.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Self {
            data: Arc::new(value),
            tag: TypeTag::of::<T>(),
        }
    }

    /// Wraps an already shared value without copying it.
    pub fn from_arc<T: Any + Send + Sync>(value: Arc<T>) -> Self {
        Self {
            data: value,
            tag: TypeTag::of::<T>(),
        }
    }

    /// The type of the value inside.
    pub fn type_tag(&self) -> TypeTag {
        self.tag
    }

    /// Whether the value inside is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.data.is::<T>()
    }

    /// Borrows the value as a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.data.downcast_ref::<T>()
    }

    /// The shared value as an `Arc<T>`, or the value back when it is not a `T`.
    pub fn downcast_arc<T: Any + Send + Sync>(self) -> Result<Arc<T>, Value> {
        let tag = self.tag;
        self.data
            .downcast::<T>()
            .map_err(|data| Value { data, tag })
    }

    /// An owned `T`: moved out when this is the last reference, cloned otherwise.
    pub fn take<T: Any + Send + Sync + Clone>(self) -> Result<T, Value> {
        self.downcast_arc::<T>()
            .map(|arc| Arc::try_unwrap(arc).unwrap_or_else(|shared| (*shared).clone()))
    }

    /// The payload, for code that dispatches on the type itself (codecs).
    pub fn as_any(&self) -> &(dyn Any + Send + Sync) {
        &*self.data
    }

    /// How many handles share this value (1 means [`Value::take`] will not copy).
    pub fn share_count(&self) -> usize {
        Arc::strong_count(&self.data)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value<{}>", self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_moves_the_last_reference_and_clones_a_shared_one() {
        let v = Value::new(vec![1, 2, 3]);
        let shared = v.clone();
        assert_eq!(v.share_count(), 2);
        assert_eq!(shared.take::<Vec<i32>>().unwrap(), vec![1, 2, 3]);
        assert_eq!(v.share_count(), 1);
        assert_eq!(v.take::<Vec<i32>>().unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn a_wrong_type_gives_the_value_back() {
        let v = Value::new(1u8);
        let back = v.take::<String>().unwrap_err();
        assert_eq!(back.type_tag(), TypeTag::of::<u8>());
    }
}
