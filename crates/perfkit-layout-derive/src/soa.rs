//! `#[derive(Soa)]`: a struct-of-arrays container and its companion types.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{
    Data, DeriveInput, Fields, GenericParam, Ident, Lifetime, LifetimeParam, Type, Visibility,
};

const SUPPORTED: &str = "#[derive(Soa)] supports only structs with named fields, \
                         e.g. `struct Particle { x: f32, y: f32 }`";

/// Checks the input shape and returns its named fields.
fn named_fields(input: &DeriveInput) -> syn::Result<&syn::FieldsNamed> {
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) if !named.named.is_empty() => Ok(named),
            Fields::Named(_) => Err(syn::Error::new_spanned(
                &input.ident,
                format!("{SUPPORTED}; this struct has no fields, so it would have no columns"),
            )),
            Fields::Unnamed(_) => Err(syn::Error::new_spanned(
                &input.ident,
                format!("{SUPPORTED}; tuple structs are not supported (name the fields)"),
            )),
            Fields::Unit => Err(syn::Error::new_spanned(
                &input.ident,
                format!("{SUPPORTED}; unit structs are not supported (they have no fields)"),
            )),
        },
        Data::Enum(e) => Err(syn::Error::new(
            e.enum_token.span,
            format!("{SUPPORTED}; enums are not supported"),
        )),
        Data::Union(u) => Err(syn::Error::new(
            u.union_token.span,
            format!("{SUPPORTED}; unions are not supported"),
        )),
    }
}

/// Everything the generated items share, computed once from the input: the names of the
/// generated types, each field's pieces, the generics and the type paths built from them.
struct Ctx<'a> {
    /// The runtime crate's path (`::perfkit_layout`, or `#[soa(crate = ..)]`).
    krate: TokenStream,
    /// Its `Vec`, the column type.
    vec: TokenStream,
    /// The deriving struct (the row type) and its visibility, which the generated types take.
    row: &'a Ident,
    vis: &'a Visibility,
    /// The generated types: `FooSoa`, `FooRef`, `FooRefMut`, `FooColumns`, `FooColumnsMut`,
    /// `FooSoaIter`, `FooSoaIterMut`, `FooSoaIntoIter`.
    soa: Ident,
    row_ref: Ident,
    row_mut: Ident,
    columns: Ident,
    columns_mut: Ident,
    iter: Ident,
    iter_mut: Ident,
    into_iter: Ident,
    /// Per field, in declaration order: its name, type and visibility; the local variable
    /// that holds its value while a row is taken apart (`__soa_x`) and the one that holds its
    /// column's `Room` in `push` (`__soa_room_x`); its name as a string.
    field: Vec<&'a Ident>,
    ty: Vec<&'a Type>,
    field_vis: Vec<&'a Visibility>,
    value: Vec<Ident>,
    room: Vec<Ident>,
    field_name: Vec<String>,
    /// The first field: its column answers `len`.
    first: &'a Ident,
    /// The struct's generics for an impl, its parameter list, and both again with a leading
    /// `'__a` (`lifetime`) for the borrowing types; the struct's where clause.
    impl_generics: TokenStream,
    params: TokenStream,
    ref_impl_generics: TokenStream,
    ref_params: TokenStream,
    lifetime: Lifetime,
    where_clause: TokenStream,
    /// The types with their generic arguments: the row, the container, the owning iterator,
    /// and each borrowing type with `'__a` (`_a`) and with `'_` (`_anon`).
    row_ty: TokenStream,
    soa_ty: TokenStream,
    into_iter_ty: TokenStream,
    row_ref_a: TokenStream,
    row_ref_anon: TokenStream,
    row_mut_a: TokenStream,
    row_mut_anon: TokenStream,
    columns_a: TokenStream,
    columns_anon: TokenStream,
    columns_mut_a: TokenStream,
    columns_mut_anon: TokenStream,
    iter_a: TokenStream,
    iter_anon: TokenStream,
    iter_mut_a: TokenStream,
    iter_mut_anon: TokenStream,
    /// Where clauses for the impls that need every field type to be `Clone`, `Debug` or
    /// `PartialEq`. They are checked only where the impl is used: the `for<'__x>` keeps a
    /// bound on a concrete type (`String: Copy`) from being rejected as trivially false.
    clone_bound: TokenStream,
    debug_bound: TokenStream,
    eq_bound: TokenStream,
}

