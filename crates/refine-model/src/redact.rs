//! Secrets out of everything Refine records or shows: the operations journal, activity, logs,
//! support material. One rule set, used everywhere.

use serde_json::Value;

/// The placeholder shown instead of a secret value.
pub const REDACTED: &str = "••••••";

/// Whether a name (an environment variable, a JSON field) looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "AUTH",
        "COOKIE",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// Replace, at any depth, every non-empty string value under a secret-looking name, and the
/// secret part of login links and `token=` query strings inside any string.
pub fn redact_json(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::String(s) if is_secret_name(k) && !s.is_empty() => {
                        *s = REDACTED.to_string()
                    }
                    _ => redact_json(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_json),
        Value::String(s) => {
            if let Some(clean) = redact_text(s) {
                *s = clean;
            }
        }
        _ => {}
    }
}

/// `text` with the values of `login=`, `token=`, `secret=` parameters and `Bearer` credentials
/// replaced; `None` when there was nothing to replace.
pub fn redact_text(text: &str) -> Option<String> {
    const MARKS: [&str; 5] = ["login=", "token=", "secret=", "Bearer ", "bearer "];
    if !MARKS.iter().any(|m| text.contains(m)) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for m in MARKS {
            if let Some(after) = rest.strip_prefix(m) {
                out.push_str(m);
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.~+/=".contains(c)))
                    .unwrap_or(after.len());
                if end > 0 {
                    out.push_str(REDACTED);
                }
                rest = &after[end..];
                continue 'outer;
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_replaced_wherever_they_sit() {
        let mut v = json!({
            "argv": ["npm", "run", "dev"],
            "env": {"MY_API_KEY": "sk-live-123", "PORT": "3000", "GITHUB_TOKEN": "ghp_x", "EMPTY_SECRET": ""},
            "grant": {"secret": "rs_abc", "session": {"id": "s1"}},
            "url": "http://127.0.0.1:7878/#login=0123abcd",
            "note": "curl -H 'Authorization: Bearer abc.def' http://x/?token=ffee&x=1"
        });
        redact_json(&mut v);
        assert_eq!(v["env"]["MY_API_KEY"], REDACTED);
        assert_eq!(v["env"]["GITHUB_TOKEN"], REDACTED);
        assert_eq!(v["env"]["PORT"], "3000");
        assert_eq!(v["env"]["EMPTY_SECRET"], "");
        assert_eq!(v["grant"]["secret"], REDACTED);
        assert_eq!(v["grant"]["session"]["id"], "s1");
        assert_eq!(v["url"], format!("http://127.0.0.1:7878/#login={REDACTED}"));
        assert_eq!(
            v["note"],
            format!("curl -H 'Authorization: Bearer {REDACTED}' http://x/?token={REDACTED}&x=1")
        );
        assert_eq!(v["argv"], json!(["npm", "run", "dev"]));
        assert_eq!(redact_text("nothing here"), None);
    }
}
