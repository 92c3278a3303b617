//! Files of an app as the file operations show them. Paths are always relative to the app's
//! root, `/`-separated, without `.` or `..` components (`""` is the root itself).
//! Sizes and offsets are `f64` (exact to 2^53, no BigInt in TypeScript); they are never NaN,
//! so their TypeScript type is given as a plain `number` (`#[specta(type = u32)]`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// What a directory entry is. Symbolic links are reported as links and never followed by walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    /// Sockets, FIFOs, devices.
    Other,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    pub name: String,
    /// Relative to the app root.
    pub path: String,
    pub kind: FileKind,
    /// Bytes (0 for directories).
    #[specta(type = u32)]
    pub size: f64,
    /// Last modification, milliseconds since the Unix epoch.
    pub modified_ms: Option<f64>,
    /// Matched by a `.gitignore` rule (listed only when ignored entries were asked for).
    pub ignored: bool,
}

/// One directory's entries: directories first, then by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DirListing {
    pub path: String,
    pub entries: Vec<FileEntry>,
    /// More entries exist than a listing returns.
    pub truncated: bool,
}

/// A file's content (text) or the fact that it is binary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileContent {
    pub path: String,
    /// Size of the whole file in bytes.
    #[specta(type = u32)]
    pub size: f64,
    pub modified_ms: Option<f64>,
    /// Version of the whole file (SHA-256 of its bytes, hex); send it back when writing.
    pub etag: String,
    /// NUL bytes in the first 8 KiB or invalid UTF-8: no `content` is returned.
    pub binary: bool,
    /// The text (of the requested range, when one was given); `null` for binary files.
    pub content: Option<String>,
    /// First byte of `content` within the file.
    #[specta(type = u32)]
    pub offset: f64,
}

/// A file or directory after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    pub path: String,
    pub kind: FileKind,
    #[specta(type = u32)]
    pub size: f64,
    pub modified_ms: Option<f64>,
    /// Version of a regular file's content (`null` for directories and links).
    pub etag: Option<String>,
}

/// A path found by the fuzzy name search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NameMatch {
    pub path: String,
    pub kind: FileKind,
    /// Higher is better.
    #[specta(type = u32)]
    pub score: f64,
    /// Character indexes within `path` that matched the query (for highlighting).
    pub positions: Vec<u32>,
}

/// Fuzzy name search results, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindResult {
    pub items: Vec<NameMatch>,
    /// The walk stopped at its bound before seeing every file.
    pub truncated: bool,
}

/// One matching line of a content search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrepMatch {
    pub path: String,
    /// 1-based line number.
    pub line: u32,
    /// The line without its terminator (cut at 500 characters).
    pub text: String,
}

/// Content search results in walk order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrepResult {
    pub matches: Vec<GrepMatch>,
    /// More matches exist (the limit was reached) or the walk stopped at its bound.
    pub truncated: bool,
    pub files_searched: u32,
}