impl<'a> Ctx<'a> {
    fn new(input: &'a DeriveInput) -> syn::Result<Self> {
        let named = named_fields(input)?;
        let krate = crate::krate::runtime_path(&input.attrs, "soa")?;
        let vec = quote!(#krate::__private::Vec);
        let row = &input.ident;
        let suffixed = |suffix: &str| format_ident!("{}{}", row, suffix);
        let field: Vec<&Ident> = named
            .named
            .iter()
            .map(|f| f.ident.as_ref().expect("named field"))
            .collect();
        let ty: Vec<&Type> = named.named.iter().map(|f| &f.ty).collect();

        let generics = &input.generics;
        let (impl_generics, _, _) = generics.split_for_impl();
        let predicates: Vec<&syn::WherePredicate> = generics
            .where_clause
            .as_ref()
            .map(|w| w.predicates.iter().collect())
            .unwrap_or_default();
        let args: Vec<TokenStream> = generics
            .params
            .iter()
            .map(|p| match p {
                GenericParam::Lifetime(l) => {
                    let l = &l.lifetime;
                    quote!(#l)
                }
                GenericParam::Type(t) => {
                    let i = &t.ident;
                    quote!(#i)
                }
                GenericParam::Const(c) => {
                    let i = &c.ident;
                    quote!(#i)
                }
            })
            .collect();
        let lifetime = Lifetime::new("'__a", Span::call_site());
        let mut ref_generics = generics.clone();
        ref_generics.params.insert(
            0,
            GenericParam::Lifetime(LifetimeParam::new(lifetime.clone())),
        );
        let (ref_impl_generics, _, _) = ref_generics.split_for_impl();
        let (ref_params, params) = (&ref_generics.params, &generics.params);

        let (soa, row_ref, row_mut) = (suffixed("Soa"), suffixed("Ref"), suffixed("RefMut"));
        let (columns, columns_mut) = (suffixed("Columns"), suffixed("ColumnsMut"));
        let (iter, iter_mut) = (suffixed("SoaIter"), suffixed("SoaIterMut"));
        let into_iter = suffixed("SoaIntoIter");
        let with_args = |ident: &Ident, lt: &TokenStream| quote!(#ident<#lt, #(#args),*>);
        let (a, anon) = (quote!('__a), quote!('_));
        let bound = |tr: TokenStream| quote!(where #(#predicates,)* #(for<'__x> #ty: #tr,)*);
        Ok(Self {
            row_ty: quote!(#row<#(#args),*>),
            soa_ty: quote!(#soa<#(#args),*>),
            into_iter_ty: quote!(#into_iter<#(#args),*>),
            row_ref_a: with_args(&row_ref, &a),
            row_ref_anon: with_args(&row_ref, &anon),
            row_mut_a: with_args(&row_mut, &a),
            row_mut_anon: with_args(&row_mut, &anon),
            columns_a: with_args(&columns, &a),
            columns_anon: with_args(&columns, &anon),
            columns_mut_a: with_args(&columns_mut, &a),
            columns_mut_anon: with_args(&columns_mut, &anon),
            iter_a: with_args(&iter, &a),
            iter_anon: with_args(&iter, &anon),
            iter_mut_a: with_args(&iter_mut, &a),
            iter_mut_anon: with_args(&iter_mut, &anon),
            clone_bound: bound(quote!(::core::clone::Clone)),
            debug_bound: bound(quote!(::core::fmt::Debug)),
            eq_bound: bound(quote!(::core::cmp::PartialEq)),
            impl_generics: quote!(#impl_generics),
            params: quote!(#params),
            ref_impl_generics: quote!(#ref_impl_generics),
            ref_params: quote!(#ref_params),
            where_clause: quote!(where #(#predicates,)*),
            lifetime,
            krate,
            vec,
            row,
            vis: &input.vis,
            soa,
            row_ref,
            row_mut,
            columns,
            columns_mut,
            iter,
            iter_mut,
            into_iter,
            field_vis: named.named.iter().map(|f| &f.vis).collect(),
            value: field.iter().map(|f| format_ident!("__soa_{}", f)).collect(),
            room: field
                .iter()
                .map(|f| format_ident!("__soa_room_{}", f))
                .collect(),
            field_name: field.iter().map(ToString::to_string).collect(),
            first: field[0],
            field,
            ty,
        })
    }

    fn doc_soa(&self) -> String {
        format!(
            "A struct-of-arrays container of [`{}`]: one `Vec` per field, all of the same \
             length. Generated by `#[derive(Soa)]`.",
            self.row
        )
    }

    fn doc_row_ref(&self) -> String {
        format!(
            "Shared references to the fields of one row of a [`{}`].",
            self.soa
        )
    }

    fn doc_row_mut(&self) -> String {
        format!(
            "Mutable references to the fields of one row of a [`{}`].",
            self.soa
        )
    }

    fn doc_columns(&self) -> String {
        format!(
            "Every column of a [`{}`] as a shared slice (all of the same length).",
            self.soa
        )
    }

    fn doc_columns_mut(&self) -> String {
        format!(
            "Every column of a [`{}`] as a mutable slice (all of the same length); each field \
             borrows independently, so different columns can be read and written at once.",
            self.soa
        )
    }

    fn doc_iter(&self) -> String {
        format!(
            "Iterator over the rows of a [`{}`] as [`{}`]s.",
            self.soa, self.row_ref
        )
    }

    fn doc_iter_mut(&self) -> String {
        format!(
            "Iterator over the rows of a [`{}`] as [`{}`]s.",
            self.soa, self.row_mut
        )
    }

    fn doc_into_iter(&self) -> String {
        format!(
            "Owning iterator over the rows of a [`{}`] as [`{}`]s.",
            self.soa, self.row
        )
    }

    /// `The `x` field.` per field.
    fn doc_ref_field(&self) -> Vec<String> {
        self.field_docs("The")
    }

    /// `The column of the `x` field.` per field.
    fn doc_column_field(&self) -> Vec<String> {
        self.field_docs("The column of the")
    }

    fn field_docs(&self, what: &str) -> Vec<String> {
        self.field_name
            .iter()
            .map(|n| format!("{what} `{n}` field."))
            .collect()
    }
}

/// The expansion of `#[derive(Soa)]`: the generated types and every impl, one function each.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctx::new(input)?;
    let parts = [
        structs(&cx),
        container_impl(&cx),
        container_traits(&cx),
        row_refs(&cx),
        columns(&cx),
        iterators(&cx),
    ];
    Ok(quote!(#(#parts)*))
}

/// The container and its companion types: rows, columns, iterators.
fn structs(cx: &Ctx<'_>) -> TokenStream {
    let Ctx {
        vis,
        soa,
        params,
        where_clause,
        field,
        vec,
        ty,
        row_ref,
        ref_params,
        field_vis,
        lifetime,
        row_mut,
        columns,
        columns_mut,
        iter,
        iter_mut,
        into_iter,
        krate,
        ..
    } = cx;
    let doc_soa = cx.doc_soa();
    let doc_row_ref = cx.doc_row_ref();
    let doc_ref_field = cx.doc_ref_field();
    let doc_row_mut = cx.doc_row_mut();
    let doc_columns = cx.doc_columns();
    let doc_column_field = cx.doc_column_field();
    let doc_columns_mut = cx.doc_columns_mut();
    let doc_iter = cx.doc_iter();
    let doc_iter_mut = cx.doc_iter_mut();
    let doc_into_iter = cx.doc_into_iter();
    quote! {
        #[doc = #doc_soa]
        #vis struct #soa<#params> #where_clause {
            // Every column has the same length: the methods below keep them equal. Nothing
            // unsafe relies on it (code in the deriving module can reach these fields), so a
            // column changed from outside leads at worst to a panic or a wrong row, never to
            // undefined behaviour.
            #( #field: #vec<#ty>, )*
        }

        #[doc = #doc_row_ref]
        #vis struct #row_ref<#ref_params> #where_clause {
            #( #[doc = #doc_ref_field] #field_vis #field: &#lifetime #ty, )*
        }

        #[doc = #doc_row_mut]
        #vis struct #row_mut<#ref_params> #where_clause {
            #( #[doc = #doc_ref_field] #field_vis #field: &#lifetime mut #ty, )*
        }

        #[doc = #doc_columns]
        #vis struct #columns<#ref_params> #where_clause {
            #( #[doc = #doc_column_field] #field_vis #field: &#lifetime [#ty], )*
        }

        #[doc = #doc_columns_mut]
        #vis struct #columns_mut<#ref_params> #where_clause {
            #( #[doc = #doc_column_field] #field_vis #field: &#lifetime mut [#ty], )*
        }

        #[doc = #doc_iter]
        #vis struct #iter<#ref_params> #where_clause {
            #( #field: ::core::slice::Iter<#lifetime, #ty>, )*
        }

        #[doc = #doc_iter_mut]
        #vis struct #iter_mut<#ref_params> #where_clause {
            #( #field: ::core::slice::IterMut<#lifetime, #ty>, )*
        }

        #[doc = #doc_into_iter]
        #vis struct #into_iter<#params> #where_clause {
            #( #field: #krate::__private::IntoIter<#ty>, )*
        }

    }
}

/// The container's own methods.
fn container_impl(cx: &Ctx<'_>) -> TokenStream {
    let Ctx {
        impl_generics,
        soa_ty,
        where_clause,
        field,
        vec,
        first,
        row_ty,
        row,
        value,
        room,
        krate,
        ty,
        row_ref_anon,
        row_ref,
        row_mut_anon,
        row_mut,
        iter_anon,
        iter,
        iter_mut_anon,
        iter_mut,
        columns_anon,
        columns,
        columns_mut_anon,
        columns_mut,
        ..
    } = cx;
    quote! {
        #[automatically_derived]
        impl #impl_generics #soa_ty #where_clause {
            /// An empty container (allocates nothing).
            #[must_use]
            pub const fn new() -> Self {
                Self { #( #field: #vec::new(), )* }
            }

            /// An empty container with room for `capacity` rows in every column.
            #[must_use]
            pub fn with_capacity(capacity: usize) -> Self {
                Self { #( #field: #vec::with_capacity(capacity), )* }
            }

            /// The number of rows.
            #[must_use]
            #[inline]
            pub fn len(&self) -> usize {
                self.#first.len()
            }

            /// True when there are no rows.
            #[must_use]
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.#first.is_empty()
            }

            /// How many rows fit before some column must reallocate.
            #[must_use]
            pub fn capacity(&self) -> usize {
                let mut __soa_cap = usize::MAX;
                #( __soa_cap = __soa_cap.min(self.#field.capacity()); )*
                __soa_cap
            }

            /// Reserves room for at least `additional` more rows in every column.
            pub fn reserve(&mut self, additional: usize) {
                #( self.#field.reserve(additional); )*
            }

            /// Shrinks every column's capacity to its length.
            pub fn shrink_to_fit(&mut self) {
                #( self.#field.shrink_to_fit(); )*
            }

            /// Removes every row.
            pub fn clear(&mut self) {
                #( self.#field.clear(); )*
            }

            /// Keeps the first `len` rows and drops the rest (nothing happens if `len` is
            /// not below the current length).
            pub fn truncate(&mut self, len: usize) {
                #( self.#field.truncate(len); )*
            }

            /// Appends a row.
            ///
            /// One combined check asks every column for room at once; when all have it, each
            /// value goes straight into its column's spare capacity. Otherwise a cold path
            /// grows every column first.
            #[inline]
            pub fn push(&mut self, value: #row_ty) {
                let #row { #( #field: #value, )* } = value;
                if let ( #( ::core::option::Option::Some(#room), )* ) =
                ( #( #krate::__private::room(&mut self.#field), )* )
                {
                    #( #room.push(#value); )*
                } else {
                    self.__soa_push_slow(#( #value, )*);
                }
            }

            /// The slow path of `push`: room for at least one more row in every column
            /// (amortized doubling, as `Vec::push`), then the row.
            #[cold]
            #[inline(never)]
            #[allow(clippy::too_many_arguments)]
            fn __soa_push_slow(&mut self, #( #value: #ty, )*) {
                self.reserve(1);
                #( self.#field.push(#value); )*
            }

            /// Removes the last row and returns it, or `None` when empty.
            pub fn pop(&mut self) -> ::core::option::Option<#row_ty> {
                if self.is_empty() {
                    return ::core::option::Option::None;
                }
                #( let #value = self.#field.pop()?; )*
                ::core::option::Option::Some(#row { #( #field: #value, )* })
            }

            /// References to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get(&self, index: usize) -> ::core::option::Option<#row_ref_anon> {
                ::core::option::Option::Some(#row_ref { #( #field: self.#field.get(index)?, )* })
            }

            /// Mutable references to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get_mut(&mut self, index: usize) -> ::core::option::Option<#row_mut_anon> {
                ::core::option::Option::Some(#row_mut { #( #field: self.#field.get_mut(index)?, )* })
            }

            /// Swaps rows `a` and `b` in every column.
            ///
            /// # Panics
            /// If `a` or `b` is out of bounds.
            pub fn swap(&mut self, a: usize, b: usize) {
                #( self.#field.swap(a, b); )*
            }

            /// Removes row `index` and returns it; the last row takes its place (O(1), does
            /// not keep the order).
            ///
            /// # Panics
            /// If `index` is out of bounds.
            pub fn swap_remove(&mut self, index: usize) -> #row_ty {
                let __soa_len = self.len();
                ::core::assert!(
                    index < __soa_len,
                    "swap_remove index (is {}) should be < len (is {})",
                    index,
                    __soa_len
                );
                #row { #( #field: self.#field.swap_remove(index), )* }
            }

            /// Removes row `index` and returns it, shifting the later rows down (O(n)).
            ///
            /// # Panics
            /// If `index` is out of bounds.
            pub fn remove(&mut self, index: usize) -> #row_ty {
                let __soa_len = self.len();
                ::core::assert!(
                    index < __soa_len,
                    "removal index (is {}) should be < len (is {})",
                    index,
                    __soa_len
                );
                #row { #( #field: self.#field.remove(index), )* }
            }

            /// Keeps only the rows for which `keep` returns true, in their order. Visits
            /// every row once, in order; allocates nothing.
            pub fn retain<__SoaF>(&mut self, mut keep: __SoaF)
            where
            __SoaF: ::core::ops::FnMut(#row_ref_anon) -> bool,
            {
                let __soa_len = self.len();
                let mut __soa_w = 0usize;
                for __soa_r in 0..__soa_len {
                    if keep(#row_ref { #( #field: &self.#field[__soa_r], )* }) {
                        if __soa_w != __soa_r {
                            #( self.#field.swap(__soa_w, __soa_r); )*
                        }
                        __soa_w += 1;
                    }
                }
                #( self.#field.truncate(__soa_w); )*
            }

            /// Sorts the rows (stable) by the key `key` extracts, moving every column.
            pub fn sort_by_key<__SoaK, __SoaF>(&mut self, mut key: __SoaF)
            where
            __SoaK: ::core::cmp::Ord,
            __SoaF: ::core::ops::FnMut(#row_ref_anon) -> __SoaK,
            {
                let mut __soa_perm: #vec<usize> = (0..self.len()).collect();
                {
                    let __soa_cols = self.columns();
                    __soa_perm.sort_by_key(|&__soa_i| key(#row_ref { #( #field: &__soa_cols.#field[__soa_i], )* }));
                }
                #krate::__private::apply_permutation(&mut __soa_perm, |__soa_x, __soa_y| {
                        #( self.#field.swap(__soa_x, __soa_y); )*
                    });
            }

            /// Sorts the rows (stable) with the comparator `compare`, moving every column.
            pub fn sort_by<__SoaF>(&mut self, mut compare: __SoaF)
            where
            __SoaF: ::core::ops::FnMut(#row_ref_anon, #row_ref_anon) -> ::core::cmp::Ordering,
            {
                let mut __soa_perm: #vec<usize> = (0..self.len()).collect();
                {
                    let __soa_cols = self.columns();
                    __soa_perm.sort_by(|&__soa_i, &__soa_j| {
                            compare(
                                #row_ref { #( #field: &__soa_cols.#field[__soa_i], )* },
                                #row_ref { #( #field: &__soa_cols.#field[__soa_j], )* },
                            )
                        });
                }
                #krate::__private::apply_permutation(&mut __soa_perm, |__soa_x, __soa_y| {
                        #( self.#field.swap(__soa_x, __soa_y); )*
                    });
            }

            /// Iterates over the rows as references.
            #[inline]
            pub fn iter(&self) -> #iter_anon {
                #iter { #( #field: self.#field.iter(), )* }
            }

            /// Iterates over the rows as mutable references.
            #[inline]
            pub fn iter_mut(&mut self) -> #iter_mut_anon {
                #iter_mut { #( #field: self.#field.iter_mut(), )* }
            }

            /// Every column as a shared slice.
            #[must_use]
            #[inline]
            pub fn columns(&self) -> #columns_anon {
                #columns { #( #field: &self.#field, )* }
            }

            /// Every column as a mutable slice; the fields borrow independently.
            #[must_use]
            #[inline]
            pub fn columns_mut(&mut self) -> #columns_mut_anon {
                #columns_mut { #( #field: &mut self.#field, )* }
            }

            /// The rows in runs of exactly `chunk_size` (as column slices), for loops that
            /// process a fixed number of lanes at a time; the rows left over are the
            /// iterator's `remainder()`.
            ///
            /// # Panics
            /// If `chunk_size` is 0.
            #[inline]
            pub fn chunks_exact(&self, chunk_size: usize) -> #krate::soa::ChunksExact<#columns_anon> {
                #krate::soa::ChunksExact::new(self.columns(), chunk_size)
            }

            /// [`Self::chunks_exact`] with mutable column slices.
            ///
            /// # Panics
            /// If `chunk_size` is 0.
            #[inline]
            pub fn chunks_exact_mut(&mut self, chunk_size: usize) -> #krate::soa::ChunksExact<#columns_mut_anon> {
                #krate::soa::ChunksExact::new(self.columns_mut(), chunk_size)
            }
        }

    }
}

/// The container's trait impls: `Default`, `Clone`, `Debug`, `PartialEq`, `Extend`,
/// `FromIterator` and `IntoIterator` (owned, `&`, `&mut`).
fn container_traits(cx: &Ctx<'_>) -> TokenStream {
    let Ctx {
        impl_generics,
        soa_ty,
        where_clause,
        clone_bound,
        field,
        debug_bound,
        soa,
        field_name,
        eq_bound,
        row_ty,
        into_iter_ty,
        into_iter,
        ref_impl_generics,
        lifetime,
        row_ref_a,
        iter_a,
        row_mut_a,
        iter_mut_a,
        ..
    } = cx;
    quote! {
        #[automatically_derived]
        impl #impl_generics ::core::default::Default for #soa_ty #where_clause {
            fn default() -> Self {
                Self::new()
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::clone::Clone for #soa_ty #clone_bound {
            fn clone(&self) -> Self {
                Self { #( #field: ::core::clone::Clone::clone(&self.#field), )* }
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #soa_ty #debug_bound {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#soa))
                #( .field(#field_name, &self.#field) )*
                .finish()
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::cmp::PartialEq for #soa_ty #eq_bound {
            fn eq(&self, __soa_other: &Self) -> bool {
                true #( && self.#field == __soa_other.#field )*
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::iter::Extend<#row_ty> for #soa_ty #where_clause {
            fn extend<__SoaI: ::core::iter::IntoIterator<Item = #row_ty>>(&mut self, iter: __SoaI) {
                let __soa_iter = iter.into_iter();
                self.reserve(__soa_iter.size_hint().0);
                for __soa_v in __soa_iter {
                    self.push(__soa_v);
                }
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::iter::FromIterator<#row_ty> for #soa_ty #where_clause {
            fn from_iter<__SoaI: ::core::iter::IntoIterator<Item = #row_ty>>(iter: __SoaI) -> Self {
                let mut __soa_out = Self::new();
                ::core::iter::Extend::extend(&mut __soa_out, iter);
                __soa_out
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::iter::IntoIterator for #soa_ty #where_clause {
            type Item = #row_ty;
            type IntoIter = #into_iter_ty;
            fn into_iter(self) -> Self::IntoIter {
                #into_iter { #( #field: ::core::iter::IntoIterator::into_iter(self.#field), )* }
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::iter::IntoIterator for &#lifetime #soa_ty #where_clause {
            type Item = #row_ref_a;
            type IntoIter = #iter_a;
            fn into_iter(self) -> Self::IntoIter {
                self.iter()
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::iter::IntoIterator for &#lifetime mut #soa_ty #where_clause {
            type Item = #row_mut_a;
            type IntoIter = #iter_mut_a;
            fn into_iter(self) -> Self::IntoIter {
                self.iter_mut()
            }
        }

    }
}

/// The row references' methods and trait impls.
fn row_refs(cx: &Ctx<'_>) -> TokenStream {
    let Ctx {
        ref_impl_generics,
        row_ref_a,
        where_clause,
        row_ty,
        clone_bound,
        row,
        field,
        debug_bound,
        row_ref,
        field_name,
        eq_bound,
        row_mut_a,
        value,
        row_mut,
        ..
    } = cx;
    quote! {
        #[automatically_derived]
        impl #ref_impl_generics #row_ref_a #where_clause {
            /// Clones the referenced fields into an owned row.
            #[must_use]
            pub fn to_owned_row(&self) -> #row_ty #clone_bound {
                #row { #( #field: ::core::clone::Clone::clone(self.#field), )* }
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::clone::Clone for #row_ref_a #where_clause {
            fn clone(&self) -> Self {
                *self
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::marker::Copy for #row_ref_a #where_clause {}

        #[automatically_derived]
        impl #ref_impl_generics ::core::fmt::Debug for #row_ref_a #debug_bound {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#row_ref))
                #( .field(#field_name, self.#field) )*
                .finish()
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::cmp::PartialEq for #row_ref_a #eq_bound {
            fn eq(&self, __soa_other: &Self) -> bool {
                true #( && *self.#field == *__soa_other.#field )*
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics #row_mut_a #where_clause {
            /// Clones the referenced fields into an owned row.
            #[must_use]
            pub fn to_owned_row(&self) -> #row_ty #clone_bound {
                #row { #( #field: ::core::clone::Clone::clone(&*self.#field), )* }
            }

            /// Overwrites every field of the row with `value`'s.
            pub fn set(&mut self, value: #row_ty) {
                let #row { #( #field: #value, )* } = value;
                #( *self.#field = #value; )*
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::fmt::Debug for #row_mut_a #debug_bound {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#row_mut))
                #( .field(#field_name, &*self.#field) )*
                .finish()
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::cmp::PartialEq for #row_mut_a #eq_bound {
            fn eq(&self, __soa_other: &Self) -> bool {
                true #( && *self.#field == *__soa_other.#field )*
            }
        }

    }
}

/// The column sets' methods and trait impls.
fn columns(cx: &Ctx<'_>) -> TokenStream {
    let Ctx {
        ref_impl_generics,
        columns_a,
        where_clause,
        first,
        row_ref_a,
        row_ref,
        field,
        value,
        columns,
        iter_a,
        iter,
        debug_bound,
        field_name,
        krate,
        columns_mut_a,
        row_ref_anon,
        row_mut_anon,
        row_mut,
        columns_mut,
        columns_anon,
        iter_mut_anon,
        iter_mut,
        ..
    } = cx;
    quote! {
        #[automatically_derived]
        impl #ref_impl_generics #columns_a #where_clause {
            /// The number of rows.
            #[must_use]
            #[inline]
            pub fn len(&self) -> usize {
                self.#first.len()
            }

            /// True when there are no rows.
            #[must_use]
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.#first.is_empty()
            }

            /// References to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get(&self, index: usize) -> ::core::option::Option<#row_ref_a> {
                ::core::option::Option::Some(#row_ref { #( #field: self.#field.get(index)?, )* })
            }

            /// Splits every column at `mid`: rows `..mid` and rows `mid..`.
            ///
            /// # Panics
            /// If `mid > len`.
            #[must_use]
            pub fn split_at(self, mid: usize) -> (Self, Self) {
                #( let #value = self.#field.split_at(mid); )*
                (#columns { #( #field: #value.0, )* }, #columns { #( #field: #value.1, )* })
            }

            /// Iterates over the rows as references.
            #[inline]
            pub fn iter(&self) -> #iter_a {
                #iter { #( #field: self.#field.iter(), )* }
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::clone::Clone for #columns_a #where_clause {
            fn clone(&self) -> Self {
                *self
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::marker::Copy for #columns_a #where_clause {}

        #[automatically_derived]
        impl #ref_impl_generics ::core::fmt::Debug for #columns_a #debug_bound {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#columns))
                #( .field(#field_name, &self.#field) )*
                .finish()
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics #krate::soa::Columns for #columns_a #where_clause {
            #[inline]
            fn len(&self) -> usize {
                self.#first.len()
            }
            #[inline]
            fn split_at(self, mid: usize) -> (Self, Self) {
                <#columns_a>::split_at(self, mid)
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics #columns_mut_a #where_clause {
            /// The number of rows.
            #[must_use]
            #[inline]
            pub fn len(&self) -> usize {
                self.#first.len()
            }

            /// True when there are no rows.
            #[must_use]
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.#first.is_empty()
            }

            /// References to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get(&self, index: usize) -> ::core::option::Option<#row_ref_anon> {
                ::core::option::Option::Some(#row_ref { #( #field: self.#field.get(index)?, )* })
            }

            /// Mutable references to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get_mut(&mut self, index: usize) -> ::core::option::Option<#row_mut_anon> {
                ::core::option::Option::Some(#row_mut { #( #field: self.#field.get_mut(index)?, )* })
            }

            /// Splits every column at `mid`: rows `..mid` and rows `mid..`.
            ///
            /// # Panics
            /// If `mid > len`.
            #[must_use]
            pub fn split_at_mut(self, mid: usize) -> (Self, Self) {
                #( let #value = self.#field.split_at_mut(mid); )*
                (#columns_mut { #( #field: #value.0, )* }, #columns_mut { #( #field: #value.1, )* })
            }

            /// Reborrows as shared columns.
            #[must_use]
            #[inline]
            pub fn as_columns(&self) -> #columns_anon {
                #columns { #( #field: &*self.#field, )* }
            }

            /// Iterates over the rows as mutable references.
            #[inline]
            pub fn iter_mut(&mut self) -> #iter_mut_anon {
                #iter_mut { #( #field: self.#field.iter_mut(), )* }
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics ::core::fmt::Debug for #columns_mut_a #debug_bound {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#columns_mut))
                #( .field(#field_name, &self.#field) )*
                .finish()
            }
        }

        #[automatically_derived]
        impl #ref_impl_generics #krate::soa::Columns for #columns_mut_a #where_clause {
            #[inline]
            fn len(&self) -> usize {
                self.#first.len()
            }
            #[inline]
            fn split_at(self, mid: usize) -> (Self, Self) {
                <#columns_mut_a>::split_at_mut(self, mid)
            }
        }

    }
}

/// The row iterators: `Clone` for the shared one, and the iterator traits of all three.
fn iterators(cx: &Ctx<'_>) -> TokenStream {
    let Ctx {
        ref_impl_generics,
        iter_a,
        where_clause,
        iter,
        field,
        impl_generics,
        iter_mut,
        into_iter,
        row_ref,
        row_mut,
        row,
        iter_mut_a,
        into_iter_ty,
        row_ref_a,
        row_mut_a,
        row_ty,
        ..
    } = cx;
    let shared = row_iterator_impls(cx, ref_impl_generics, iter_a, iter, row_ref_a, row_ref);
    let mutable = row_iterator_impls(
        cx,
        ref_impl_generics,
        iter_mut_a,
        iter_mut,
        row_mut_a,
        row_mut,
    );
    let owning = row_iterator_impls(cx, impl_generics, into_iter_ty, into_iter, row_ty, row);
    quote! {
        #[automatically_derived]
        impl #ref_impl_generics ::core::clone::Clone for #iter_a #where_clause {
            fn clone(&self) -> Self {
                #iter { #( #field: ::core::clone::Clone::clone(&self.#field), )* }
            }
        }

        #shared
        #mutable
        #owning
    }
}

/// `Iterator`, `DoubleEndedIterator`, `ExactSizeIterator`, `FusedIterator` and `Debug` for
/// one row iterator `ident` (type `self_ty`, generics `impl_generics`): `ctor` builds its
/// `item` from one element of every column iterator.
fn row_iterator_impls(
    cx: &Ctx<'_>,
    impl_generics: &TokenStream,
    self_ty: &TokenStream,
    ident: &Ident,
    item: &TokenStream,
    ctor: &Ident,
) -> TokenStream {
    let Ctx {
        where_clause,
        value,
        field,
        first,
        ..
    } = cx;
    quote! {
        #[automatically_derived]
        impl #impl_generics ::core::iter::Iterator for #self_ty #where_clause {
            type Item = #item;
            #[inline]
            fn next(&mut self) -> ::core::option::Option<Self::Item> {
                #( let #value = self.#field.next()?; )*
                ::core::option::Option::Some(#ctor { #( #field: #value, )* })
            }
            #[inline]
            fn size_hint(&self) -> (usize, ::core::option::Option<usize>) {
                self.#first.size_hint()
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::iter::DoubleEndedIterator for #self_ty #where_clause {
            #[inline]
            fn next_back(&mut self) -> ::core::option::Option<Self::Item> {
                #( let #value = self.#field.next_back()?; )*
                ::core::option::Option::Some(#ctor { #( #field: #value, )* })
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::iter::ExactSizeIterator for #self_ty #where_clause {}

        #[automatically_derived]
        impl #impl_generics ::core::iter::FusedIterator for #self_ty #where_clause {}

        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #self_ty #where_clause {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#ident))
                .field("remaining", &self.#first.len())
                .finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenTree;

    /// True when `tokens` holds the `unsafe` keyword anywhere, groups included.
    fn has_unsafe(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            TokenTree::Ident(i) => i == "unsafe",
            TokenTree::Group(g) => has_unsafe(g.stream()),
            _ => false,
        })
    }

    /// The code generated for one struct, printed readably, is pinned in
    /// `tests/snapshots/soa_particle.expanded`: any change to the output shows in review.
    /// `UPDATE_SNAPSHOTS=1 cargo test -p perfkit-layout-derive` rewrites it.
    #[test]
    fn expansion_snapshot() {
        let input: syn::DeriveInput = syn::parse_quote! {
            /// A particle.
            #[derive(Clone, Debug, PartialEq)]
            pub struct Particle {
                pub x: f32,
                pub vx: f32,
                pub(crate) mass: f64,
                tag: String,
            }
        };
        let file: syn::File =
            syn::parse2(super::expand(&input).expect("expands")).expect("the output parses");
        let printed = prettyplease::unparse(&file);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots/soa_particle.expanded");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &printed).unwrap();
        }
        let pinned = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            pinned == printed,
            "the derive's output changed; review it and run with UPDATE_SNAPSHOTS=1 to accept:\n{}",
            first_difference(&pinned, &printed)
        );
    }

    /// The first line where two texts differ, for the failure message.
    fn first_difference(a: &str, b: &str) -> String {
        for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
            if x != y {
                return format!("line {}:\n  pinned:    {x}\n  generated: {y}", i + 1);
            }
        }
        format!(
            "lengths differ: {} vs {} lines",
            a.lines().count(),
            b.lines().count()
        )
    }

    /// The generated code holds no `unsafe`: its columns are fields the deriving module can
    /// change, and the runtime path can be any path the user names (`#[soa(crate = ..)]`),
    /// so nothing it does may rest on either. The one unchecked write lives in
    /// perfkit-layout, behind a proof of room that only it can make.
    #[test]
    fn generated_code_has_no_unsafe() {
        let inputs: [syn::DeriveInput; 3] = [
            syn::parse_quote! { pub struct P { pub x: f32, y: String } },
            syn::parse_quote! {
                #[soa(crate = "some::other::path")]
                struct G<'a, T: Clone, const N: usize> where T: Default { a: &'a [T; N], b: u8 }
            },
            syn::parse_quote! { struct One { only: u64 } },
        ];
        for input in &inputs {
            let out = super::expand(input).expect("expands");
            assert!(out.to_string().contains("room"), "uses the checked push");
            assert!(
                !has_unsafe(out),
                "no unsafe in the expansion of {}",
                input.ident
            );
        }
        // The check itself sees `unsafe` where there is one.
        assert!(has_unsafe(quote::quote!(
            fn f() {
                { unsafe { g() } }
            }
        )));
    }
}
