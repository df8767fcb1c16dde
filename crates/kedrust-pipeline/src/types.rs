//! Type tags: the identity and the printable name of a Rust type, carried by every
//! type-erased value and by every node signature so that wiring can be checked before a run.

use std::any::{Any, TypeId};
use std::fmt;

/// The identity of a Rust type together with its full path, for messages.
#[derive(Clone, Copy)]
pub struct TypeTag {
    id: TypeId,
    path: &'static str,
}

impl TypeTag {
    /// The tag of `T`.
    pub fn of<T: Any + ?Sized>() -> Self {
        Self {
            id: TypeId::of::<T>(),
            path: std::any::type_name::<T>(),
        }
    }

    /// The type's id; two tags are equal exactly when their ids are.
    pub fn id(&self) -> TypeId {
        self.id
    }

    /// The full path as the compiler spells it, e.g. `alloc::string::String`.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The name without module paths, e.g. `Vec<String>`, which is what users read.
    pub fn short_name(&self) -> String {
        short_type_name(self.path)
    }
}

impl PartialEq for TypeTag {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for TypeTag {}

impl fmt::Debug for TypeTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path)
    }
}

impl fmt::Display for TypeTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short_name())
    }
}

/// Drops every module path inside a type name: `alloc::vec::Vec<my::Row>` becomes `Vec<Row>`.
pub fn short_type_name(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut segment_start = 0;
    for (i, c) in path.char_indices() {
        if matches!(
            c,
            '<' | '>' | ',' | '(' | ')' | '[' | ']' | ';' | '&' | ' ' | '*'
        ) {
            out.push_str(last_segment(&path[segment_start..i]));
            out.push(c);
            segment_start = i + c.len_utf8();
        }
    }
    out.push_str(last_segment(&path[segment_start..]));
    out
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_module_paths() {
        assert_eq!(TypeTag::of::<Vec<String>>().short_name(), "Vec<String>");
        assert_eq!(
            short_type_name("core::result::Result<alloc::string::String, (a::B, &c::D)>"),
            "Result<String, (B, &D)>"
        );
        assert_eq!(short_type_name("f64"), "f64");
    }

    #[test]
    fn tags_compare_by_type_identity() {
        assert_eq!(TypeTag::of::<u8>(), TypeTag::of::<u8>());
        assert_ne!(TypeTag::of::<u8>(), TypeTag::of::<i8>());
    }
}
