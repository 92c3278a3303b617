//! File commands: list, print, fuzzy find and grep in the active app (or `--app`).

use clap::Subcommand;
use refine_client::Client;
use serde_json::{json, Value};

use crate::commands::{app_id, print_json, s};
use crate::{table, Result};

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

async fn app(c: &Client, given: &Option<String>) -> Result<Value> {
    Ok(match given {
        Some(a) => json!(app_id(c, a).await?),
        None => Value::Null,
    })
}

fn bytes(v: &Value) -> String {
    (v["size"].as_f64().unwrap_or(0.0) as u64).to_string()
}

pub async fn files(c: &Client, cmd: &FilesCmd, json_out: bool) -> Result {
    match cmd {
        FilesCmd::Ls { path, all, app: a } => {
            let input = json!({"appId": app(c, a).await?, "path": path, "showIgnored": all});
            let listing = c.call("files.tree", input).await?;
            if json_out {
                print_json(&listing);
                return Ok(());
            }
            let rows = listing["entries"]
                .as_array()
                .map(|entries| {
                    entries
                        .iter()
                        .map(|e| {
                            let kind = s(e, "kind");
                            let mut name = s(e, "name");
                            if kind == "dir" {
                                name.push('/');
                            } else if kind == "symlink" {
                                name.push('@');
                            }
                            if e["ignored"] == json!(true) {
                                name.push_str("  (ignored)");
                            }
                            let size = if kind == "file" {
                                bytes(e)
                            } else {
                                String::new()
                            };
                            vec![kind, size, name]
                        })
                        .collect()
                })
                .unwrap_or_default();
            table::print(&["kind", "size", "name"], rows);
        }
        FilesCmd::Cat { path, app: a } => {
            let input = json!({"appId": app(c, a).await?, "path": path});
            let file = c.call("files.read", input).await?;
            if json_out {
                print_json(&file);
            } else if file["binary"] == json!(true) {
                println!("{path} is a binary file ({} bytes)", bytes(&file));
            } else {
                crate::out::content(file["content"].as_str().unwrap_or_default());
            }
        }
        FilesCmd::Find {
            query,
            limit,
            app: a,
        } => {
            let input = json!({"appId": app(c, a).await?, "query": query, "limit": limit});
            let found = c.call("files.find", input).await?;
            if json_out {
                print_json(&found);
                return Ok(());
            }
            for item in found["items"].as_array().into_iter().flatten() {
                println!("{}", s(item, "path"));
            }
        }
        FilesCmd::Grep {
            pattern,
            path,
            ignore_case,
            fixed_strings,
            limit,
            app: a,
        } => {
            let input = json!({
                "appId": app(c, a).await?,
                "pattern": pattern,
                "path": path,
                "caseInsensitive": ignore_case,
                "fixedStrings": fixed_strings,
                "limit": limit,
            });
            let found = c.call("files.grep", input).await?;
            if json_out {
                print_json(&found);
                return Ok(());
            }
            for m in found["matches"].as_array().into_iter().flatten() {
                println!("{}:{}:{}", s(m, "path"), s(m, "line"), s(m, "text"));
            }
            if found["truncated"] == json!(true) {
                eprintln!("(more matches; raise --limit)");
            }
        }
    }
    Ok(())
}
