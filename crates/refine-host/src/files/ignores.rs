//! `.gitignore` rules along one directory chain, read through the confined root handle.
//!
//! The `ignore` crate's walker works on ambient paths; to keep every read beneath the opened
//! root we read the `.gitignore` files ourselves and use its matcher (`ignore::gitignore`).
//! Each level's patterns are matched against the path relative to that level's directory,
//! deepest level first; the first level with a verdict decides, as in Git.

use std::io::Read;
use std::sync::Arc;

use cap_std::fs::Dir;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

/// Largest `.gitignore` read; larger ones are ignored.
const MAX_IGNORE_FILE: u64 = 1 << 20;

struct Level {
    /// How many components the directory of this `.gitignore` has (0 = the root).
    depth: usize,
    matcher: Gitignore,
}

/// The rules that apply inside one directory.
#[derive(Clone, Default)]
pub(crate) struct Ignores {
    levels: Vec<Arc<Level>>,
}

fn read_small(dir: &Dir, name: &str) -> Option<String> {
    let file = dir.open(name).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_IGNORE_FILE {
        return None;
    }
    let mut s = String::new();
    file.into_std()
        .take(MAX_IGNORE_FILE)
        .read_to_string(&mut s)
        .ok()?;
    Some(s)
}

fn build(texts: &[String]) -> Option<Gitignore> {
    // Root "." means: match candidate paths as given (relative to this level's directory).
    let mut b = GitignoreBuilder::new(".");
    let mut any = false;
    for text in texts {
        for line in text.lines() {
            if b.add_line(None, line).is_ok() {
                any = true;
            }
        }
    }
    if !any {
        return None;
    }
    b.build().ok().filter(|g| !g.is_empty())
}

impl Ignores {
    /// The rules of the root (`.gitignore` and `.git/info/exclude`).
    pub(crate) fn for_root(root: &Dir) -> Ignores {
        let mut texts = Vec::new();
        texts.extend(read_small(root, ".git/info/exclude"));
        texts.extend(read_small(root, ".gitignore"));
        let mut out = Ignores::default();
        if let Some(matcher) = build(&texts) {
            out.levels.push(Arc::new(Level { depth: 0, matcher }));
        }
        out
    }

    /// The rules inside a child directory at `depth` components, given its opened handle.
    pub(crate) fn descend(&self, child: &Dir, depth: usize) -> Ignores {
        let mut out = self.clone();
        if let Some(text) = read_small(child, ".gitignore") {
            if let Some(matcher) = build(&[text]) {
                out.levels.push(Arc::new(Level { depth, matcher }));
            }
        }
        out
    }

    /// The rules inside directory `parts` (relative to the root), reading each level's
    /// `.gitignore` through `root`. Also says whether that directory itself is ignored.
    pub(crate) fn for_dir(root: &Dir, parts: &[String]) -> (Ignores, bool) {
        let mut ig = Ignores::for_root(root);
        let mut ignored = false;
        for depth in 1..=parts.len() {
            if !ignored && ig.is_ignored(&parts[..depth], true) {
                ignored = true;
            }
            let sub: std::path::PathBuf = parts[..depth].iter().collect();
            if let Ok(dir) = root.open_dir(&sub) {
                ig = ig.descend(&dir, depth);
            }
        }
        (ig, ignored)
    }

    /// Whether the entry `name` inside directory `dir` (both relative to the root) is ignored;
    /// the same as [`Ignores::is_ignored`] without building the child's parts.
    pub(crate) fn is_ignored_child(&self, dir: &[String], name: &str, is_dir: bool) -> bool {
        let mut rel = String::new();
        for level in self.levels.iter().rev() {
            if level.depth > dir.len() {
                continue;
            }
            rel.clear();
            for part in &dir[level.depth..] {
                rel.push_str(part);
                rel.push('/');
            }
            rel.push_str(name);
            match level.matcher.matched(&rel, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    /// Whether the path `parts` (relative to the root) is ignored by these rules. Only levels
    /// above the path apply; the caller accounts for ignored ancestors.
    pub(crate) fn is_ignored(&self, parts: &[String], is_dir: bool) -> bool {
        for level in self.levels.iter().rev() {
            if level.depth >= parts.len() {
                continue;
            }
            let rel = parts[level.depth..].join("/");
            match level.matcher.matched(&rel, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Vec<String> {
        s.split('/').map(str::to_string).collect()
    }

    #[test]
    fn nested_rules_and_negation() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(".gitignore"), "target/\n*.log\n/top.txt\n").unwrap();
        std::fs::create_dir_all(t.path().join("a/b")).unwrap();
        std::fs::write(t.path().join("a/.gitignore"), "!keep.log\nlocal\n").unwrap();
        let root = Dir::open_ambient_dir(t.path(), cap_std::ambient_authority()).unwrap();
        let ig = Ignores::for_root(&root);
        assert!(ig.is_ignored(&parts("target"), true));
        assert!(!ig.is_ignored(&parts("target"), false), "dir-only rule");
        assert!(ig.is_ignored(&parts("x.log"), false));
        assert!(ig.is_ignored(&parts("top.txt"), false));
        assert!(
            !ig.is_ignored(&parts("a/top.txt"), false),
            "anchored to the root"
        );
        let (a, a_ignored) = Ignores::for_dir(&root, &parts("a"));
        assert!(!a_ignored);
        assert!(!a.is_ignored(&parts("a/keep.log"), false), "negated below");
        assert!(a.is_ignored(&parts("a/other.log"), false));
        assert!(a.is_ignored(&parts("a/local"), false));
        assert!(
            !ig.is_ignored(&parts("local"), false),
            "a's rules stay in a"
        );
        let (_, t_ignored) = Ignores::for_dir(&root, &parts("target/debug"));
        assert!(t_ignored, "inside an ignored directory");
    }
}
