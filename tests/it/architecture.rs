//! The module graph, read from the `use` lines and paths of `src/` (ARCHITECTURE.md): no file
//! imports a file that imports it back (directly or round a circle), and no layer reaches up:
//! `study`, `data` ← `kernels` ← `model` ← `train` ← `engine` ← `app`; the CLI on top.
//!
//! `cargo test --release --test it architecture -- --nocapture` prints the graph's counts;
//! `VAE_LAB_SRC=<dir>` reads another checkout's `src/` (to see an older graph: it then lists its
//! circles and upward arrows instead of passing).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first; a file may use its own layer and those below.
const LAYERS: [(&str, usize); 8] =
    [("study", 0), ("data", 0), ("kernels", 1), ("model", 2), ("train", 3), ("engine", 4), ("app", 5), ("cli", 6)];

/// One source file: its module path from the library's root (`["model", "encoder"]`).
struct File {
    path: String,
    module: Vec<String>,
    text: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src/ readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The library's files with their module paths; the binary's own (`main.rs`, `cli.rs`,
/// `cli/`) under a `cli` root, and `bin/` left out (each is two lines over `app` or `engine`).
fn files(src: &Path) -> Vec<File> {
    let mut paths = Vec::new();
    rust_files(src, &mut paths);
    let mut out = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
        if rel.starts_with("bin/") || rel == "lib.rs" {
            continue;
        }
        let stem = rel.trim_end_matches(".rs");
        let mut module: Vec<String> = stem.split('/').map(String::from).collect();
        if module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        if module == ["main"] {
            module = vec!["cli".into(), "main".into()];
        }
        let text = std::fs::read_to_string(&path).expect("source readable");
        out.push(File { path: rel, module, text });
    }
    out
}

/// The text without comments and string literals (their contents become spaces), so that a
/// path in a doc comment or a message is not read as an import.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(text.len(), |n| i + n + 2);
            i = end;
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|c| *c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            let end = rest[body..].find(&close).map_or(text.len(), |n| i + body + n + close.len());
            out.push(' ');
            i = end;
        } else if rest.starts_with('"') {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            out.push(' ');
            i = j + 1;
        } else if rest.starts_with("'\"'") || rest.starts_with("'{'") || rest.starts_with("'}'") {
            out.push(' ');
            i += 3;
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Splits off the inline modules (`mod tests { … }`): each is read with its own module path, so
/// that its `super::` is the file's module.
fn inline_modules(code: &str, module: &[String], out: &mut Vec<(Vec<String>, String)>) {
    let mut outer = String::new();
    let mut rest = code;
    loop {
        let Some(at) = find_inline_mod(rest) else {
            outer.push_str(rest);
            break;
        };
        let (name, open) = at;
        outer.push_str(&rest[..open.0]);
        let body_start = open.1 + 1;
        let mut depth = 1;
        let mut end = body_start;
        for (k, c) in rest[body_start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = body_start + k;
                break;
            }
        }
        let mut inner = module.to_vec();
        inner.push(name);
        inline_modules(&rest[body_start..end], &inner, out);
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push((module.to_vec(), outer));
}

/// The next `mod name {`: its name and the span from `mod` to the brace.
fn find_inline_mod(code: &str) -> Option<(String, (usize, usize))> {
    let mut from = 0;
    while let Some(k) = code[from..].find("mod ") {
        let start = from + k;
        let before_ok = start == 0 || !code.as_bytes()[start - 1].is_ascii_alphanumeric() && code.as_bytes()[start - 1] != b'_';
        let after = &code[start + 4..];
        let name: String = after.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let skipped = after.len() - after.trim_start().len();
        let tail = after[skipped + name.len()..].trim_start();
        if before_ok && !name.is_empty() && tail.starts_with('{') {
            let brace = start + 4 + skipped + name.len() + (after[skipped + name.len()..].len() - tail.len());
            return Some((name, (start, brace)));
        }
        from = start + 4;
    }
    None
}

/// Expands a `use` tree (`a::{b, c::{d, e as f}}`) into its paths.
fn expand(tree: &str) -> Vec<Vec<String>> {
    fn segments(text: &str) -> Vec<String> {
        text.split("::").map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    }
    fn go(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let mut base = prefix.to_vec();
            base.extend(segments(&tree[..open]));
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&base, &inner[start..k], out);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            go(&base, &inner[start..], out);
        } else if !tree.is_empty() {
            // `path as name`: the path.
            let path = tree.split_whitespace().next().unwrap_or(tree);
            let mut full = prefix.to_vec();
            full.extend(segments(path));
            out.push(full);
        }
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

/// Every path a piece of code names from the crate: `use` trees, and paths written in place
/// (`crate::engine::web::now_ms()`), as written (not yet resolved).
fn named_paths(code: &str) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut rest = code.to_string();
    // `use` (and `pub use`) statements.
    let mut without_uses = String::new();
    while let Some(k) = find_word(&rest, "use") {
        without_uses.push_str(&rest[..k]);
        let end = rest[k..].find(';').map_or(rest.len(), |n| k + n);
        let public = rest[..k].trim_end().ends_with("pub") || rest[..k].trim_end().ends_with(')');
        for path in expand(&rest[k + 3..end]) {
            out.push((path, public));
        }
        rest = rest[(end + 1).min(rest.len())..].to_string();
    }
    without_uses.push_str(&rest);
    // Paths in place.
    for root in ["crate", "super", "vae_lab"] {
        let mut from = 0;
        while let Some(k) = find_word(&without_uses[from..], root) {
            let start = from + k;
            let path: String = without_uses[start..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            if path.contains("::") {
                out.push((path.split("::").filter(|s| !s.is_empty()).map(String::from).collect(), false));
            }
            from = start + root.len();
        }
    }
    out
}

/// The byte offset of `word` standing alone.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(k) = text[from..].find(word) {
        let at = from + k;
        let before = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':');
        let after = bytes.get(at + word.len()).is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
        if before && after {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The module graph: file → the files it uses.
struct Graph {
    files: Vec<File>,
    edges: BTreeMap<usize, BTreeSet<usize>>,
}

impl Graph {
    fn read(src: &Path) -> Graph {
        let files = files(src);
        let index: BTreeMap<Vec<String>, usize> = files.iter().enumerate().map(|(i, f)| (f.module.clone(), i)).collect();
        // Each file's pieces (itself and its inline modules) with their module paths.
        let pieces: Vec<Vec<(Vec<String>, String)>> = files
            .iter()
            .map(|f| {
                let mut out = Vec::new();
                inline_modules(&code_only(&f.text), &f.module, &mut out);
                out
            })
            .collect();
        // Absolute paths, from the crate root, of what each piece names.
        let absolute = |module: &[String], is_cli: bool, path: &[String]| -> Option<Vec<String>> {
            let first = path.first()?;
            let mut out: Vec<String> = match first.as_str() {
                "crate" if is_cli => vec!["cli".into()],
                "crate" => Vec::new(),
                "vae_lab" => Vec::new(),
                "super" => {
                    let mut m = module.to_vec();
                    let mut rest = path;
                    while rest.first().is_some_and(|s| s == "super") {
                        m.pop();
                        rest = &rest[1..];
                    }
                    m.extend(rest.iter().cloned());
                    return Some(m);
                }
                "self" => module.to_vec(),
                // A child module named without `self::` (`mod figure; use figure::Figure;`).
                name => {
                    let mut child = module.to_vec();
                    child.push(name.to_string());
                    if index.contains_key(&child) {
                        let mut m = module.to_vec();
                        m.extend(path.iter().cloned());
                        return Some(m);
                    }
                    return None;
                }
            };
            out.extend(path[1..].iter().cloned());
            Some(out)
        };
        // What each `mod.rs` re-exports: name → the path it stands for.
        let mut reexports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            let is_cli = f.module.first().is_some_and(|m| m == "cli");
            for (module, code) in &pieces[i] {
                for (path, public) in named_paths(code) {
                    if public && let Some(target) = absolute(module, is_cli, &path) && let Some(name) = target.last() {
                        reexports.entry(module.clone()).or_default().insert(name.clone(), target);
                    }
                }
            }
        }
        let resolve = |mut path: Vec<String>| -> Option<usize> {
            for _ in 0..8 {
                let (len, file) = (1..=path.len()).rev().find_map(|n| index.get(&path[..n]).map(|f| (n, *f)))?;
                // A name a module re-exports stands for the file that defines it.
                if let Some(name) = path.get(len)
                    && let Some(target) = reexports.get(&path[..len]).and_then(|r| r.get(name))
                    && target != &path[..=len]
                {
                    let mut next = target.clone();
                    next.extend(path[len + 1..].iter().cloned());
                    path = next;
                    continue;
                }
                return Some(file);
            }
            None
        };
        let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            let is_cli = f.module.first().is_some_and(|m| m == "cli");
            for (module, code) in &pieces[i] {
                for (path, _) in named_paths(code) {
                    if let Some(target) = absolute(module, is_cli, &path).and_then(resolve)
                        && target != i
                    {
                        edges.entry(i).or_default().insert(target);
                    }
                }
            }
        }
        Graph { files, edges }
    }

    fn layer(&self, file: usize) -> Option<usize> {
        let root = self.files[file].module.first()?;
        LAYERS.iter().find(|(name, _)| name == root).map(|(_, layer)| *layer)
    }

    /// Arrows from a lower layer to a higher one (or between the two bottom layers).
    fn upward(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (from, tos) in &self.edges {
            for to in tos {
                let (a, b) = (self.layer(*from), self.layer(*to));
                let across_bottom = a == Some(0) && b == Some(0) && self.files[*from].module[0] != self.files[*to].module[0];
                if a.is_none() || b.is_none() || b > a || across_bottom {
                    out.push(format!("{} -> {}", self.files[*from].path, self.files[*to].path));
                }
            }
        }
        out
    }

    /// The circles: strongly connected sets of more than one file (Tarjan).
    fn circles(&self) -> Vec<Vec<String>> {
        struct State<'a> {
            graph: &'a Graph,
            next: usize,
            index: Vec<Option<usize>>,
            low: Vec<usize>,
            stack: Vec<usize>,
            on_stack: Vec<bool>,
            out: Vec<Vec<String>>,
        }
        fn visit(s: &mut State, v: usize) {
            s.index[v] = Some(s.next);
            s.low[v] = s.next;
            s.next += 1;
            s.stack.push(v);
            s.on_stack[v] = true;
            let targets: Vec<usize> = s.graph.edges.get(&v).map(|t| t.iter().copied().collect()).unwrap_or_default();
            for w in targets {
                match s.index[w] {
                    None => {
                        visit(s, w);
                        s.low[v] = s.low[v].min(s.low[w]);
                    }
                    Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                    _ => {}
                }
            }
            if Some(s.low[v]) == s.index[v] {
                let mut set = Vec::new();
                while let Some(w) = s.stack.pop() {
                    s.on_stack[w] = false;
                    set.push(s.graph.files[w].path.clone());
                    if w == v {
                        break;
                    }
                }
                if set.len() > 1 {
                    set.sort();
                    s.out.push(set);
                }
            }
        }
        let n = self.files.len();
        let mut s = State { graph: self, next: 0, index: vec![None; n], low: vec![0; n], stack: Vec::new(), on_stack: vec![false; n], out: Vec::new() };
        for v in 0..n {
            if s.index[v].is_none() {
                visit(&mut s, v);
            }
        }
        s.out
    }
}

