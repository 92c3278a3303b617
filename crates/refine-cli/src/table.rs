//! Plain aligned tables for people (`--json` prints machine output instead).

pub fn print(headers: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        println!("(none)");
        return;
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            let cap = if i + 1 == headers.len() {
                usize::MAX
            } else {
                60
            };
            widths[i] = widths[i].max(c.chars().count()).min(cap);
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c: String = if c.chars().count() > 60 {
                    c.chars().take(59).collect::<String>() + "…"
                } else {
                    c.clone()
                };
                format!("{c:<w$}", w = widths[i])
            })
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_uppercase()).collect());
    for r in rows {
        line(r);
    }
}
