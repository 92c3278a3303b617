//! The one output layer every command answers through. For people: a renderer per operation
//! output ([`Render`]), coloured on a terminal unless `NO_COLOR` is set. For programs: `--json`
//! prints the operation's output exactly; `--json FIELDS` keeps only those fields (of each item
//! of a list or page); `--jq EXPR` filters that JSON through jq (jaq), printing strings raw.
//! With `--json` or `--jq`, errors are JSON on stderr too.

use std::io::{IsTerminal, Write};

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use refine_client::CliError;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::render::{Printer, Render};
use crate::Result;

/// A compiled `--jq` filter.
pub struct Jq {
    filter: jaq_core::Filter<data::JustLut<Val>>,
}

impl Jq {
    pub fn compile(code: &str) -> Result<Jq> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|_| CliError::Usage(format!("--jq {code:?} is not a jq expression")))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| {
                let names: Vec<String> = errs
                    .into_iter()
                    .flat_map(|(_, es)| es.into_iter().map(|(name, _)| name.to_string()))
                    .collect();
                CliError::Usage(format!(
                    "--jq {code:?}: unknown filter(s) {}",
                    names.join(", ")
                ))
            })?;
        Ok(Jq { filter })
    }

    /// Every result of the filter on `input`: strings as they are, other values as JSON.
    pub fn run(&self, input: &Value) -> Result<Vec<String>> {
        let text = serde_json::to_vec(input).map_err(|e| CliError::Usage(e.to_string()))?;
        let val = jaq_json::read::parse_single(&text)
            .map_err(|e| CliError::Usage(format!("--jq: {e}")))?;
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut out = Vec::new();
        for r in self.filter.id.run((ctx, val)).map(unwrap_valr) {
            match r {
                Ok(Val::TStr(s)) => out.push(String::from_utf8_lossy(&s).into_owned()),
                Ok(v) => out.push(v.to_string()),
                Err(e) => return Err(CliError::Usage(format!("--jq: {e}"))),
            }
        }
        Ok(out)
    }
}

/// What the person asked the CLI to print.
pub enum Mode {
    Human,
    Json {
        /// Only these fields (of each item, for lists and pages).
        fields: Option<Vec<String>>,
        jq: Option<Jq>,
    },
}

pub struct Output {
    pub mode: Mode,
    /// Colours in tables (a terminal, and no `NO_COLOR`).
    pub color: bool,
}

/// Colours when stdout is a terminal and neither `NO_COLOR` nor `TERM=dumb` says otherwise;
/// `CLICOLOR_FORCE=1` forces them (e.g. into `less -R`).
pub fn color_wanted() -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if std::env::var("CLICOLOR_FORCE").is_ok_and(|v| v != "0") {
        return true;
    }
    std::io::stdout().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

