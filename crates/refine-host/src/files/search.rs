//! Walks over a root (gitignore-aware, never following links, bounded), fuzzy name search and
//! regex content search with ripgrep's crates (`grep-regex`, `grep-searcher`).

use cap_std::fs::Dir;
use grep_regex::RegexMatcherBuilder;
use grep_searcher::sinks::Lossy;
use grep_searcher::{BinaryDetection, SearcherBuilder};
use refine_model::files::{FileKind, FindResult, GrepMatch, GrepResult, NameMatch};
use refine_model::ApiError;

use super::{kind_of, Ignores, RelPath, Root, GIT_DIR, TEMP_PREFIX};

/// Most entries one walk visits before it stops (and says so).
pub const WALK_LIMIT: usize = 200_000;
/// Deepest directory level a walk enters.
const MAX_DEPTH: usize = 64;
/// Files larger than this are not searched for content.
const GREP_FILE_LIMIT: u64 = 16 * 1024 * 1024;
/// Longest line text returned by grep, in characters.
const LINE_TEXT_LIMIT: usize = 500;
/// Longest query or pattern accepted, in bytes.
const QUERY_LIMIT: usize = 1000;

/// What a walk hands its visitor.
pub(crate) struct Visit<'a> {
    /// The directory containing the entry, and its wire form (`""` for the root).
    pub dir: &'a RelPath,
    pub dir_str: &'a str,
    pub name: &'a str,
    pub kind: FileKind,
    /// The opened directory containing the entry (open it by `name` relative to this).
    pub parent: &'a Dir,
}

impl Visit<'_> {
    /// The entry's `/`-joined path relative to the root.
    pub fn path_string(&self) -> String {
        if self.dir_str.is_empty() {
            self.name.to_string()
        } else {
            let mut s = String::with_capacity(self.dir_str.len() + 1 + self.name.len());
            s.push_str(self.dir_str);
            s.push('/');
            s.push_str(self.name);
            s
        }
    }

    /// The entry's path relative to the root.
    pub fn rel(&self) -> RelPath {
        self.dir.join(self.name)
    }
}

/// Options of the fuzzy name search.
#[derive(Debug, Clone)]
pub struct FindOptions {
    pub limit: usize,
    pub show_ignored: bool,
}

/// Options of the content search.
#[derive(Debug, Clone)]
pub struct GrepOptions {
    pub case_insensitive: bool,
    /// Treat the pattern as literal text.
    pub fixed_strings: bool,
    pub limit: usize,
    pub show_ignored: bool,
}

/// The files of a root as one list, so repeated name searches need not walk the disk again
/// (the daemon keeps one per watched app and drops it when the watcher reports a change).
#[derive(Debug, Clone, Default)]
pub struct FileIndex {
    entries: Vec<(String, FileKind)>,
    /// False when the walk stopped at [`WALK_LIMIT`].
    complete: bool,
}

fn parse_query(query: &str) -> Result<Vec<char>, ApiError> {
    if query.len() > QUERY_LIMIT {
        return Err(ApiError::invalid(format!(
            "query is longer than {QUERY_LIMIT} bytes"
        )));
    }
    let q: Vec<char> = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if q.is_empty() {
        return Err(ApiError::invalid("query must not be empty"));
    }
    Ok(q)
}

impl FileIndex {
    /// About how much memory it takes.
    pub fn approx_bytes(&self) -> usize {
        self.entries
            .iter()
            .map(|(p, _)| p.len() + std::mem::size_of::<(String, FileKind)>())
            .sum()
    }

    pub(crate) fn from_entries(entries: Vec<(String, FileKind)>, complete: bool) -> FileIndex {
        FileIndex { entries, complete }
    }

