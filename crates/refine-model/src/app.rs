//! Target apps: registered Git repositories and their detected shape.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A registered target app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct App {
    pub id: String,
    pub name: String,
    /// Canonical absolute path of the work tree root.
    pub path: String,
    pub default_branch: Option<String>,
    pub shape: AppShape,
    pub created_at: String,
    pub updated_at: String,
    /// Whether this is the active app.
    pub active: bool,
}

/// What Refine detected about an app's code: languages, package managers, likely commands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppShape {
    /// Languages by number of files, most first.
    pub languages: Vec<LanguageCount>,
    pub package_managers: Vec<String>,
    pub commands: SuggestedCommands,
    /// Files looked at by detection (gitignore-aware, bounded).
    pub files_scanned: u32,
    /// True when detection stopped at its file limit.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LanguageCount {
    pub name: String,
    pub files: u32,
}

/// Suggested lifecycle commands, as argv arrays (never shell strings).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuggestedCommands {
    pub build: Option<Vec<String>>,
    pub test: Option<Vec<String>>,
    pub start: Option<Vec<String>>,
}

/// Map a file name to a language, by extension or well-known name.
pub fn language_of(file_name: &str) -> Option<&'static str> {
    let lower = file_name.to_ascii_lowercase();
    if lower == "dockerfile" {
        return Some("Dockerfile");
    }
    if lower == "makefile" {
        return Some("Makefile");
    }
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "rs" => "Rust",
        "ts" | "tsx" | "mts" | "cts" => "TypeScript",
        "js" | "jsx" | "mjs" | "cjs" => "JavaScript",
        "py" | "pyi" => "Python",
        "go" => "Go",
        "java" => "Java",
        "kt" | "kts" => "Kotlin",
        "scala" => "Scala",
        "rb" => "Ruby",
        "php" => "PHP",
        "cs" => "C#",
        "fs" => "F#",
        "c" | "h" => "C",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => "C++",
        "swift" => "Swift",
        "m" | "mm" => "Objective-C",
        "dart" => "Dart",
        "ex" | "exs" => "Elixir",
        "erl" | "hrl" => "Erlang",
        "hs" => "Haskell",
        "ml" | "mli" => "OCaml",
        "clj" | "cljs" | "cljc" => "Clojure",
        "lua" => "Lua",
        "zig" => "Zig",
        "nim" => "Nim",
        "sh" | "bash" | "zsh" => "Shell",
        "sql" => "SQL",
        "html" | "htm" => "HTML",
        "css" | "scss" | "sass" | "less" => "CSS",
        "vue" => "Vue",
        "svelte" => "Svelte",
        _ => return None,
    })
}

/// Package managers recognised by their lock or manifest files: (file, manager).
pub const PACKAGE_MANAGER_FILES: &[(&str, &str)] = &[
    ("Cargo.lock", "cargo"),
    ("Cargo.toml", "cargo"),
    ("package-lock.json", "npm"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("bun.lockb", "bun"),
    ("bun.lock", "bun"),
    ("poetry.lock", "poetry"),
    ("uv.lock", "uv"),
    ("Pipfile.lock", "pipenv"),
    ("requirements.txt", "pip"),
    ("pyproject.toml", "pip"),
    ("go.mod", "go"),
    ("Gemfile.lock", "bundler"),
    ("composer.lock", "composer"),
    ("pom.xml", "maven"),
    ("build.gradle", "gradle"),
    ("build.gradle.kts", "gradle"),
    ("mix.lock", "mix"),
    ("Package.swift", "swiftpm"),
];

/// Suggest build/test/start commands from the package managers found (first match wins).
pub fn suggest_commands(
    managers: &[String],
    has_makefile: bool,
    npm_scripts: &[String],
) -> SuggestedCommands {
    let argv = |parts: &[&str]| Some(parts.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let has = |m: &str| managers.iter().any(|x| x == m);
    let mut c = SuggestedCommands::default();
    let js = ["npm", "pnpm", "yarn", "bun"].into_iter().find(|m| has(m));
    if let Some(pm) = js {
        let script = |name: &str| -> Option<Vec<String>> {
            npm_scripts
                .iter()
                .any(|s| s == name)
                .then(|| vec![pm.to_string(), "run".to_string(), name.to_string()])
        };
        c.build = script("build");
        c.test = script("test");
        c.start = script("dev").or_else(|| script("start"));
    }
    if has("cargo") {
        c.build = c.build.or_else(|| argv(&["cargo", "build"]));
        c.test = c.test.or_else(|| argv(&["cargo", "test"]));
        c.start = c.start.or_else(|| argv(&["cargo", "run"]));
    }
    if has("go") {
        c.build = c.build.or_else(|| argv(&["go", "build", "./..."]));
        c.test = c.test.or_else(|| argv(&["go", "test", "./..."]));
    }
    if has("poetry") || has("uv") || has("pip") || has("pipenv") {
        let runner: &[&str] = if has("uv") {
            &["uv", "run", "pytest"]
        } else if has("poetry") {
            &["poetry", "run", "pytest"]
        } else {
            &["python3", "-m", "pytest"]
        };
        c.test = c.test.or_else(|| argv(runner));
    }
    if has("maven") {
        c.build = c
            .build
            .or_else(|| argv(&["mvn", "-q", "package", "-DskipTests"]));
        c.test = c.test.or_else(|| argv(&["mvn", "-q", "test"]));
    }
    if has("gradle") {
        c.build = c
            .build
            .or_else(|| argv(&["./gradlew", "build", "-x", "test"]));
        c.test = c.test.or_else(|| argv(&["./gradlew", "test"]));
    }
    if has_makefile {
        c.build = c.build.or_else(|| argv(&["make"]));
        c.test = c.test.or_else(|| argv(&["make", "test"]));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_extension() {
        assert_eq!(language_of("main.rs"), Some("Rust"));
        assert_eq!(language_of("App.TSX"), Some("TypeScript"));
        assert_eq!(language_of("Makefile"), Some("Makefile"));
        assert_eq!(language_of("README"), None);
        assert_eq!(language_of("notes.md"), None);
    }

    #[test]
    fn npm_scripts_win_over_make() {
        let c = suggest_commands(
            &["npm".into()],
            true,
            &["build".into(), "test".into(), "dev".into()],
        );
        assert_eq!(c.build.unwrap(), vec!["npm", "run", "build"]);
        assert_eq!(c.start.unwrap(), vec!["npm", "run", "dev"]);
    }

    #[test]
    fn cargo_defaults_and_missing_scripts() {
        let c = suggest_commands(&["npm".into(), "cargo".into()], false, &[]);
        assert_eq!(c.build.unwrap(), vec!["cargo", "build"]);
        assert_eq!(c.test.unwrap(), vec!["cargo", "test"]);
        let none = suggest_commands(&[], false, &[]);
        assert_eq!(none, SuggestedCommands::default());
    }
}
