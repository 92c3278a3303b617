//! `refine cache list | clear [NAME] | rebuild [NAME]`: the daemon's caches.

use clap::builder::PossibleValuesParser;
use clap::Subcommand;
use refine_api::ops::cache;
use refine_core::cache::{CacheCleared, CacheInput, CACHES};
use refine_core::system::Empty;
use refine_model::cache::CacheInfo;
use refine_model::OperationStatus;

use super::perf::bytes;
use super::{wait, Commands, Run};
use crate::render::{Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum CacheCmd {
    /// Every cache with entries, size and hit rate.
    List,
    /// Empty a cache (default: all); answers stay the same, only slower at first.
    Clear {
        #[arg(value_parser = names())]
        name: Option<String>,
    },
    /// Empty a cache (default: all) and fill it again, with progress.
    Rebuild {
        #[arg(value_parser = names())]
        name: Option<String>,
    },
}

fn names() -> PossibleValuesParser {
    PossibleValuesParser::new(CACHES.iter().map(|(n, _)| *n))
}

pub const COMMANDS: Commands = &[
    ("list", &[cache::LIST.name]),
    ("clear", &[cache::CLEAR.name]),
    ("rebuild", &[cache::REBUILD.name, cache::LIST.name]),
];

pub async fn run(r: &Run<'_>, cmd: &CacheCmd) -> Result {
    match cmd {
        CacheCmd::List => r.out.show(&Caches(r.c.run(cache::LIST, &Empty {}).await?)),
        CacheCmd::Clear { name } => {
            let out =
                r.c.run(cache::CLEAR, &CacheInput { name: name.clone() })
                    .await?;
            r.out.done(&out, |c: &CacheCleared| {
                format!(
                    "Cleared {} ({} entries)",
                    name.as_deref().unwrap_or("every cache"),
                    c.dropped
                )
            })
        }
        CacheCmd::Rebuild { name } => {
            let receipt =
                r.c.run(cache::REBUILD, &CacheInput { name: name.clone() })
                    .await?;
            let done = wait(r, receipt).await?;
            if r.out.is_json() {
                return r.out.json(&done);
            }
            let mut p = Printer::new(r.out.color);
            if done.status == OperationStatus::Succeeded {
                p.toned("Rebuilt", Tone::Good);
                Caches(r.c.run(cache::LIST, &Empty {}).await?).render(&mut p);
            } else {
                p.toned(
                    format!(
                        "Rebuild {}: {}",
                        crate::render::wire(&done.status),
                        done.error.as_ref().map_or("", |e| e.message.as_str())
                    ),
                    Tone::Bad,
                );
            }
            p.flush();
            Ok(())
        }
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Caches(pub Vec<CacheInfo>);

impl Render for Caches {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|c| {
                vec![
                    Cell::from(&c.name),
                    Cell::from(c.entries),
                    Cell::from(bytes(c.bytes)),
                    Cell::from(c.hits),
                    Cell::from(c.misses),
                    Cell::from(
                        c.hit_rate
                            .map(|h| format!("{:.0}%", h * 100.0))
                            .unwrap_or_else(|| "-".into()),
                    ),
                    Cell::from(&c.doc),
                ]
            })
            .collect();
        p.table(
            &[
                "cache", "entries", "size", "hits", "misses", "hit rate", "keeps",
            ],
            rows,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn caches_show_size_and_hit_rate() {
        let c: Vec<CacheInfo> = serde_json::from_value(serde_json::json!([
            {"name": "files.index", "doc": "file lists", "entries": 2, "bytes": 2048.0, "hits": 3.0, "misses": 1.0, "hitRate": 0.75},
            {"name": "changes.diff", "doc": "diffs", "entries": 0, "bytes": 0.0, "hits": 0.0, "misses": 0.0, "hitRate": null}
        ]))
        .unwrap();
        let text = shown(&Caches(c));
        assert!(
            text.contains("files.index   2        2.0 KiB  3     1       75%       file lists"),
            "{text}"
        );
        assert!(
            text.contains("changes.diff  0        0 B      0     0       -         diffs"),
            "{text}"
        );
    }
}