    /// Follow changed paths (relative to the root at `abs`), looking at what is on disk now: a
    /// file or link that exists is listed, a path that is gone goes with everything below it.
    /// A directory is skipped when `dirs_reported` (the watcher reports the files inside a new
    /// directory itself); otherwise, and when a `.gitignore` changed, this returns false and the
    /// index must be built afresh.
    pub fn apply(&mut self, abs: &std::path::Path, paths: &[String], dirs_reported: bool) -> bool {
        use std::collections::HashSet;
        let mut gone: Vec<&str> = Vec::new();
        let mut present: Vec<(&str, FileKind)> = Vec::new();
        for p in paths {
            if p.is_empty() || p.rsplit('/').next() == Some(".gitignore") {
                return false;
            }
            match std::fs::symlink_metadata(abs.join(p)) {
                Ok(m) if m.is_dir() => {
                    if !dirs_reported {
                        return false;
                    }
                }
                Ok(m) => present.push((
                    p,
                    if m.file_type().is_symlink() {
                        FileKind::Symlink
                    } else if m.is_file() {
                        FileKind::File
                    } else {
                        FileKind::Other
                    },
                )),
                Err(_) => gone.push(p),
            }
        }
        if !gone.is_empty() {
            // An entry goes when it, or any directory above it, is gone.
            let gone: HashSet<&str> = gone.into_iter().collect();
            self.entries.retain(|(e, _)| {
                !gone.contains(e.as_str())
                    && !e.match_indices('/').any(|(i, _)| gone.contains(&e[..i]))
            });
        }
        if !present.is_empty() {
            let known: HashSet<&str> = self.entries.iter().map(|(e, _)| e.as_str()).collect();
            let add: Vec<(String, FileKind)> = present
                .into_iter()
                .filter(|(p, _)| !known.contains(p))
                .map(|(p, k)| (p.to_string(), k))
                .collect();
            self.entries.extend(add);
        }
        true
    }

    /// How many files the index holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Fuzzy name search over the indexed paths (see [`Root::find`]).
    pub fn find(&self, query: &str, limit: usize) -> Result<FindResult, ApiError> {
        self.find_parsed(&parse_query(query)?, limit)
    }

    fn find_parsed(&self, q: &[char], limit: usize) -> Result<FindResult, ApiError> {
        let mut items: Vec<NameMatch> = Vec::new();
        for (path, kind) in &self.entries {
            if !maybe_subsequence(q, path) {
                continue;
            }
            if let Some((score, positions)) = fuzzy_score(q, path) {
                items.push(NameMatch {
                    path: path.clone(),
                    kind: *kind,
                    score,
                    positions,
                });
            }
        }
        items.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.path.len().cmp(&b.path.len()))
                .then_with(|| a.path.cmp(&b.path))
        });
        items.truncate(limit);
        Ok(FindResult {
            items,
            truncated: !self.complete,
        })
    }
}

impl Root {
    /// Depth-first walk below `start` in name order; `visit` returns false to stop. Returns
    /// false when the walk stopped early (by the visitor or at [`WALK_LIMIT`]).
    pub(crate) fn walk(
        &self,
        start: &RelPath,
        show_ignored: bool,
        visit: &mut dyn FnMut(&Visit) -> bool,
    ) -> Result<bool, ApiError> {
        let dir = self.open_dir(start)?;
        let (ignores, ignored) = Ignores::for_dir(&self.dir, start.parts());
        if ignored && !show_ignored {
            return Ok(true);
        }
        let mut seen = 0usize;
        self.walk_dir(&dir, start, &ignores, show_ignored, &mut seen, visit)
    }

