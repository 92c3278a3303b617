//! `refine files`: list, print, write, create, rename, delete, fuzzy-find and grep the files of
//! the active app (or `--app`).

use clap::Subcommand;
use refine_api::ops::files;
use refine_core::files::{
    CreateInput, DeleteInput, FindInput, GrepInput, ReadInput, RenameInput, TreeInput, WriteInput,
};
use refine_model::files::{DirListing, FileInfo, FileKind, FindResult, GrepResult};

use super::apps::app_opt;
use super::{read_text, Commands, Run};
use crate::render::{wire, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum FilesCmd {
    /// List one directory (default: the app root), directories first.
    Ls {
        path: Option<String>,
        /// Also list entries ignored by .gitignore.
        #[arg(long, short)]
        all: bool,
        /// An app (name or id); default: the active app.
        #[arg(long)]
        app: Option<String>,
    },
    /// Print a file's text.
    Cat {
        path: String,
        #[arg(long)]
        app: Option<String>,
    },
    /// Replace an existing file's text with standard input (or `--file F`).
    Write {
        path: String,
        /// Where the new text comes from (`-` = standard input).
        #[arg(long, default_value = "-")]
        file: String,
        /// The etag you read (`refine files cat --json`): refused (exit 5) if the file changed
        /// since. Without it the file is overwritten.
        #[arg(long)]
        etag: Option<String>,
        #[arg(long)]
        app: Option<String>,
    },
    /// Create a file (empty, or with the text of `--file F|-`) or, with --dir, a directory.
    Create {
        path: String,
        #[arg(long)]
        dir: bool,
        #[arg(long, conflicts_with = "dir")]
        file: Option<String>,
        #[arg(long)]
        app: Option<String>,
    },
    /// Rename or move a file or directory inside the app.
    #[command(alias = "mv")]
    Rename {
        from: String,
        to: String,
        #[arg(long)]
        app: Option<String>,
    },
    /// Delete a file, a link or an empty directory (--recursive: a directory and all in it).
    #[command(alias = "rm", alias = "remove")]
    Delete {
        path: String,
        #[arg(long, short)]
        recursive: bool,
        #[arg(long)]
        app: Option<String>,
    },
    /// Fuzzy search over file paths.
    Find {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        app: Option<String>,
    },
    /// Regex search over file contents.
    Grep {
        pattern: String,
        /// Only below this directory.
        path: Option<String>,
        /// Case-insensitive.
        #[arg(long, short)]
        ignore_case: bool,
        /// The pattern is literal text.
        #[arg(long, short = 'F')]
        fixed_strings: bool,
        #[arg(long, default_value_t = 200)]
        limit: u32,
        #[arg(long)]
        app: Option<String>,
    },
}

pub const COMMANDS: Commands = &[
    ("ls", &[files::TREE.name]),
    ("cat", &[files::READ.name]),
    ("write", &[files::WRITE.name]),
    ("create", &[files::CREATE.name]),
    ("rename", &[files::RENAME.name]),
    ("delete", &[files::DELETE.name]),
    ("find", &[files::FIND.name]),
    ("grep", &[files::GREP.name]),
];

pub async fn run(r: &Run<'_>, cmd: &FilesCmd) -> Result {
    let c = r.c;
    match cmd {
        FilesCmd::Ls { path, all, app } => {
            let input = TreeInput {
                app_id: app_opt(c, app).await?,
                path: path.clone(),
                show_ignored: Some(*all),
            };
            r.out.show(&c.run(files::TREE, &input).await?)
        }
        FilesCmd::Cat { path, app } => {
            let input = ReadInput {
                app_id: app_opt(c, app).await?,
                path: path.clone(),
                offset: None,
                length: None,
            };
            let file = c.run(files::READ, &input).await?;
            if r.out.is_json() {
                r.out.json(&file)
            } else if file.binary {
                r.out.done(&file, |f| {
                    format!("{path} is a binary file ({} bytes)", f.size as u64)
                })
            } else {
                // The text byte for byte into a pipe (escaped on a terminal).
                crate::out::content(file.content.as_deref().unwrap_or_default());
                Ok(())
            }
        }
        FilesCmd::Write {
            path,
            file,
            etag,
            app,
        } => {
            let input = WriteInput {
                app_id: app_opt(c, app).await?,
                path: path.clone(),
                content: read_text(file)?,
                etag: etag.clone(),
            };
            let info = c.run(files::WRITE, &input).await?;
            r.out.done(&info, |f| {
                format!("Wrote {} ({} bytes)", f.path, f.size as u64)
            })
        }
        FilesCmd::Create {
            path,
            dir,
            file,
            app,
        } => {
            let input = CreateInput {
                app_id: app_opt(c, app).await?,
                path: path.clone(),
                kind: Some(if *dir { FileKind::Dir } else { FileKind::File }),
                content: file.as_deref().map(read_text).transpose()?,
            };
            let info = c.run(files::CREATE, &input).await?;
            r.out.done(&info, |f| format!("Created {}", entry(f)))
        }
        FilesCmd::Rename { from, to, app } => {
            let input = RenameInput {
                app_id: app_opt(c, app).await?,
                from: from.clone(),
                to: to.clone(),
            };
            let info = c.run(files::RENAME, &input).await?;
            r.out
                .done(&info, |f| format!("Renamed {from} to {}", entry(f)))
        }
        FilesCmd::Delete {
            path,
            recursive,
            app,
        } => {
            let input = DeleteInput {
                app_id: app_opt(c, app).await?,
                path: path.clone(),
                recursive: Some(*recursive),
            };
            let gone = c.run(files::DELETE, &input).await?;
            r.out
                .done(&gone, |g| format!("Deleted {} {}", wire(&g.kind), g.path))
        }
        FilesCmd::Find { query, limit, app } => {
            let input = FindInput {
                app_id: app_opt(c, app).await?,
                query: query.clone(),
                limit: Some(*limit),
                show_ignored: None,
            };
            let found = c.run(files::FIND, &input).await?;
            r.out.show(&found)?;
            if found.truncated && !r.out.is_json() {
                eprintln!("(more paths match; raise --limit)");
            }
            Ok(())
        }
        FilesCmd::Grep {
            pattern,
            path,
            ignore_case,
            fixed_strings,
            limit,
            app,
        } => {
            let input = GrepInput {
                app_id: app_opt(c, app).await?,
                pattern: pattern.clone(),
                path: path.clone(),
                case_insensitive: Some(*ignore_case),
                fixed_strings: Some(*fixed_strings),
                limit: Some(*limit),
                show_ignored: None,
            };
            let found = c.run(files::GREP, &input).await?;
            r.out.show(&found)?;
            if found.truncated && !r.out.is_json() {
                eprintln!("(more matches; raise --limit)");
            }
            Ok(())
        }
    }
}

/// `dir src/lib` or `file src/a.ts`.
fn entry(f: &FileInfo) -> String {
    format!("{} {}", wire(&f.kind), f.path)
}

/// `files ls`: kind, size and name; `/` marks directories, `@` links.
impl Render for DirListing {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .entries
            .iter()
            .map(|e| {
                let mut name = e.name.clone();
                match e.kind {
                    FileKind::Dir => name.push('/'),
                    FileKind::Symlink => name.push('@'),
                    _ => {}
                }
                if e.ignored {
                    name.push_str("  (ignored)");
                }
                let size = if e.kind == FileKind::File {
                    (e.size as u64).to_string()
                } else {
                    String::new()
                };
                vec![
                    Cell::from(wire(&e.kind)),
                    Cell::from(size),
                    Cell::from(name),
                ]
            })
            .collect();
        p.table(&["kind", "size", "name"], rows);
        if self.truncated {
            p.toned("(more entries than listed)", Tone::Dim);
        }
    }
}

