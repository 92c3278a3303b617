//! `refine call OP [INPUT]`: any operation by name with a JSON input, its output as JSON. The
//! one command that is generic on purpose (scripts, and operations without a command of their
//! own); `--list` lists them all.

use std::io::Read;

use clap::builder::PossibleValuesParser;
use clap::Args;
use refine_api::ops::system;
use refine_api::OperationInfo;
use refine_client::CliError;
use refine_core::system::Empty;
use serde_json::Value;

use super::{Commands, Run};
use crate::render::{wire, Cell, Printer, Render};
use crate::Result;

#[derive(Args, Debug)]
pub struct CallArgs {
    /// Operation name (see --list).
    #[arg(value_parser = names())]
    op: Option<String>,
    /// JSON input (default {}); `-` reads standard input.
    input: Option<String>,
    /// List every operation.
    #[arg(long, conflicts_with_all = ["op", "input"])]
    list: bool,
}

pub const COMMANDS: Commands = &[("", &[system::OPERATIONS.name])];

/// Every operation's name, for completions and a clear error for a misspelt one.
fn names() -> PossibleValuesParser {
    PossibleValuesParser::new(refine_api::registry().iter().map(|o| o.name))
}

fn read_input(raw: Option<&str>) -> Result<Value> {
    let text = match raw {
        None => return Ok(Value::Object(Default::default())),
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            s
        }
        Some(s) => s.to_string(),
    };
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("the input is not valid JSON: {e}")))
}

pub async fn run(r: &Run<'_>, a: &CallArgs) -> Result {
    let Some(op) = a.op.as_deref().filter(|_| !a.list) else {
        let ops = r.c.run(system::OPERATIONS, &Empty {}).await?;
        return r.out.show(&OperationList(ops));
    };
    let output = r.c.call(op, read_input(a.input.as_deref())?).await?;
    r.out.json(&output)
}

/// `call --list`: every operation, its kind, route and the command that does the same.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct OperationList(pub Vec<OperationInfo>);

impl Render for OperationList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|o| {
                vec![
                    Cell::from(&o.name),
                    Cell::from(wire(&o.kind)),
                    Cell::from(format!("{} {}", o.method.as_str(), o.path)),
                    Cell::from(super::command_for(&o.name).unwrap_or_else(|| "-".into())),
                    Cell::from(&o.doc),
                ]
            })
            .collect();
        p.table(&["operation", "kind", "route", "command", "doc"], rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn the_operation_list_renders_and_inputs_are_json_objects() {
        let ops = OperationList(vec![refine_api::find("apps.add").unwrap().info()]);
        let text = shown(&ops);
        assert!(
            text.contains("apps.add   mutation  POST /api/v1/apps  refine apps add  "),
            "{text}"
        );
        assert_eq!(read_input(None).unwrap(), serde_json::json!({}));
        assert_eq!(read_input(Some(r#"{"a":1}"#)).unwrap()["a"], 1);
        assert!(read_input(Some("{nope")).is_err());
    }
}
