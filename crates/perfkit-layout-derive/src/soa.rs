//! `#[derive(Soa)]`: a struct-of-arrays container and its companion types.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, GenericParam, Ident, Lifetime, LifetimeParam};

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

#[allow(clippy::too_many_lines)] // One quote! per generated item reads best in one place.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = named_fields(input)?;
    let k = crate::krate::runtime_path(&input.attrs, "soa")?;
    let vec = quote!(#k::__private::Vec);

    let name = &input.ident;
    let vis = &input.vis;
    let soa = format_ident!("{}Soa", name);
    let rf = format_ident!("{}Ref", name);
    let rm = format_ident!("{}RefMut", name);
    let cols = format_ident!("{}Columns", name);
    let colsm = format_ident!("{}ColumnsMut", name);
    let it = format_ident!("{}SoaIter", name);
    let itm = format_ident!("{}SoaIterMut", name);
    let intoit = format_ident!("{}SoaIntoIter", name);

    let f: Vec<&Ident> = fields
        .named
        .iter()
        .map(|f| f.ident.as_ref().expect("named field"))
        .collect();
    let t: Vec<&syn::Type> = fields.named.iter().map(|f| &f.ty).collect();
    let fvis: Vec<&syn::Visibility> = fields.named.iter().map(|f| &f.vis).collect();
    let fv: Vec<Ident> = f.iter().map(|f| format_ident!("__soa_{}", f)).collect();
    let fv_room: Vec<Ident> = f
        .iter()
        .map(|f| format_ident!("__soa_room_{}", f))
        .collect();
    let fname: Vec<String> = f.iter().map(ToString::to_string).collect();
    let f0 = f[0];

    // Generics: the struct's own, and the same with a leading `'__a` for borrowing types.
    let generics = &input.generics;
    let (impl_g, _, _) = generics.split_for_impl();
    let preds: Vec<&syn::WherePredicate> = generics
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
    let mut ref_generics = generics.clone();
    let a = Lifetime::new("'__a", Span::call_site());
    ref_generics
        .params
        .insert(0, GenericParam::Lifetime(LifetimeParam::new(a.clone())));
    let (ref_impl_g, _, _) = ref_generics.split_for_impl();
    let ref_params = &ref_generics.params;
    let params = &generics.params;
    let where_c = quote!(where #(#preds,)*);

    let row_ty = quote!(#name<#(#args),*>);
    let soa_ty = quote!(#soa<#(#args),*>);
    let rf_ty = |lt: &TokenStream| quote!(#rf<#lt, #(#args),*>);
    let rm_ty = |lt: &TokenStream| quote!(#rm<#lt, #(#args),*>);
    let cols_ty = |lt: &TokenStream| quote!(#cols<#lt, #(#args),*>);
    let colsm_ty = |lt: &TokenStream| quote!(#colsm<#lt, #(#args),*>);
    let it_ty = |lt: &TokenStream| quote!(#it<#lt, #(#args),*>);
    let itm_ty = |lt: &TokenStream| quote!(#itm<#lt, #(#args),*>);
    let intoit_ty = quote!(#intoit<#(#args),*>);
    let anon = quote!('_);
    let la = quote!('__a);
    let (rf_a, rf_anon) = (rf_ty(&la), rf_ty(&anon));
    let (rm_a, rm_anon) = (rm_ty(&la), rm_ty(&anon));
    let (cols_a, cols_anon) = (cols_ty(&la), cols_ty(&anon));
    let (colsm_a, colsm_anon) = (colsm_ty(&la), colsm_ty(&anon));
    let (it_a, it_anon) = (it_ty(&la), it_ty(&anon));
    let (itm_a, itm_anon) = (itm_ty(&la), itm_ty(&anon));

    // Bounds that are checked only where the impl is used (the `for<'__x>` keeps a bound on
    // a concrete type, e.g. `String: Copy`, from being rejected as trivially false).
    let bound = |tr: TokenStream| quote!(where #(#preds,)* #(for<'__x> #t: #tr,)*);
    let clone_b = bound(quote!(::core::clone::Clone));
    let debug_b = bound(quote!(::core::fmt::Debug));
    let eq_b = bound(quote!(::core::cmp::PartialEq));

    let doc_soa = format!(
        "A struct-of-arrays container of [`{name}`]: one `Vec` per field, all of the same \
         length. Generated by `#[derive(Soa)]`."
    );
    let doc_rf = format!("Shared references to the fields of one row of a [`{soa}`].");
    let doc_rm = format!("Mutable references to the fields of one row of a [`{soa}`].");
    let doc_cols =
        format!("Every column of a [`{soa}`] as a shared slice (all of the same length).");
    let doc_colsm = format!(
        "Every column of a [`{soa}`] as a mutable slice (all of the same length); each field \
         borrows independently, so different columns can be read and written at once."
    );
    let doc_it = format!("Iterator over the rows of a [`{soa}`] as [`{rf}`]s.");
    let doc_itm = format!("Iterator over the rows of a [`{soa}`] as [`{rm}`]s.");
    let doc_intoit = format!("Owning iterator over the rows of a [`{soa}`] as [`{name}`]s.");
    let doc_field = |what: &str| -> Vec<String> {
        fname
            .iter()
            .map(|n| format!("{what} `{n}` field."))
            .collect()
    };
    let doc_ref_f = doc_field("The");
    let doc_col_f = doc_field("The column of the");

    // Iterator, DoubleEndedIterator, ExactSizeIterator, FusedIterator and Debug for one of
    // the row iterators: `ctor` builds the item from one element of every column iterator.
    let iter_impls = |impl_g: &TokenStream,
                      self_ty: &TokenStream,
                      ident: &Ident,
                      item: &TokenStream,
                      ctor: &Ident| {
        quote! {
            #[automatically_derived]
            impl #impl_g ::core::iter::Iterator for #self_ty #where_c {
                type Item = #item;
                #[inline]
                fn next(&mut self) -> ::core::option::Option<Self::Item> {
                    #( let #fv = self.#f.next()?; )*
                    ::core::option::Option::Some(#ctor { #( #f: #fv, )* })
                }
                #[inline]
                fn size_hint(&self) -> (usize, ::core::option::Option<usize>) {
                    self.#f0.size_hint()
                }
            }

            #[automatically_derived]
            impl #impl_g ::core::iter::DoubleEndedIterator for #self_ty #where_c {
                #[inline]
                fn next_back(&mut self) -> ::core::option::Option<Self::Item> {
                    #( let #fv = self.#f.next_back()?; )*
                    ::core::option::Option::Some(#ctor { #( #f: #fv, )* })
                }
            }

            #[automatically_derived]
            impl #impl_g ::core::iter::ExactSizeIterator for #self_ty #where_c {}

            #[automatically_derived]
            impl #impl_g ::core::iter::FusedIterator for #self_ty #where_c {}

            #[automatically_derived]
            impl #impl_g ::core::fmt::Debug for #self_ty #where_c {
                fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    __soa_f.debug_struct(::core::stringify!(#ident))
                        .field("remaining", &self.#f0.len())
                        .finish()
                }
            }
        }
    };
    let ref_impl_ts = quote!(#ref_impl_g);
    let impl_ts = quote!(#impl_g);
    let it_impls = iter_impls(&ref_impl_ts, &it_a, &it, &rf_a, &rf);
    let itm_impls = iter_impls(&ref_impl_ts, &itm_a, &itm, &rm_a, &rm);
    let intoit_impls = iter_impls(&impl_ts, &intoit_ty, &intoit, &row_ty, name);

    Ok(quote! {
        #[doc = #doc_soa]
        #vis struct #soa<#params> #where_c {
            // Every column has the same length: the methods below keep them equal. Nothing
            // unsafe relies on it (code in the deriving module can reach these fields), so a
            // column changed from outside leads at worst to a panic or a wrong row, never to
            // undefined behaviour.
            #( #f: #vec<#t>, )*
        }

        #[doc = #doc_rf]
        #vis struct #rf<#ref_params> #where_c {
            #( #[doc = #doc_ref_f] #fvis #f: &#a #t, )*
        }

        #[doc = #doc_rm]
        #vis struct #rm<#ref_params> #where_c {
            #( #[doc = #doc_ref_f] #fvis #f: &#a mut #t, )*
        }

        #[doc = #doc_cols]
        #vis struct #cols<#ref_params> #where_c {
            #( #[doc = #doc_col_f] #fvis #f: &#a [#t], )*
        }

        #[doc = #doc_colsm]
        #vis struct #colsm<#ref_params> #where_c {
            #( #[doc = #doc_col_f] #fvis #f: &#a mut [#t], )*
        }

        #[doc = #doc_it]
        #vis struct #it<#ref_params> #where_c {
            #( #f: ::core::slice::Iter<#a, #t>, )*
        }

        #[doc = #doc_itm]
        #vis struct #itm<#ref_params> #where_c {
            #( #f: ::core::slice::IterMut<#a, #t>, )*
        }

        #[doc = #doc_intoit]
        #vis struct #intoit<#params> #where_c {
            #( #f: #k::__private::IntoIter<#t>, )*
        }

        #[automatically_derived]
        impl #impl_g #soa_ty #where_c {
            /// An empty container (allocates nothing).
            #[must_use]
            pub const fn new() -> Self {
                Self { #( #f: #vec::new(), )* }
            }

            /// An empty container with room for `capacity` rows in every column.
            #[must_use]
            pub fn with_capacity(capacity: usize) -> Self {
                Self { #( #f: #vec::with_capacity(capacity), )* }
            }

            /// The number of rows.
            #[must_use]
            #[inline]
            pub fn len(&self) -> usize {
                self.#f0.len()
            }

            /// True when there are no rows.
            #[must_use]
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.#f0.is_empty()
            }

            /// How many rows fit before some column must reallocate.
            #[must_use]
            pub fn capacity(&self) -> usize {
                let mut __soa_cap = usize::MAX;
                #( __soa_cap = __soa_cap.min(self.#f.capacity()); )*
                __soa_cap
            }

            /// Reserves room for at least `additional` more rows in every column.
            pub fn reserve(&mut self, additional: usize) {
                #( self.#f.reserve(additional); )*
            }

            /// Shrinks every column's capacity to its length.
            pub fn shrink_to_fit(&mut self) {
                #( self.#f.shrink_to_fit(); )*
            }

            /// Removes every row.
            pub fn clear(&mut self) {
                #( self.#f.clear(); )*
            }

            /// Keeps the first `len` rows and drops the rest (nothing happens if `len` is
            /// not below the current length).
            pub fn truncate(&mut self, len: usize) {
                #( self.#f.truncate(len); )*
            }

            /// Appends a row.
            ///
            /// One combined check asks every column for room at once; when all have it, each
            /// value goes straight into its column's spare capacity. Otherwise a cold path
            /// grows every column first.
            #[inline]
            pub fn push(&mut self, value: #row_ty) {
                let #name { #( #f: #fv, )* } = value;
                if let ( #( ::core::option::Option::Some(#fv_room), )* ) =
                    ( #( #k::__private::room(&mut self.#f), )* )
                {
                    #( #fv_room.push(#fv); )*
                } else {
                    self.__soa_push_slow(#( #fv, )*);
                }
            }

            /// The slow path of `push`: room for at least one more row in every column
            /// (amortized doubling, as `Vec::push`), then the row.
            #[cold]
            #[inline(never)]
            #[allow(clippy::too_many_arguments)]
            fn __soa_push_slow(&mut self, #( #fv: #t, )*) {
                self.reserve(1);
                #( self.#f.push(#fv); )*
            }

            /// Removes the last row and returns it, or `None` when empty.
            pub fn pop(&mut self) -> ::core::option::Option<#row_ty> {
                if self.is_empty() {
                    return ::core::option::Option::None;
                }
                #( let #fv = self.#f.pop()?; )*
                ::core::option::Option::Some(#name { #( #f: #fv, )* })
            }

            /// References to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get(&self, index: usize) -> ::core::option::Option<#rf_anon> {
                ::core::option::Option::Some(#rf { #( #f: self.#f.get(index)?, )* })
            }

            /// Mutable references to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get_mut(&mut self, index: usize) -> ::core::option::Option<#rm_anon> {
                ::core::option::Option::Some(#rm { #( #f: self.#f.get_mut(index)?, )* })
            }

            /// Swaps rows `a` and `b` in every column.
            ///
            /// # Panics
            /// If `a` or `b` is out of bounds.
            pub fn swap(&mut self, a: usize, b: usize) {
                #( self.#f.swap(a, b); )*
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
                #name { #( #f: self.#f.swap_remove(index), )* }
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
                #name { #( #f: self.#f.remove(index), )* }
            }

            /// Keeps only the rows for which `keep` returns true, in their order. Visits
            /// every row once, in order; allocates nothing.
            pub fn retain<__SoaF>(&mut self, mut keep: __SoaF)
            where
                __SoaF: ::core::ops::FnMut(#rf_anon) -> bool,
            {
                let __soa_len = self.len();
                let mut __soa_w = 0usize;
                for __soa_r in 0..__soa_len {
                    if keep(#rf { #( #f: &self.#f[__soa_r], )* }) {
                        if __soa_w != __soa_r {
                            #( self.#f.swap(__soa_w, __soa_r); )*
                        }
                        __soa_w += 1;
                    }
                }
                #( self.#f.truncate(__soa_w); )*
            }

            /// Sorts the rows (stable) by the key `key` extracts, moving every column.
            pub fn sort_by_key<__SoaK, __SoaF>(&mut self, mut key: __SoaF)
            where
                __SoaK: ::core::cmp::Ord,
                __SoaF: ::core::ops::FnMut(#rf_anon) -> __SoaK,
            {
                let mut __soa_perm: #vec<usize> = (0..self.len()).collect();
                {
                    let __soa_cols = self.columns();
                    __soa_perm.sort_by_key(|&__soa_i| key(#rf { #( #f: &__soa_cols.#f[__soa_i], )* }));
                }
                #k::__private::apply_permutation(&mut __soa_perm, |__soa_x, __soa_y| {
                    #( self.#f.swap(__soa_x, __soa_y); )*
                });
            }

            /// Sorts the rows (stable) with the comparator `compare`, moving every column.
            pub fn sort_by<__SoaF>(&mut self, mut compare: __SoaF)
            where
                __SoaF: ::core::ops::FnMut(#rf_anon, #rf_anon) -> ::core::cmp::Ordering,
            {
                let mut __soa_perm: #vec<usize> = (0..self.len()).collect();
                {
                    let __soa_cols = self.columns();
                    __soa_perm.sort_by(|&__soa_i, &__soa_j| {
                        compare(
                            #rf { #( #f: &__soa_cols.#f[__soa_i], )* },
                            #rf { #( #f: &__soa_cols.#f[__soa_j], )* },
                        )
                    });
                }
                #k::__private::apply_permutation(&mut __soa_perm, |__soa_x, __soa_y| {
                    #( self.#f.swap(__soa_x, __soa_y); )*
                });
            }

            /// Iterates over the rows as references.
            #[inline]
            pub fn iter(&self) -> #it_anon {
                #it { #( #f: self.#f.iter(), )* }
            }

            /// Iterates over the rows as mutable references.
            #[inline]
            pub fn iter_mut(&mut self) -> #itm_anon {
                #itm { #( #f: self.#f.iter_mut(), )* }
            }

            /// Every column as a shared slice.
            #[must_use]
            #[inline]
            pub fn columns(&self) -> #cols_anon {
                #cols { #( #f: &self.#f, )* }
            }

            /// Every column as a mutable slice; the fields borrow independently.
            #[must_use]
            #[inline]
            pub fn columns_mut(&mut self) -> #colsm_anon {
                #colsm { #( #f: &mut self.#f, )* }
            }

            /// The rows in runs of exactly `chunk_size` (as column slices), for loops that
            /// process a fixed number of lanes at a time; the rows left over are the
            /// iterator's `remainder()`.
            ///
            /// # Panics
            /// If `chunk_size` is 0.
            #[inline]
            pub fn chunks_exact(&self, chunk_size: usize) -> #k::soa::ChunksExact<#cols_anon> {
                #k::soa::ChunksExact::new(self.columns(), chunk_size)
            }

            /// [`Self::chunks_exact`] with mutable column slices.
            ///
            /// # Panics
            /// If `chunk_size` is 0.
            #[inline]
            pub fn chunks_exact_mut(&mut self, chunk_size: usize) -> #k::soa::ChunksExact<#colsm_anon> {
                #k::soa::ChunksExact::new(self.columns_mut(), chunk_size)
            }
        }

        #[automatically_derived]
        impl #impl_g ::core::default::Default for #soa_ty #where_c {
            fn default() -> Self {
                Self::new()
            }
        }

        #[automatically_derived]
        impl #impl_g ::core::clone::Clone for #soa_ty #clone_b {
            fn clone(&self) -> Self {
                Self { #( #f: ::core::clone::Clone::clone(&self.#f), )* }
            }
        }

        #[automatically_derived]
        impl #impl_g ::core::fmt::Debug for #soa_ty #debug_b {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#soa))
                    #( .field(#fname, &self.#f) )*
                    .finish()
            }
        }

        #[automatically_derived]
        impl #impl_g ::core::cmp::PartialEq for #soa_ty #eq_b {
            fn eq(&self, __soa_other: &Self) -> bool {
                true #( && self.#f == __soa_other.#f )*
            }
        }

        #[automatically_derived]
        impl #impl_g ::core::iter::Extend<#row_ty> for #soa_ty #where_c {
            fn extend<__SoaI: ::core::iter::IntoIterator<Item = #row_ty>>(&mut self, iter: __SoaI) {
                let __soa_iter = iter.into_iter();
                self.reserve(__soa_iter.size_hint().0);
                for __soa_v in __soa_iter {
                    self.push(__soa_v);
                }
            }
        }

        #[automatically_derived]
        impl #impl_g ::core::iter::FromIterator<#row_ty> for #soa_ty #where_c {
            fn from_iter<__SoaI: ::core::iter::IntoIterator<Item = #row_ty>>(iter: __SoaI) -> Self {
                let mut __soa_out = Self::new();
                ::core::iter::Extend::extend(&mut __soa_out, iter);
                __soa_out
            }
        }

        #[automatically_derived]
        impl #impl_g ::core::iter::IntoIterator for #soa_ty #where_c {
            type Item = #row_ty;
            type IntoIter = #intoit_ty;
            fn into_iter(self) -> Self::IntoIter {
                #intoit { #( #f: ::core::iter::IntoIterator::into_iter(self.#f), )* }
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::iter::IntoIterator for &#a #soa_ty #where_c {
            type Item = #rf_a;
            type IntoIter = #it_a;
            fn into_iter(self) -> Self::IntoIter {
                self.iter()
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::iter::IntoIterator for &#a mut #soa_ty #where_c {
            type Item = #rm_a;
            type IntoIter = #itm_a;
            fn into_iter(self) -> Self::IntoIter {
                self.iter_mut()
            }
        }

        // ---- row references ----

        #[automatically_derived]
        impl #ref_impl_g #rf_a #where_c {
            /// Clones the referenced fields into an owned row.
            #[must_use]
            pub fn to_owned_row(&self) -> #row_ty #clone_b {
                #name { #( #f: ::core::clone::Clone::clone(self.#f), )* }
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::clone::Clone for #rf_a #where_c {
            fn clone(&self) -> Self {
                *self
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::marker::Copy for #rf_a #where_c {}

        #[automatically_derived]
        impl #ref_impl_g ::core::fmt::Debug for #rf_a #debug_b {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#rf))
                    #( .field(#fname, self.#f) )*
                    .finish()
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::cmp::PartialEq for #rf_a #eq_b {
            fn eq(&self, __soa_other: &Self) -> bool {
                true #( && *self.#f == *__soa_other.#f )*
            }
        }

        #[automatically_derived]
        impl #ref_impl_g #rm_a #where_c {
            /// Clones the referenced fields into an owned row.
            #[must_use]
            pub fn to_owned_row(&self) -> #row_ty #clone_b {
                #name { #( #f: ::core::clone::Clone::clone(&*self.#f), )* }
            }

            /// Overwrites every field of the row with `value`'s.
            pub fn set(&mut self, value: #row_ty) {
                let #name { #( #f: #fv, )* } = value;
                #( *self.#f = #fv; )*
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::fmt::Debug for #rm_a #debug_b {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#rm))
                    #( .field(#fname, &*self.#f) )*
                    .finish()
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::cmp::PartialEq for #rm_a #eq_b {
            fn eq(&self, __soa_other: &Self) -> bool {
                true #( && *self.#f == *__soa_other.#f )*
            }
        }

        // ---- columns ----

        #[automatically_derived]
        impl #ref_impl_g #cols_a #where_c {
            /// The number of rows.
            #[must_use]
            #[inline]
            pub fn len(&self) -> usize {
                self.#f0.len()
            }

            /// True when there are no rows.
            #[must_use]
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.#f0.is_empty()
            }

            /// References to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get(&self, index: usize) -> ::core::option::Option<#rf_a> {
                ::core::option::Option::Some(#rf { #( #f: self.#f.get(index)?, )* })
            }

            /// Splits every column at `mid`: rows `..mid` and rows `mid..`.
            ///
            /// # Panics
            /// If `mid > len`.
            #[must_use]
            pub fn split_at(self, mid: usize) -> (Self, Self) {
                #( let #fv = self.#f.split_at(mid); )*
                (#cols { #( #f: #fv.0, )* }, #cols { #( #f: #fv.1, )* })
            }

            /// Iterates over the rows as references.
            #[inline]
            pub fn iter(&self) -> #it_a {
                #it { #( #f: self.#f.iter(), )* }
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::clone::Clone for #cols_a #where_c {
            fn clone(&self) -> Self {
                *self
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::marker::Copy for #cols_a #where_c {}

        #[automatically_derived]
        impl #ref_impl_g ::core::fmt::Debug for #cols_a #debug_b {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#cols))
                    #( .field(#fname, &self.#f) )*
                    .finish()
            }
        }

        #[automatically_derived]
        impl #ref_impl_g #k::soa::Columns for #cols_a #where_c {
            #[inline]
            fn len(&self) -> usize {
                self.#f0.len()
            }
            #[inline]
            fn split_at(self, mid: usize) -> (Self, Self) {
                <#cols_a>::split_at(self, mid)
            }
        }

        #[automatically_derived]
        impl #ref_impl_g #colsm_a #where_c {
            /// The number of rows.
            #[must_use]
            #[inline]
            pub fn len(&self) -> usize {
                self.#f0.len()
            }

            /// True when there are no rows.
            #[must_use]
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.#f0.is_empty()
            }

            /// References to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get(&self, index: usize) -> ::core::option::Option<#rf_anon> {
                ::core::option::Option::Some(#rf { #( #f: self.#f.get(index)?, )* })
            }

            /// Mutable references to the fields of row `index`, or `None` if out of bounds.
            #[must_use]
            #[inline]
            pub fn get_mut(&mut self, index: usize) -> ::core::option::Option<#rm_anon> {
                ::core::option::Option::Some(#rm { #( #f: self.#f.get_mut(index)?, )* })
            }

            /// Splits every column at `mid`: rows `..mid` and rows `mid..`.
            ///
            /// # Panics
            /// If `mid > len`.
            #[must_use]
            pub fn split_at_mut(self, mid: usize) -> (Self, Self) {
                #( let #fv = self.#f.split_at_mut(mid); )*
                (#colsm { #( #f: #fv.0, )* }, #colsm { #( #f: #fv.1, )* })
            }

            /// Reborrows as shared columns.
            #[must_use]
            #[inline]
            pub fn as_columns(&self) -> #cols_anon {
                #cols { #( #f: &*self.#f, )* }
            }

            /// Iterates over the rows as mutable references.
            #[inline]
            pub fn iter_mut(&mut self) -> #itm_anon {
                #itm { #( #f: self.#f.iter_mut(), )* }
            }
        }

        #[automatically_derived]
        impl #ref_impl_g ::core::fmt::Debug for #colsm_a #debug_b {
            fn fmt(&self, __soa_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __soa_f.debug_struct(::core::stringify!(#colsm))
                    #( .field(#fname, &self.#f) )*
                    .finish()
            }
        }

        #[automatically_derived]
        impl #ref_impl_g #k::soa::Columns for #colsm_a #where_c {
            #[inline]
            fn len(&self) -> usize {
                self.#f0.len()
            }
            #[inline]
            fn split_at(self, mid: usize) -> (Self, Self) {
                <#colsm_a>::split_at_mut(self, mid)
            }
        }

        // ---- iterators ----

        #[automatically_derived]
        impl #ref_impl_g ::core::clone::Clone for #it_a #where_c {
            fn clone(&self) -> Self {
                #it { #( #f: ::core::clone::Clone::clone(&self.#f), )* }
            }
        }

        #it_impls
        #itm_impls
        #intoit_impls
    })
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