impl Output {
    /// From the global options: `--json[=FIELDS]` and `--jq EXPR` (which implies JSON).
    pub fn new(json: Option<&str>, jq: Option<&str>) -> Result<Output> {
        let fields = json
            .map(|f| {
                f.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .filter(|f| !f.is_empty());
        let jq = jq.map(Jq::compile).transpose()?;
        let mode = if json.is_some() || jq.is_some() {
            Mode::Json { fields, jq }
        } else {
            Mode::Human
        };
        Ok(Output {
            mode,
            color: color_wanted(),
        })
    }

    pub fn human() -> Output {
        Output {
            mode: Mode::Human,
            color: false,
        }
    }

    pub fn is_json(&self) -> bool {
        matches!(self.mode, Mode::Json { .. })
    }

    /// An operation's answer: as JSON (exactly, picked or filtered), else its renderer.
    pub fn show<T: Serialize + Render>(&self, value: &T) -> Result {
        match &self.mode {
            Mode::Human => {
                let mut p = Printer::new(self.color);
                value.render(&mut p);
                p.flush();
                Ok(())
            }
            Mode::Json { .. } => self.json(value),
        }
    }

    /// A mutation's answer: as JSON, else the line a person reads.
    pub fn done<T: Serialize>(&self, value: &T, say: impl FnOnce(&T) -> String) -> Result {
        match &self.mode {
            Mode::Human => {
                let mut p = Printer::new(self.color);
                p.line(say(value));
                p.flush();
                Ok(())
            }
            Mode::Json { .. } => self.json(value),
        }
    }

    /// Machine output of any value (the JSON modes; plain JSON for people).
    pub fn json<T: Serialize>(&self, value: &T) -> Result {
        self.emit(value, true)
    }

    /// One record of a stream (`events`, `activity --follow`): one line of JSON each, so a
    /// reader can take them as they come; picked and filtered like the rest.
    pub fn json_line<T: Serialize>(&self, value: &T) -> Result {
        self.emit(value, false)
    }

    fn emit<T: Serialize>(&self, value: &T, pretty: bool) -> Result {
        let value = serde_json::to_value(value).map_err(|e| CliError::Usage(e.to_string()))?;
        let (fields, jq) = match &self.mode {
            Mode::Json { fields, jq } => (fields.as_deref(), jq.as_ref()),
            Mode::Human => (None, None),
        };
        let value = match fields {
            Some(f) => pick(&value, f)?,
            None => value,
        };
        let mut out = std::io::stdout().lock();
        match jq {
            Some(jq) => {
                for line in jq.run(&value)? {
                    let _ = writeln!(out, "{line}");
                }
            }
            None => {
                let text = if pretty {
                    serde_json::to_string_pretty(&value)
                } else {
                    serde_json::to_string(&value)
                };
                let _ = writeln!(out, "{}", text.unwrap_or_default());
            }
        }
        Ok(())
    }

    /// A failure, on stderr: `{"code", "message", "details"?}` in the JSON modes.
    pub fn error(&self, e: &CliError) {
        if !self.is_json() {
            eprintln!("refine: {e}");
            return;
        }
        let body = match e {
            CliError::Api(api) => serde_json::to_value(api).unwrap_or(Value::Null),
            CliError::NoDaemon(m) => serde_json::json!({"code": "unavailable", "message": m}),
            CliError::Usage(m) => serde_json::json!({"code": "invalid_input", "message": m}),
        };
        let _ = writeln!(std::io::stderr(), "{body}");
    }
}

/// Keep only `fields`: of each item of a list, of each item of a page (`{items, …}`, which
/// becomes the list of its items, as `gh --json` answers), or of one object.
fn pick(value: &Value, fields: &[String]) -> Result<Value> {
    let items: Option<&Vec<Value>> = match value {
        Value::Array(a) => Some(a),
        Value::Object(m) => m.get("items").and_then(Value::as_array),
        _ => None,
    };
    let known: Vec<String> = match items {
        Some(list) => {
            let mut k: Vec<String> = Vec::new();
            for item in list {
                for key in item.as_object().into_iter().flat_map(|m| m.keys()) {
                    if !k.contains(key) {
                        k.push(key.clone());
                    }
                }
            }
            k
        }
        None => value
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
    };
    // An empty list has no keys to check against.
    let checkable = !known.is_empty();
    if let Some(bad) = fields.iter().find(|f| checkable && !known.contains(f)) {
        return Err(CliError::Usage(format!(
            "--json: no field {bad:?} here; available: {}",
            known.join(", ")
        )));
    }
    let keep = |v: &Value| -> Value {
        let mut m = Map::new();
        for f in fields {
            m.insert(f.clone(), v.get(f).cloned().unwrap_or(Value::Null));
        }
        Value::Object(m)
    };
    Ok(match items {
        Some(list) => Value::Array(list.iter().map(keep).collect()),
        None => keep(value),
    })
}

/// Whether the argument after `--json` is a list of fields (every part a property of some
/// operation's output) rather than the next argument of the command.
pub fn is_field_list(token: &str, known: &dyn Fn(&str) -> bool) -> bool {
    let ident = |s: &str| {
        let mut c = s.chars();
        c.next()
            .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    };
    !token.is_empty() && token.split(',').all(|p| ident(p) && known(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_pick_from_items_of_lists_and_pages_and_from_objects() {
        let page = json!({"items": [{"number": 1, "title": "a", "status": "todo"}, {"number": 2, "title": "b", "status": "plan"}], "nextCursor": null});
        let f = vec!["number".to_string(), "status".to_string()];
        assert_eq!(
            pick(&page, &f).unwrap(),
            json!([{"number": 1, "status": "todo"}, {"number": 2, "status": "plan"}])
        );
        assert_eq!(
            pick(&json!({"number": 3, "title": "c"}), &f[..1]).unwrap(),
            json!({"number": 3})
        );
        let err = pick(&page, &["nope".to_string()]).unwrap_err().to_string();
        assert!(
            err.contains("nope") && err.contains("number, title, status"),
            "{err}"
        );
    }

    #[test]
    fn jq_filters_and_prints_strings_raw() {
        let jq = Jq::compile(r#".[] | select(.status=="todo") | .number"#).unwrap();
        let v = json!([{"number": 1, "status": "todo"}, {"number": 2, "status": "plan"}, {"number": 3, "status": "todo"}]);
        assert_eq!(jq.run(&v).unwrap(), vec!["1", "3"]);
        let jq = Jq::compile(".[0].status").unwrap();
        assert_eq!(jq.run(&v).unwrap(), vec!["todo"]);
        let jq = Jq::compile("map(.number)").unwrap();
        assert_eq!(jq.run(&v).unwrap(), vec!["[1,2,3]"]);
        assert!(Jq::compile(".[ | nope").is_err());
    }

    #[test]
    fn a_field_list_is_told_from_the_next_argument() {
        let known = |f: &str| matches!(f, "number" | "title" | "status" | "name");
        assert!(is_field_list("number,title", &known));
        assert!(is_field_list("name", &known));
        assert!(!is_field_list("12", &known));
        assert!(!is_field_list("goal", &known));
        assert!(!is_field_list("number,", &known));
        assert!(!is_field_list("my-app", &known));
    }
}