    fn walk_dir(
        &self,
        dir: &Dir,
        rel: &RelPath,
        ignores: &Ignores,
        show_ignored: bool,
        seen: &mut usize,
        visit: &mut dyn FnMut(&Visit) -> bool,
    ) -> Result<bool, ApiError> {
        if rel.parts().len() >= MAX_DEPTH {
            return Ok(true);
        }
        let mut entries: Vec<(String, FileKind)> = Vec::new();
        let Ok(read) = dir.entries() else {
            return Ok(true); // unreadable directories are skipped, as git does
        };
        for entry in read.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name == GIT_DIR || name.starts_with(TEMP_PREFIX) {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            entries.push((name, kind_of(ft)));
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let dir_str = rel.as_string();
        for (name, kind) in entries {
            *seen += 1;
            if *seen > WALK_LIMIT {
                return Ok(false);
            }
            if self.is_data_child(rel, &name) {
                continue;
            }
            if !show_ignored && ignores.is_ignored_child(rel.parts(), &name, kind == FileKind::Dir)
            {
                continue;
            }
            let v = Visit {
                dir: rel,
                dir_str: &dir_str,
                name: &name,
                kind,
                parent: dir,
            };
            if kind == FileKind::Dir {
                // Opened beneath this directory: a swap to a link cannot lead outside it.
                let Ok(child) = dir.open_dir(&name) else {
                    continue;
                };
                match child.dir_metadata() {
                    Ok(m) if !self.is_data_dir(&m) => {}
                    _ => continue,
                }
                if !visit(&v) {
                    return Ok(false);
                }
                let path = rel.join(&name);
                let child_ignores = ignores.descend(&child, path.parts().len());
                if !self.walk_dir(&child, &path, &child_ignores, show_ignored, seen, visit)? {
                    return Ok(false);
                }
            } else if !visit(&v) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Every file (and link) below the root, in walk order: what fuzzy name search scores.
    pub fn index_files(&self, show_ignored: bool) -> Result<FileIndex, ApiError> {
        let mut entries = Vec::new();
        let complete = self.walk(&RelPath::root(), show_ignored, &mut |v| {
            if v.kind != FileKind::Dir {
                entries.push((v.path_string(), v.kind));
            }
            true
        })?;
        Ok(FileIndex { entries, complete })
    }

    /// Fuzzy name search: files (and links) whose path contains the query's characters in
    /// order, best first.
    pub fn find(&self, query: &str, opts: &FindOptions) -> Result<FindResult, ApiError> {
        let q = parse_query(query)?;
        self.index_files(opts.show_ignored)?
            .find_parsed(&q, opts.limit)
    }

    /// Regex content search below `start`: matching lines with numbers, in walk order.
    /// Binary files (a NUL byte) are skipped. An invalid pattern is a 400.
    pub fn grep(
        &self,
        pattern: &str,
        start: &RelPath,
        opts: &GrepOptions,
    ) -> Result<GrepResult, ApiError> {
        if pattern.is_empty() {
            return Err(ApiError::invalid("pattern must not be empty"));
        }
        if pattern.len() > QUERY_LIMIT {
            return Err(ApiError::invalid(format!(
                "pattern is longer than {QUERY_LIMIT} bytes"
            )));
        }
        let matcher = RegexMatcherBuilder::new()
            .case_insensitive(opts.case_insensitive)
            .fixed_strings(opts.fixed_strings)
            .line_terminator(Some(b'\n'))
            .size_limit(8 * 1024 * 1024)
            .dfa_size_limit(8 * 1024 * 1024)
            .nest_limit(100)
            .build(pattern)
            .map_err(|e| ApiError::invalid(format!("invalid regular expression: {e}")))?;
        let mut searcher = SearcherBuilder::new()
            .binary_detection(BinaryDetection::quit(0))
            .line_number(true)
            .build();
        let mut matches: Vec<GrepMatch> = Vec::new();
        let mut files_searched = 0u32;
        let mut full = false;
        let complete = self.walk(start, opts.show_ignored, &mut |v| {
            if v.kind != FileKind::File {
                return true;
            }
            let Ok(file) = v.parent.open(v.name) else {
                return true;
            };
            if file
                .metadata()
                .map(|m| m.len() > GREP_FILE_LIMIT)
                .unwrap_or(true)
            {
                return true;
            }
            files_searched += 1;
            let path = v.path_string();
            let file = file.into_std();
            let _ = searcher.search_file(
                &matcher,
                &file,
                Lossy(|line, text| {
                    if matches.len() >= opts.limit {
                        full = true;
                        return Ok(false);
                    }
                    let text = text.trim_end_matches(['\n', '\r']);
                    matches.push(GrepMatch {
                        path: path.clone(),
                        line: line.min(u32::MAX as u64) as u32,
                        text: text.chars().take(LINE_TEXT_LIMIT).collect(),
                    });
                    Ok(true)
                }),
            );
            !full
        })?;
        Ok(GrepResult {
            matches,
            truncated: full || !complete,
            files_searched,
        })
    }
}

/// A cheap pre-check before [`fuzzy_score`]: could the lower-cased query characters appear in
/// order in `path`? ASCII is compared byte-wise; anything else is left to the full check.
fn maybe_subsequence(q: &[char], path: &str) -> bool {
    let mut qi = q.iter().peekable();
    for b in path.bytes() {
        let Some(&&c) = qi.peek() else { return true };
        if !c.is_ascii() || !b.is_ascii() {
            return true;
        }
        if b.to_ascii_lowercase() as char == c {
            qi.next();
        }
    }
    qi.peek().is_none()
}

fn is_boundary(prev: Option<char>, c: char) -> bool {
    match prev {
        None => true,
        Some(p) => {
            matches!(p, '/' | '_' | '-' | '.' | ' ') || (p.is_lowercase() && c.is_uppercase())
        }
    }
}

/// Score `path` against the lower-cased query characters: `None` unless every query character
/// appears in order. Matches at word starts, consecutive runs and matches in the file name score
/// higher; gaps and long paths score lower. Returns the score and matched character indexes.
pub fn fuzzy_score(q: &[char], path: &str) -> Option<(f64, Vec<u32>)> {
    let chars: Vec<char> = path.chars().collect();
    let base_start = chars
        .iter()
        .rposition(|c| *c == '/')
        .map(|i| i + 1)
        .unwrap_or(0);
    // Two candidate alignments: the whole query inside the file name, or anywhere.
    let mut best: Option<(f64, Vec<u32>)> = None;
    for from in [base_start, 0] {
        if let Some(pos) = align(q, &chars, from) {
            let s = score(&chars, &pos, base_start);
            if best.as_ref().is_none_or(|(b, _)| s > *b) {
                best = Some((s, pos.iter().map(|p| *p as u32).collect()));
            }
        }
    }
    best
}

/// Greedy alignment from `from`, preferring word starts for each query character.
fn align(q: &[char], chars: &[char], from: usize) -> Option<Vec<usize>> {
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut pos = Vec::with_capacity(q.len());
    let mut i = from;
    for (k, qc) in q.iter().enumerate() {
        let next = (i..lower.len()).find(|&j| lower[j] == *qc)?;
        // A later word start for this character is better, if the rest still fits after it.
        let mut pick = next;
        if pos.last().is_none_or(|&p: &usize| p + 1 != next) {
            if let Some(ws) = (next..lower.len()).find(|&j| {
                lower[j] == *qc && is_boundary(j.checked_sub(1).map(|p| chars[p]), chars[j])
            }) {
                if is_subsequence(&q[k + 1..], &lower[ws + 1..]) {
                    pick = ws;
                }
            }
        }
        pos.push(pick);
        i = pick + 1;
    }
    Some(pos)
}

fn is_subsequence(q: &[char], s: &[char]) -> bool {
    let mut it = s.iter();
    q.iter().all(|c| it.any(|x| x == c))
}

fn score(chars: &[char], pos: &[usize], base_start: usize) -> f64 {
    let mut s = 0.0;
    let mut prev: Option<usize> = None;
    for &p in pos {
        s += 10.0;
        if is_boundary(p.checked_sub(1).map(|i| chars[i]), chars[p]) {
            s += 8.0;
        }
        if p >= base_start {
            s += 4.0;
        }
        match prev {
            Some(q) if q + 1 == p => s += 6.0,
            Some(q) => s -= ((p - q - 1) as f64).min(10.0) * 0.5,
            None => s -= (p.saturating_sub(base_start.min(p)) as f64).min(10.0) * 0.2,
        }
        prev = Some(p);
    }
    s - chars.len() as f64 * 0.05
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn subsequence_required_and_positions_reported() {
        assert!(fuzzy_score(&q("xyz"), "src/main.rs").is_none());
        let (_, pos) = fuzzy_score(&q("mrs"), "src/main.rs").unwrap();
        let chars: Vec<char> = "src/main.rs".chars().collect();
        let picked: String = pos.iter().map(|p| chars[*p as usize]).collect();
        assert_eq!(picked.to_lowercase(), "mrs");
    }

    #[test]
    fn file_names_and_word_starts_rank_first() {
        fn rank<'a>(query: &str, paths: &[&'a str]) -> Vec<&'a str> {
            let mut v: Vec<(f64, &'a str)> = paths
                .iter()
                .filter_map(|p| fuzzy_score(&q(query), p).map(|(s, _)| (s, *p)))
                .collect();
            v.sort_by(|a, b| b.0.total_cmp(&a.0));
            v.into_iter().map(|(_, p)| p).collect()
        }
        assert_eq!(
            rank("main", &["docs/maintenance/notes.md", "src/main.rs"])[0],
            "src/main.rs"
        );
        assert_eq!(
            rank("fb", &["src/fooBar.ts", "src/afxb.ts"])[0],
            "src/fooBar.ts"
        );
        assert_eq!(
            rank("conf", &["src/icon/frame.rs", "src/config.rs"])[0],
            "src/config.rs"
        );
    }
}
