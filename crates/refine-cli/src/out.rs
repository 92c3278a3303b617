//! What the CLI prints for people goes through here (the crate's `println!` and `eprintln!`
//! are these): control characters in the data it shows — a file named
//! `\e[31mred`, a Goal title with `\r` — are printed escaped, so data can never drive the
//! user's terminal. JSON output is escaped by the JSON encoder. Content a person asked for
//! byte for byte (`refine files cat`, an export) goes out raw when stdout is not a terminal.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

/// `s` with every control character but newline and tab written as an escape (`\e`, `\r`,
/// `\x07`, `\u{9b}`).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\x1b' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

pub fn line(s: String) {
    let _ = writeln!(std::io::stdout(), "{}", escape(&s));
}

pub fn error_line(s: String) {
    let _ = writeln!(std::io::stderr(), "{}", escape(&s));
}

/// Content printed byte for byte into a pipe or file, escaped on a terminal.
pub fn content(s: &str) {
    let mut o = std::io::stdout();
    if o.is_terminal() {
        let _ = write!(o, "{}", escape(s));
    } else {
        let _ = write!(o, "{s}");
    }
    let _ = o.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(escape("plain\tline\n"), "plain\tline\n");
        assert_eq!(escape("\u{1b}[31mred\r\n"), "\\e[31mred\\r\n");
        assert_eq!(escape("bell\u{7}\u{9b}"), "bell\\x07\\u{9b}");
        assert!(matches!(escape("ok"), Cow::Borrowed(_)));
    }
}
