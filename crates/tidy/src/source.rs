//! Reading Rust sources: which code is test-only or behind a feature, and what paths it names.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{Attribute, ImplItem, Item, Meta, TraitItem, UseTree};

use crate::{Rule, SourceFile, Violation};

/// The `cfg` conditions code sits behind: test-only, or some features.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Gate {
    /// Compiled only for tests (`#[cfg(test)]`, `#[test]`, a module declared under those).
    pub test: bool,
    /// Compiled only with these features (`#[cfg(feature = "..")]`).
    pub features: BTreeSet<String>,
}

impl Gate {
    fn merge(&self, other: &Gate) -> Gate {
        Gate {
            test: self.test || other.test,
            features: self.features.union(&other.features).cloned().collect(),
        }
    }

    /// Code `skip` leaves out: tests, and the features given.
    pub fn skipped(&self, exempt_feature: Option<&str>) -> bool {
        self.test || exempt_feature.is_some_and(|feature| self.features.contains(feature))
    }
}

/// The gate that `attrs` put an item behind.
pub(crate) fn gate_of(attrs: &[Attribute]) -> Gate {
    let mut gate = Gate::default();
    for attr in attrs {
        let path = attr.path();
        if path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "test")
        {
            gate.test = true;
        }
        if let Meta::List(list) = &attr.meta
            && path.is_ident("cfg")
        {
            cfg_predicate(
                &list.tokens.clone().into_iter().collect::<Vec<_>>(),
                &mut gate,
            );
        }
    }
    gate
}

/// Reads one `cfg` predicate: `test`, `feature = ".."`, or `all(..)` of those. `not` and `any`
/// gate nothing for certain, so they are left alone.
fn cfg_predicate(tokens: &[TokenTree], gate: &mut Gate) {
    match tokens {
        [TokenTree::Ident(ident)] if ident == "test" => gate.test = true,
        [
            TokenTree::Ident(ident),
            TokenTree::Punct(eq),
            TokenTree::Literal(value),
        ] if ident == "feature" && eq.as_char() == '=' => {
            gate.features
                .insert(value.to_string().trim_matches('"').to_owned());
        }
        [TokenTree::Ident(ident), TokenTree::Group(group)]
            if ident == "all" && group.delimiter() == Delimiter::Parenthesis =>
        {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            for predicate in inner
                .split(|token| matches!(token, TokenTree::Punct(punct) if punct.as_char() == ','))
            {
                cfg_predicate(predicate, gate);
            }
        }
        _ => {}
    }
}

/// The attributes of any item.
pub(crate) fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(item) => &item.attrs,
        Item::Enum(item) => &item.attrs,
        Item::ExternCrate(item) => &item.attrs,
        Item::Fn(item) => &item.attrs,
        Item::ForeignMod(item) => &item.attrs,
        Item::Impl(item) => &item.attrs,
        Item::Macro(item) => &item.attrs,
        Item::Mod(item) => &item.attrs,
        Item::Static(item) => &item.attrs,
        Item::Struct(item) => &item.attrs,
        Item::Trait(item) => &item.attrs,
        Item::TraitAlias(item) => &item.attrs,
        Item::Type(item) => &item.attrs,
        Item::Union(item) => &item.attrs,
        Item::Use(item) => &item.attrs,
        _ => &[],
    }
}

/// The attributes of an item in an `impl` block.
pub(crate) fn impl_item_attrs(item: &ImplItem) -> &[Attribute] {
    match item {
        ImplItem::Const(item) => &item.attrs,
        ImplItem::Fn(item) => &item.attrs,
        ImplItem::Type(item) => &item.attrs,
        ImplItem::Macro(item) => &item.attrs,
        _ => &[],
    }
}

/// The attributes of an item in a trait.
pub(crate) fn trait_item_attrs(item: &TraitItem) -> &[Attribute] {
    match item {
        TraitItem::Const(item) => &item.attrs,
        TraitItem::Fn(item) => &item.attrs,
        TraitItem::Type(item) => &item.attrs,
        TraitItem::Macro(item) => &item.attrs,
        _ => &[],
    }
}

/// A parsed source file and the gate of the module it is (`#[cfg(test)] mod helpers;` makes
/// `helpers.rs` test-only).
pub(crate) struct Parsed {
    pub path: String,
    pub file: syn::File,
    pub gate: Gate,
}

