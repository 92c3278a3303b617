//! How an operation's output looks to a person: each output type has a [`Render`] that reads
//! its typed fields, so renaming a field breaks the build rather than printing `-`. The
//! [`Printer`] escapes control characters in the data (it can never drive the terminal), aligns
//! tables and colours states when colour is wanted.

use std::fmt::Display;
use std::io::Write;

use crate::out::escape;

/// An output a person can read.
pub trait Render {
    fn render(&self, p: &mut Printer);
}

impl<T: Render> Render for Vec<T> {
    fn render(&self, p: &mut Printer) {
        for item in self {
            item.render(p);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tone {
    Plain,
    Dim,
    Good,
    Bad,
    Busy,
    Wait,
    Strong,
}

impl Tone {
    fn ansi(self) -> Option<&'static str> {
        match self {
            Tone::Plain => None,
            Tone::Dim => Some("2"),
            Tone::Good => Some("32"),
            Tone::Bad => Some("31"),
            Tone::Busy => Some("36"),
            Tone::Wait => Some("33"),
            Tone::Strong => Some("1"),
        }
    }

    /// The tone of a workflow state, run status or check result.
    pub fn of_state(state: &str) -> Tone {
        match state {
            "done" | "passed" | "succeeded" | "ok" | "running" | "connected" => Tone::Good,
            "failed" | "cancelled" | "error" | "exited" | "refused" | "crashed" => Tone::Bad,
            "plan" | "implement" | "quality" | "governance" | "starting" | "busy" => Tone::Busy,
            "review" | "todo" | "queued" | "waiting" | "held" | "paused" => Tone::Wait,
            _ => Tone::Plain,
        }
    }
}

/// One table cell: its text and how it is shown.
#[derive(Clone, Debug)]
pub struct Cell {
    pub text: String,
    pub tone: Tone,
}

impl<T: Display> From<T> for Cell {
    fn from(t: T) -> Cell {
        Cell {
            text: t.to_string(),
            tone: Tone::Plain,
        }
    }
}

/// A cell with a tone.
pub fn toned(text: impl Display, tone: Tone) -> Cell {
    Cell {
        text: text.to_string(),
        tone,
    }
}

/// A state, coloured by what it means.
pub fn state(text: impl Display) -> Cell {
    let text = text.to_string();
    let tone = Tone::of_state(&text);
    Cell { text, tone }
}

/// `-` for nothing.
pub fn opt<T: Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".to_string(), T::to_string)
}

/// Text kept to `max` characters (with an ellipsis).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    s.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
}

/// A serde enum's wire name (`WorkflowState::Todo` → `todo`).
pub fn wire<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "-".into(),
    }
}

pub struct Printer {
    color: bool,
    out: String,
}

impl Printer {
    pub fn new(color: bool) -> Printer {
        Printer {
            color,
            out: String::new(),
        }
    }

    fn paint(&self, text: &str, tone: Tone) -> String {
        let text = escape(text);
        match (self.color, tone.ansi()) {
            (true, Some(code)) => format!("\x1b[{code}m{text}\x1b[0m"),
            _ => text.into_owned(),
        }
    }

    /// One line of text (escaped).
    pub fn line(&mut self, s: impl AsRef<str>) {
        self.out.push_str(&escape(s.as_ref()));
        self.out.push('\n');
    }

    /// One line with a tone.
    pub fn toned(&mut self, s: impl AsRef<str>, tone: Tone) {
        let painted = self.paint(s.as_ref(), tone);
        self.out.push_str(&painted);
        self.out.push('\n');
    }

    pub fn blank(&mut self) {
        self.out.push('\n');
    }

    /// `label: value` lines, labels aligned.
    pub fn fields(&mut self, pairs: &[(&str, Cell)]) {
        let w = pairs.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, cell) in pairs {
            let v = self.paint(&cell.text, cell.tone);
            self.out
                .push_str(&format!("  {:<w$}  {v}\n", format!("{label}:"), w = w + 1));
        }
    }

    /// An aligned table; `(none)` when there are no rows. Cells over 60 characters are cut,
    /// except in the last column.
    pub fn table(&mut self, headers: &[&str], rows: Vec<Vec<Cell>>) {
        if rows.is_empty() {
            self.toned("(none)", Tone::Dim);
            return;
        }
        let last = headers.len().saturating_sub(1);
        let rows: Vec<Vec<Cell>> = rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .enumerate()
                    .map(|(i, mut c)| {
                        c.text = escape(&c.text).replace('\n', " ");
                        if i != last {
                            c.text = clip(&c.text, 60);
                        }
                        c
                    })
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (i, c) in r.iter().enumerate().take(widths.len()) {
                widths[i] = widths[i].max(c.text.chars().count());
            }
        }
        let head: Vec<String> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| pad(&h.to_uppercase(), widths[i], i == last))
            .collect();
        let head = head.join("  ");
        let head = head.trim_end();
        let head = if self.color {
            format!("\x1b[1m{head}\x1b[0m")
        } else {
            head.to_string()
        };
        self.out.push_str(&head);
        self.out.push('\n');
        for r in rows {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let padded = pad(&c.text, widths.get(i).copied().unwrap_or(0), i == last);
                    match (self.color, c.tone.ansi()) {
                        (true, Some(code)) => {
                            let t = padded.trim_end();
                            format!("\x1b[{code}m{t}\x1b[0m{}", &padded[t.len()..])
                        }
                        _ => padded,
                    }
                })
                .collect();
            self.out.push_str(cells.join("  ").trim_end());
            self.out.push('\n');
        }
    }

    /// What was printed so far (tests).
    pub fn text(&self) -> &str {
        &self.out
    }

    pub fn flush(&mut self) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(self.out.as_bytes());
        let _ = o.flush();
        self.out.clear();
    }
}

fn pad(s: &str, w: usize, last: bool) -> String {
    if last {
        return s.to_string();
    }
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

/// Renders `value` for a test: what a person would see, without colour.
#[cfg(test)]
pub fn shown<T: Render>(value: &T) -> String {
    let mut p = Printer::new(false);
    value.render(&mut p);
    p.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_escape_and_colour_only_when_asked() {
        let rows = vec![
            vec![
                Cell::from("#1"),
                state("todo"),
                Cell::from("say \u{1b}[31mhi"),
            ],
            vec![Cell::from("#12"), state("done"), Cell::from("a")],
        ];
        let mut p = Printer::new(false);
        p.table(&["goal", "status", "title"], rows.clone());
        assert_eq!(
            p.text(),
            "GOAL  STATUS  TITLE\n#1    todo    say \\e[31mhi\n#12   done    a\n"
        );
        let mut p = Printer::new(true);
        p.table(&["goal", "status", "title"], rows);
        assert!(p.text().contains("\x1b[33mtodo\x1b[0m"), "{:?}", p.text());
        assert!(
            !p.text().contains("\x1b[31mhi"),
            "data never colours the terminal"
        );
        let mut p = Printer::new(false);
        p.table(&["a"], vec![]);
        assert_eq!(p.text(), "(none)\n");
    }
}
