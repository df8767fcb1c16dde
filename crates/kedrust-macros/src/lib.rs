//! Derive macros for kedrust's node API.
//!
//! Owns only code generation for user types (`#[derive(NodeOutputs)]`); it must never hold
//! runtime logic, which belongs in `kedrust-pipeline`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, parse_macro_input};

/// Lets a struct with named fields be a node result whose fields are outputs:
/// `named([("model", "regressor"), ("score", "r2")])` maps each field to a dataset, and the
/// field names are checked against the declaration before anything runs.
#[proc_macro_derive(NodeOutputs)]
pub fn derive_node_outputs(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let name = &input.ident;
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => f.named.iter().collect::<Vec<_>>(),
            _ => return error(&input, "NodeOutputs needs a struct with named fields"),
        },
        _ => return error(&input, "NodeOutputs needs a struct with named fields"),
    };
    if !input.generics.params.is_empty() {
        return error(&input, "NodeOutputs does not support generic structs");
    }
    let idents: Vec<_> = fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    let keys: Vec<String> = idents.iter().map(|i| i.to_string()).collect();
    let types: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let p = private_path();
    quote! {
        impl #p::NamedOutputs for #name {
            fn static_keys() -> ::core::option::Option<::std::vec::Vec<&'static str>> {
                ::core::option::Option::Some(::std::vec![#(#keys),*])
            }
            fn key_type(key: &str) -> ::core::option::Option<#p::TypeTag> {
                match key {
                    #(#keys => ::core::option::Option::Some(#p::TypeTag::of::<#types>()),)*
                    _ => ::core::option::Option::None,
                }
            }
            fn into_parts(self) -> ::std::vec::Vec<(::std::string::String, #p::Value)> {
                ::std::vec![#((::std::string::String::from(#keys), #p::Value::new(self.#idents))),*]
            }
        }
    }
    .into()
}

/// The path of `kedrust_pipeline::__private` as the deriving crate can name it: through the
/// facade (`::kedrust::pipeline`) in a project that depends on kedrust only, directly in one
/// that depends on `kedrust-pipeline`, and `crate` inside `kedrust-pipeline` itself.
fn private_path() -> proc_macro2::TokenStream {
    use proc_macro_crate::{FoundCrate, crate_name};
    let named = |name: &str| syn::Ident::new(name, proc_macro2::Span::call_site());
    match (crate_name("kedrust"), crate_name("kedrust-pipeline")) {
        (Ok(FoundCrate::Name(facade)), _) => {
            let facade = named(&facade);
            quote!(::#facade::pipeline::__private)
        }
        (_, Ok(FoundCrate::Itself)) => quote!(crate::__private),
        (_, Ok(FoundCrate::Name(pipeline))) => {
            let pipeline = named(&pipeline);
            quote!(::#pipeline::__private)
        }
        // Neither is a dependency by name (renamed away, or a build outside Cargo): the
        // facade's path, which the compiler then names in its error.
        _ => quote!(::kedrust::pipeline::__private),
    }
}

fn error(input: &DeriveInput, message: &str) -> TokenStream {
    syn::Error::new_spanned(&input.ident, message)
        .to_compile_error()
        .into()
}
