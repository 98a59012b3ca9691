//! How long functions are, outside the tests.

use syn::visit::{self, Visit};
use syn::{Block, ImplItem, Item, TraitItem, Type};

use crate::source::{gate_of, impl_item_attrs, item_attrs, parse, trait_item_attrs};
use crate::{Rule, SourceFile, Violation};

/// The most lines a function's body may take, from its opening brace to its closing one.
///
/// Measured when this was written, over the 839 functions outside the tests: half are under 10
/// lines, nine in ten under 45, 99 in 100 under 116. Seven are longer than 120, each a sequence
/// of steps that could be functions of their own; they are in [`LONG_FUNCTIONS`]. Over two
/// screenfuls a function is no longer read as a whole.
pub const FUNCTION_LINE_LIMIT: usize = 120;

/// A function allowed over the limit: its file, its name (qualified by its `impl` type, trait,
/// inline module or enclosing function, as [`FunctionLength::function`]) and its length when
/// it was listed, which it may not exceed.
#[derive(Debug, Clone, Copy)]
pub struct LongFunction {
    /// Path from the workspace root.
    pub file: &'static str,
    /// Qualified name, such as `Store::apply` or `main`.
    pub function: &'static str,
    /// Its length when listed: the function may shrink, never grow.
    pub lines: usize,
    /// Why it is long, and what would make it short.
    pub why: &'static str,
}

/// The functions over [`FUNCTION_LINE_LIMIT`] today. Each must stay at or under its listed
/// length; one that drops to the limit or disappears must leave the list, so it stays true.
pub const LONG_FUNCTIONS: &[LongFunction] = &[
    LongFunction {
        file: "crates/scan/src/pdf_image.rs",
        function: "decode",
        lines: 182,
        why: "one PDF image: size and limits, mask, colour space, then a branch per filter (DCT, Flate, \
              CCITT G4); the branches can be functions",
    },
    LongFunction {
        file: "crates/store-sqlite/src/lib.rs",
        function: "SqliteStore::apply",
        lines: 175,
        why: "a Batch in one transaction: source, tables, area names, copies, findings, log entries, queued \
              pages; each insert loop can take the transaction in a function",
    },
    LongFunction {
        file: "crates/cli/src/export_site.rs",
        function: "site",
        lines: 165,
        why: "one export in order: the profile and its manifest, data and log, small copies, the \
              snapshot, the lookup shards, the pages, the archive, the summary; each phase can be a \
              function taking the mirror",
    },
];

/// One function outside the tests and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionLength {
    /// Path from the workspace root.
    pub file: String,
    /// Name qualified by what encloses it: `Type::method`, `Trait::method`, `module::function`,
    /// `outer::inner`.
    pub function: String,
    /// Line of the body's opening brace.
    pub line: usize,
    /// Lines from the body's opening brace to its closing one, both included.
    pub lines: usize,
}

/// Every function with a body in `files`, outside `#[cfg(test)]` and `#[test]` items and test-only
/// module files; a file that does not parse is a violation.
#[must_use]
pub fn function_lengths(files: &[SourceFile]) -> (Vec<FunctionLength>, Vec<Violation>) {
    let (parsed, violations) = parse(files);
    let mut lengths = Lengths {
        file: String::new(),
        names: Vec::new(),
        found: Vec::new(),
    };
    for file in parsed.iter().filter(|file| !file.gate.test) {
        lengths.file.clone_from(&file.path);
        lengths.visit_file(&file.file);
    }
    (lengths.found, violations)
}

/// Checks `lengths` against `limit` and the allow-list `allowed`.
#[must_use]
pub fn check_function_lengths(
    lengths: &[FunctionLength],
    limit: usize,
    allowed: &[LongFunction],
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let violation = |length: &FunctionLength, message: String| {
        Violation::new(
            Rule::FunctionLength,
            format!("{}:{}", length.file, length.line),
            message,
        )
    };
    for length in lengths {
        let (name, lines) = (&length.function, length.lines);
        let listed = allowed
            .iter()
            .find(|long| long.file == length.file && long.function == *name);
        match listed {
            None if lines > limit => violations.push(violation(
                length,
                format!(
                    "fn `{name}` is {lines} lines, over the limit of {limit}; split it, or list it in \
                     veedor-tidy's LONG_FUNCTIONS with its length and a reason"
                ),
            )),
            Some(_) if lines <= limit => violations.push(violation(
                length,
                format!(
                    "fn `{name}` is {lines} lines, within the limit of {limit}: remove it from LONG_FUNCTIONS"
                ),
            )),
            Some(long) if lines > long.lines => violations.push(violation(
                length,
                format!(
                    "fn `{name}` is {lines} lines, longer than the {} it is listed with in LONG_FUNCTIONS; \
                     shorten it",
                    long.lines
                ),
            )),
            _ => {}
        }
    }
    for long in allowed {
        let present = lengths
            .iter()
            .any(|length| length.file == long.file && length.function == long.function);
        if !present {
            violations.push(Violation::new(
                Rule::FunctionLength,
                long.file,
                format!(
                    "fn `{}` is listed in LONG_FUNCTIONS but no longer exists: remove it",
                    long.function
                ),
            ));
        }
    }
    violations
}

struct Lengths {
    file: String,
    /// What encloses the current item: modules, `impl` types, traits, functions.
    names: Vec<String>,
    found: Vec<FunctionLength>,
}

impl Lengths {
    fn function<'ast>(
        &mut self,
        name: &syn::Ident,
        block: &'ast Block,
        visit_body: impl FnOnce(&mut Self, &'ast Block),
    ) {
        self.names.push(name.to_string());
        let (open, close) = (
            block.brace_token.span.open().start().line,
            block.brace_token.span.close().start().line,
        );
        self.found.push(FunctionLength {
            file: self.file.clone(),
            function: self.names.join("::"),
            line: open,
            lines: close.saturating_sub(open) + 1,
        });
        visit_body(self, block);
        self.names.pop();
    }

    fn within<T: ?Sized>(
        &mut self,
        name: String,
        node: &T,
        visit_node: impl FnOnce(&mut Self, &T),
    ) {
        self.names.push(name);
        visit_node(self, node);
        self.names.pop();
    }
}

impl<'ast> Visit<'ast> for Lengths {
    fn visit_item(&mut self, item: &'ast Item) {
        if !gate_of(item_attrs(item)).test {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        if !gate_of(impl_item_attrs(item)).test {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if !gate_of(trait_item_attrs(item)).test {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.within(item.ident.to_string(), item, |this, item| {
            visit::visit_item_mod(this, item)
        });
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let name = match &*item.self_ty {
            Type::Path(path) => path
                .path
                .segments
                .last()
                .map(|segment| segment.ident.to_string()),
            _ => None,
        };
        self.within(
            name.unwrap_or_else(|| "impl".to_owned()),
            item,
            |this, item| visit::visit_item_impl(this, item),
        );
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.within(item.ident.to_string(), item, |this, item| {
            visit::visit_item_trait(this, item)
        });
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function(&item.sig.ident, &item.block, |this, block| {
            this.visit_block(block)
        });
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.function(&item.sig.ident, &item.block, |this, block| {
            this.visit_block(block)
        });
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(block) = &item.default {
            self.function(&item.sig.ident, block, |this, block| {
                this.visit_block(block)
            });
        }
    }
}
