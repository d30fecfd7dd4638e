//! `#[derive(Layout)]`: an exact layout report from `offset_of!` and `size_of`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput};

const SUPPORTED: &str =
    "#[derive(Layout)] supports only structs (with named fields, tuple fields or none)";

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = match &input.data {
        Data::Struct(s) => &s.fields,
        Data::Enum(e) => {
            return Err(syn::Error::new(
                e.enum_token.span,
                format!("{SUPPORTED}; enums are not supported"),
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                format!("{SUPPORTED}; unions are not supported"),
            ));
        }
    };
    let k = crate::krate::runtime_path(&input.attrs, "layout")?;
    let name = &input.ident;
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();

    let entries = fields.iter().enumerate().map(|(i, f)| {
        let ty = &f.ty;
        let (member, label) = match &f.ident {
            Some(ident) => (quote!(#ident), ident.to_string()),
            None => {
                let index = syn::Index::from(i);
                (quote!(#index), i.to_string())
            }
        };
        let ty_name = quote!(#ty).to_string();
        quote! {
            #k::report::FieldLayout {
                name: #label,
                type_name: #ty_name,
                offset: ::core::mem::offset_of!(Self, #member),
                size: ::core::mem::size_of::<#ty>(),
                align: ::core::mem::align_of::<#ty>(),
            }
        }
    });
    let name_str = name.to_string();

    Ok(quote! {
        #[automatically_derived]
        impl #impl_g #k::Layout for #name #ty_g #where_c {
            fn layout_report() -> #k::LayoutReport {
                #k::LayoutReport::new(
                    #name_str,
                    ::core::mem::size_of::<Self>(),
                    ::core::mem::align_of::<Self>(),
                    #k::__private::vec![#(#entries),*],
                )
            }
        }
    })
}