/// `files find`: the paths, best match first.
impl Render for FindResult {
    fn render(&self, p: &mut Printer) {
        for m in &self.items {
            p.line(&m.path);
        }
    }
}

/// `files grep`: `path:line:text`, as grep prints it.
impl Render for GrepResult {
    fn render(&self, p: &mut Printer) {
        for m in &self.matches {
            p.line(format!("{}:{}:{}", m.path, m.line, m.text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    #[test]
    fn listings_and_searches_render_from_their_typed_output() {
        let ls: DirListing = serde_json::from_value(json!({
            "path": "src", "truncated": false,
            "entries": [
                {"name": "lib", "path": "src/lib", "kind": "dir", "size": 0, "modifiedMs": null, "ignored": false},
                {"name": "app.ts", "path": "src/app.ts", "kind": "file", "size": 20, "modifiedMs": 1.0, "ignored": false},
                {"name": "out.js", "path": "src/out.js", "kind": "file", "size": 7, "modifiedMs": null, "ignored": true}
            ]
        }))
        .unwrap();
        assert_eq!(
            shown(&ls),
            "KIND  SIZE  NAME\ndir         lib/\nfile  20    app.ts\nfile  7     out.js  (ignored)\n"
        );
        let found: FindResult = serde_json::from_value(json!({
            "items": [{"path": "src/util.ts", "kind": "file", "score": 12.0, "positions": [4, 5]}],
            "truncated": true
        }))
        .unwrap();
        assert_eq!(shown(&found), "src/util.ts\n");
        let grep: GrepResult = serde_json::from_value(json!({
            "matches": [{"path": "src/app.ts", "line": 1, "text": "export const x = 1;"}],
            "truncated": false, "filesSearched": 2
        }))
        .unwrap();
        assert_eq!(shown(&grep), "src/app.ts:1:export const x = 1;\n");
        let info: FileInfo = serde_json::from_value(json!({
            "path": "src/lib", "kind": "dir", "size": 0, "modifiedMs": null, "etag": null
        }))
        .unwrap();
        assert_eq!(entry(&info), "dir src/lib");
    }
}
