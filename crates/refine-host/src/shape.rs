//! Detect an app's shape: languages by files, package managers by lock files, likely commands.

use std::collections::HashMap;
use std::path::Path;

use refine_model::app::{language_of, suggest_commands, PACKAGE_MANAGER_FILES};
use refine_model::{AppShape, LanguageCount};

/// Files looked at before detection stops (keeps huge monorepos fast).
pub const FILE_LIMIT: u32 = 20_000;

/// Walk `root` (gitignore-aware, hidden files skipped) and detect its shape. `progress` is called
/// with the number of files seen so far every 500 files; returning `false` stops the walk.
pub fn detect(root: &Path, mut progress: impl FnMut(u32) -> bool) -> AppShape {
    let mut counts: HashMap<&'static str, u32> = HashMap::new();
    let mut managers: Vec<String> = Vec::new();
    let mut scanned = 0u32;
    let mut truncated = false;
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .follow_links(false)
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        scanned += 1;
        if scanned > FILE_LIMIT {
            truncated = true;
            scanned = FILE_LIMIT;
            break;
        }
        if scanned.is_multiple_of(500) && !progress(scanned) {
            truncated = true;
            break;
        }
        let name = entry.file_name().to_string_lossy();
        if let Some(lang) = language_of(&name) {
            *counts.entry(lang).or_default() += 1;
        }
        // Package managers count at the root and one level down (monorepo packages).
        if entry.depth() <= 2 {
            if let Some((_, m)) = PACKAGE_MANAGER_FILES.iter().find(|(f, _)| *f == name) {
                if !managers.iter().any(|x| x == m) {
                    managers.push(m.to_string());
                }
            }
        }
    }
    let mut languages: Vec<LanguageCount> = counts
        .into_iter()
        .map(|(name, files)| LanguageCount {
            name: name.to_string(),
            files,
        })
        .collect();
    languages.sort_by(|a, b| b.files.cmp(&a.files).then(a.name.cmp(&b.name)));
    let commands = suggest_commands(
        &managers,
        root.join("Makefile").is_file(),
        &npm_scripts(root),
    );
    AppShape {
        languages,
        package_managers: managers,
        commands,
        files_scanned: scanned,
        truncated,
    }
}

fn npm_scripts(root: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(root.join("package.json")) else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    json.get("scripts")
        .and_then(|s| s.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_languages_managers_and_scripts() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::create_dir_all(p.join("src")).unwrap();
        std::fs::create_dir_all(p.join("node_modules/x")).unwrap();
        std::fs::write(p.join(".gitignore"), "node_modules\n").unwrap();
        std::fs::write(p.join("src/a.ts"), "").unwrap();
        std::fs::write(p.join("src/b.ts"), "").unwrap();
        std::fs::write(p.join("src/c.py"), "").unwrap();
        std::fs::write(p.join("node_modules/x/i.js"), "").unwrap();
        std::fs::write(p.join("package-lock.json"), "{}").unwrap();
        std::fs::write(
            p.join("package.json"),
            r#"{"scripts":{"test":"vitest","build":"vite build"}}"#,
        )
        .unwrap();
        let shape = detect(p, |_| true);
        assert_eq!(shape.languages[0].name, "TypeScript");
        assert_eq!(shape.languages[0].files, 2);
        assert!(
            !shape.languages.iter().any(|l| l.name == "JavaScript"),
            "gitignored files must not count"
        );
        assert_eq!(shape.package_managers, vec!["npm".to_string()]);
        assert_eq!(shape.commands.test.unwrap(), vec!["npm", "run", "test"]);
        assert!(shape.commands.start.is_none());
        assert!(!shape.truncated);
    }
}