/// Parses `files`; a file that does not parse is a violation.
pub(crate) fn parse(files: &[SourceFile]) -> (Vec<Parsed>, Vec<Violation>) {
    let mut parsed = Vec::new();
    let mut violations = Vec::new();
    for file in files {
        match syn::parse_file(&file.text) {
            Ok(syntax) => {
                let gate = gate_of(&syntax.attrs);
                parsed.push(Parsed {
                    path: file.path.clone(),
                    file: syntax,
                    gate,
                });
            }
            Err(error) => {
                let start = error.span().start();
                violations.push(Violation::new(
                    Rule::Unreadable,
                    format!("{}:{}", file.path, start.line),
                    format!("does not parse: {error}"),
                ));
            }
        }
    }
    // A module file inherits the gate of its declaration, and that of the file declaring it.
    let declarations: Vec<(usize, String, Gate)> = parsed
        .iter()
        .enumerate()
        .flat_map(|(index, file)| {
            let mut found = Vec::new();
            declared_modules(
                &module_dir(&file.path),
                &file.file.items,
                &Gate::default(),
                &mut found,
            );
            found
                .into_iter()
                .map(move |(path, gate)| (index, path, gate))
        })
        .collect();
    let index_of: BTreeMap<String, usize> = parsed
        .iter()
        .enumerate()
        .map(|(index, file)| (file.path.clone(), index))
        .collect();
    // Depth of nesting bounds the rounds; the bound only guards against a cycle of #[path]s.
    for _ in 0..parsed.len() {
        let mut changed = false;
        for (parent, child_path, gate) in &declarations {
            let Some(&child) = index_of.get(child_path) else {
                continue;
            };
            let gate = parsed[*parent].gate.merge(gate).merge(&parsed[child].gate);
            if gate != parsed[child].gate {
                parsed[child].gate = gate;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    (parsed, violations)
}

/// The folder in which the modules a file declares live: `src/` for `src/lib.rs`, `main.rs`
/// and `mod.rs`, `src/foo/` for `src/foo.rs`.
fn module_dir(path: &str) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    if matches!(name, "lib.rs" | "main.rs" | "mod.rs") || dir.ends_with("/src/bin") {
        format!("{dir}/")
    } else {
        format!(
            "{}/",
            name.strip_suffix(".rs")
                .map_or(path.to_owned(), |stem| format!("{dir}/{stem}"))
        )
    }
}

/// Every `mod name;` in `items` (inside inline modules too), as the file it names (`name.rs`;
/// also `name/mod.rs`) and the gate of its declaration.
fn declared_modules(dir: &str, items: &[Item], gate: &Gate, found: &mut Vec<(String, Gate)>) {
    for item in items {
        let Item::Mod(module) = item else { continue };
        let gate = gate.merge(&gate_of(&module.attrs));
        let name = module.ident.to_string();
        match &module.content {
            Some((_, items)) => declared_modules(&format!("{dir}{name}/"), items, &gate, found),
            None => {
                found.push((format!("{dir}{name}.rs"), gate.clone()));
                found.push((format!("{dir}{name}/mod.rs"), gate));
            }
        }
    }
}

/// A path named in code, as its segments, and the line it starts on.
#[derive(Debug)]
pub(crate) struct Mention {
    pub segments: Vec<String>,
    pub line: usize,
}

impl Mention {
    pub fn text(&self) -> String {
        self.segments.join("::")
    }

    /// Whether `pattern` occurs in the path, segment by segment.
    pub fn contains(&self, pattern: &[&str]) -> bool {
        self.segments
            .windows(pattern.len())
            .any(|window| window.iter().zip(pattern).all(|(a, b)| a == b))
    }
}

/// Every path the code of `file` names outside tests (and outside `exempt_feature`): in
/// expressions, types, patterns, attributes, `use` trees (flattened) and macro bodies.
pub(crate) fn mentions(file: &syn::File, exempt_feature: Option<&str>) -> Vec<Mention> {
    let mut collector = Mentions {
        exempt_feature,
        found: Vec::new(),
    };
    collector.visit_file(file);
    collector.found
}

struct Mentions<'a> {
    exempt_feature: Option<&'a str>,
    found: Vec<Mention>,
}

impl Mentions<'_> {
    fn skipped(&self, attrs: &[Attribute]) -> bool {
        gate_of(attrs).skipped(self.exempt_feature)
    }

    fn use_tree(&mut self, prefix: &[String], line: Option<usize>, tree: &UseTree) {
        let extend = |ident: &proc_macro2::Ident| {
            let mut segments = prefix.to_vec();
            if ident != "self" {
                segments.push(ident.to_string());
            }
            (segments, line.unwrap_or(ident.span().start().line))
        };
        match tree {
            UseTree::Path(path) => {
                let (segments, line) = extend(&path.ident);
                self.use_tree(&segments, Some(line), &path.tree);
            }
            UseTree::Name(name) => {
                let (segments, line) = extend(&name.ident);
                self.found.push(Mention { segments, line });
            }
            UseTree::Rename(rename) => {
                let (segments, line) = extend(&rename.ident);
                self.found.push(Mention { segments, line });
            }
            UseTree::Glob(_) => {
                if let Some(line) = line {
                    self.found.push(Mention {
                        segments: prefix.to_vec(),
                        line,
                    });
                }
            }
            UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, line, tree);
                }
            }
        }
    }

    /// Paths in a macro's tokens: `a::b::c` sequences, in every group.
    fn tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut index = 0;
        while let Some(token) = tokens.get(index) {
            index += 1;
            match token {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) => {
                    let mut segments = vec![ident.to_string()];
                    while let (
                        Some(TokenTree::Punct(first)),
                        Some(TokenTree::Punct(second)),
                        Some(TokenTree::Ident(next)),
                    ) = (
                        tokens.get(index),
                        tokens.get(index + 1),
                        tokens.get(index + 2),
                    ) && first.as_char() == ':'
                        && first.spacing() == Spacing::Joint
                        && second.as_char() == ':'
                    {
                        segments.push(next.to_string());
                        index += 3;
                    }
                    self.found.push(Mention {
                        segments,
                        line: ident.span().start().line,
                    });
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Mentions<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !self.skipped(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        if !self.skipped(impl_item_attrs(item)) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if !self.skipped(trait_item_attrs(item)) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&[], None, &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if let Some(first) = path.segments.first() {
            let segments = path
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect();
            self.found.push(Mention {
                segments,
                line: first.ident.span().start().line,
            });
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit::visit_macro(self, mac);
        self.tokens(mac.tokens.clone());
    }
}