fn source_dir() -> PathBuf {
    std::env::var_os("VAE_LAB_SRC").map_or_else(|| crate::common::root().join("src"), PathBuf::from)
}

#[test]
fn no_import_circles_and_no_arrow_up() {
    let graph = Graph::read(&source_dir());
    let edges: usize = graph.edges.values().map(BTreeSet::len).sum();
    let circles = graph.circles();
    let upward = graph.upward();
    eprintln!("module graph: {} files, {edges} arrows, {} circles, {} upward arrows", graph.files.len(), circles.len(), upward.len());
    for circle in &circles {
        eprintln!("circle: {}", circle.join(", "));
    }
    for arrow in &upward {
        eprintln!("upward: {arrow}");
    }
    assert!(graph.files.len() > 50 && edges > 100, "the graph was not read ({} files, {edges} arrows)", graph.files.len());
    assert!(circles.is_empty(), "import circles: {circles:?}");
    assert!(upward.is_empty(), "arrows that reach up a layer: {upward:?}");
}

#[test]
fn the_reader_sees_circles_and_upward_arrows() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, text).expect("written");
    };
    write("model/mod.rs", "pub mod a;\npub mod b;\npub use a::Thing;\n");
    // A circle through a re-export, an upward arrow written in place, and neither in comments,
    // strings or a test's `use super::*`.
    write("model/a.rs", "use crate::model::b::{Other, more::{X}};\npub struct Thing;\nfn f() { crate::app::go(); }\n");
    write("model/b.rs", "use super::Thing;\n// use crate::app::x;\nconst S: &str = \"crate::train::y\";\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n");
    write("app/mod.rs", "pub fn go() {}\n");
    write("study/mod.rs", "pub struct V;\n");
    let graph = Graph::read(dir.path());
    assert_eq!(graph.circles(), vec![vec!["model/a.rs".to_string(), "model/b.rs".to_string()]]);
    assert_eq!(graph.upward(), vec!["model/a.rs -> app/mod.rs".to_string()]);
}
