//! Request paths: validated, normalised, always relative to the app root.

use std::path::PathBuf;

use refine_model::ApiError;

/// Longest path accepted, in bytes (Linux `PATH_MAX`).
pub const MAX_PATH: usize = 4096;
/// Longest path component accepted, in bytes (Linux `NAME_MAX`).
pub const MAX_COMPONENT: usize = 255;

/// A path relative to the app root: no `..`, no absolute prefix, no NUL, bounded length.
/// Empty and `.` components are dropped, so `./a//b/` is `a/b`; no components is the root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RelPath {
    parts: Vec<String>,
}

impl RelPath {
    /// Validate a path a client sent. Text is taken literally: `%2e%2e` is a name made of
    /// those six characters, never decoded here (transports decode their own encoding first).
    pub fn parse(raw: &str) -> Result<RelPath, ApiError> {
        if raw.contains('\0') {
            return Err(ApiError::invalid("path must not contain NUL bytes"));
        }
        if raw.len() > MAX_PATH {
            return Err(ApiError::invalid(format!(
                "path is longer than {MAX_PATH} bytes"
            )));
        }
        if raw.starts_with('/') || raw.starts_with('\\') {
            return Err(ApiError::invalid(
                "path must be relative to the app root, not absolute",
            ));
        }
        let mut parts = Vec::new();
        for part in raw.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    return Err(ApiError::invalid(
                        "path must not contain `..`; paths are relative to the app root",
                    ))
                }
                p if p.len() > MAX_COMPONENT => {
                    return Err(ApiError::invalid(format!(
                        "a path component is longer than {MAX_COMPONENT} bytes"
                    )))
                }
                p => parts.push(p.to_string()),
            }
        }
        Ok(RelPath { parts })
    }

    /// Like [`RelPath::parse`], for a path that is about to be created or written: control
    /// characters are refused too (a name holding `\u{1b}[31m` or `\r\n` plays tricks on every
    /// terminal that lists it). Existing files with such names can still be read and deleted.
    pub fn parse_new(raw: &str) -> Result<RelPath, ApiError> {
        if let Some(c) = raw.chars().find(|c| c.is_control()) {
            return Err(ApiError::invalid(format!(
                "file names must not contain control characters (found U+{:04X})",
                c as u32
            )));
        }
        RelPath::parse(raw)
    }

    /// The root itself.
    pub fn root() -> RelPath {
        RelPath::default()
    }

    pub(crate) fn from_parts(parts: Vec<String>) -> RelPath {
        RelPath { parts }
    }

    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// The last component (`None` for the root).
    pub fn name(&self) -> Option<&str> {
        self.parts.last().map(String::as_str)
    }

    /// The containing directory (the root's parent is the root).
    pub fn parent(&self) -> RelPath {
        let mut parts = self.parts.clone();
        parts.pop();
        RelPath { parts }
    }

    pub fn join(&self, name: &str) -> RelPath {
        let mut parts = self.parts.clone();
        parts.push(name.to_string());
        RelPath { parts }
    }

    /// Whether `self` is `other` or inside it.
    pub fn starts_with(&self, other: &RelPath) -> bool {
        self.parts.len() >= other.parts.len() && self.parts[..other.parts.len()] == other.parts[..]
    }

    /// The `/`-joined form used on the wire (`""` for the root).
    pub fn as_string(&self) -> String {
        self.parts.join("/")
    }

    /// A path for `cap_std::fs::Dir` methods (`.` for the root).
    pub fn to_path(&self) -> PathBuf {
        if self.parts.is_empty() {
            PathBuf::from(".")
        } else {
            self.parts.iter().collect()
        }
    }
}

impl std::fmt::Display for RelPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.parts.is_empty() {
            f.write_str("the app root")
        } else {
            f.write_str(&self.parts.join("/"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use refine_model::ErrorCode;

    fn bad(raw: &str) -> String {
        let e = RelPath::parse(raw).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{raw:?}");
        e.message
    }

    #[test]
    fn normalises_harmless_forms() {
        assert_eq!(RelPath::parse("").unwrap(), RelPath::root());
        assert_eq!(RelPath::parse(".").unwrap(), RelPath::root());
        assert_eq!(RelPath::parse("./a//b/").unwrap().as_string(), "a/b");
        assert_eq!(RelPath::parse("a/./b").unwrap().parts(), ["a", "b"]);
        // Literal names, never decoded or interpreted.
        for name in [
            "%2e%2e",
            "...",
            "..a",
            "a..",
            "$(touch pwned)",
            ";touch pwned",
            "~",
            "a\\b",
        ] {
            assert_eq!(RelPath::parse(name).unwrap().parts(), [name]);
        }
    }

    #[test]
    fn rejects_escapes_and_oversized_paths() {
        assert!(bad("..").contains(".."));
        assert!(bad("../x").contains(".."));
        assert!(bad("a/../../x").contains(".."));
        assert!(bad("a/..").contains(".."));
        assert!(bad("/etc/passwd").contains("absolute"));
        assert!(bad("//x").contains("absolute"));
        assert!(bad("\\x").contains("absolute"));
        assert!(bad("a\0b").contains("NUL"));
        assert!(bad(&"a/".repeat(2049)).contains("4096"));
        assert!(bad(&"x".repeat(256)).contains("255"));
        assert!(RelPath::parse(&"x".repeat(255)).is_ok());
        assert!(RelPath::parse(&format!("{}/{}", "x".repeat(255), "y".repeat(255))).is_ok());
    }

    #[test]
    fn prefix_is_by_component() {
        let a = RelPath::parse("src/a").unwrap();
        assert!(a.starts_with(&RelPath::parse("src").unwrap()));
        assert!(a.starts_with(&RelPath::root()));
        assert!(!a.starts_with(&RelPath::parse("sr").unwrap()));
        assert!(!RelPath::parse("srcx")
            .unwrap()
            .starts_with(&RelPath::parse("src").unwrap()));
        assert_eq!(a.parent().as_string(), "src");
        assert_eq!(a.name(), Some("a"));
        assert_eq!(RelPath::root().to_path(), PathBuf::from("."));
    }
}
