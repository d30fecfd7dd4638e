//! Finding the path of the runtime crate the generated code calls into.

use proc_macro2::TokenStream;
use quote::quote;

/// The path to the runtime crate: the `crate = "..."` argument of the helper attribute
/// `#[attr(crate = "...")]` if present, else a guess from the calling package's manifest.
pub(crate) fn runtime_path(attrs: &[syn::Attribute], attr: &str) -> syn::Result<TokenStream> {
    for a in attrs {
        if !a.path().is_ident(attr) {
            continue;
        }
        let mut found = None;
        a.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                found = Some(lit.parse::<syn::Path>()?);
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown #[{attr}] argument; the only one is `crate = \"path::to::perfkit_layout\"`"
                )))
            }
        })?;
        if let Some(path) = found {
            return Ok(quote!(#path));
        }
    }
    Ok(guess_from_manifest())
}

/// `::perfkit_layout` when the calling package names `perfkit-layout` as a dependency,
/// `::perfkit::layout` when it names only the `perfkit` facade.
fn guess_from_manifest() -> TokenStream {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(|dir| std::path::Path::new(&dir).join("Cargo.toml"))
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    if depends_on_facade_only(&manifest) {
        quote!(::perfkit::layout)
    } else {
        quote!(::perfkit_layout)
    }
}

/// True when some line declares a dependency on `perfkit` and none on `perfkit-layout`
/// (or the manifest is perfkit-layout's own).
fn depends_on_facade_only(manifest: &str) -> bool {
    let declares = |name: &str| {
        manifest.lines().any(|line| {
            let line = line.trim_start();
            let rest = line
                .strip_prefix(name)
                .or_else(|| line.strip_prefix('[').and_then(|l| find_table_dep(l, name)));
            rest.is_some_and(|r| r.starts_with([' ', '\t', '=', '.', ']']))
        })
    };
    let own_package = manifest.lines().any(|l| {
        let l = l.trim();
        l.starts_with("name") && l.ends_with("\"perfkit-layout\"")
    });
    !own_package && !declares("perfkit-layout") && declares("perfkit")
}

/// For `[dependencies.NAME]`-style headers: the text after `NAME`.
fn find_table_dep<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    let (_, after) = header.split_once("dependencies.")?;
    after.strip_prefix(name)
}

#[cfg(test)]
mod tests {
    use super::depends_on_facade_only;

    #[test]
    fn manifests_that_name_only_the_facade_use_its_path() {
        let facade = "[package]\nname = \"app\"\n\n[dependencies]\nperfkit = \"0.1\"\n";
        assert!(depends_on_facade_only(facade));
        let facade_table = "[dependencies.perfkit]\nversion = \"0.1\"\n";
        assert!(depends_on_facade_only(facade_table));
        let workspace =
            "[dependencies]\nperfkit.workspace = true\nperfkit-testkit.workspace = true\n";
        assert!(depends_on_facade_only(workspace));
        let direct = "[dependencies]\nperfkit = \"0.1\"\nperfkit-layout = \"0.1\"\n";
        assert!(!depends_on_facade_only(direct));
        let direct_table = "[dependencies.perfkit-layout]\nversion = \"0.1\"\nperfkit = \"0.1\"\n";
        assert!(!depends_on_facade_only(direct_table));
        let only_testkit = "[dependencies]\nperfkit-testkit = \"0.1\"\n";
        assert!(!depends_on_facade_only(only_testkit));
        let own = "[package]\nname = \"perfkit-layout\"\n[dev-dependencies]\nperfkit = \"0.1\"\n";
        assert!(!depends_on_facade_only(own));
        assert!(!depends_on_facade_only(""));
    }
}
