//! Provider trouble that is not a failure of the Goal: a rate or usage limit (wait until it
//! resets, the retry budget untouched) and refused credentials (hold the provider until a person
//! fixes the profile). Told apart from what the run reported: HTTP statuses and the messages
//! CLIs print (reset times included where they give one).

use time::OffsetDateTime;

/// What kept a provider from answering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Trouble {
    /// Rate or usage limit; `reset` when the provider said when.
    Limit {
        reset: Option<OffsetDateTime>,
        message: String,
    },
    /// The credentials were refused (401/403, "invalid API key").
    Auth { message: String },
}

fn has_any(text: &str, words: &[&str]) -> bool {
    let t = text.to_ascii_lowercase();
    words.iter().any(|w| t.contains(w))
}

/// Classify what a failed run reported: `(status, message)` errors and the tail of its stderr.
pub(crate) fn classify(
    errors: &[(Option<u16>, String)],
    stderr: &str,
    now: OffsetDateTime,
) -> Option<Trouble> {
    let all: Vec<(Option<u16>, &str)> = errors
        .iter()
        .map(|(s, m)| (*s, m.as_str()))
        .chain(std::iter::once((None, stderr)))
        .collect();
    for (status, m) in &all {
        let limited = matches!(status, Some(429))
            || has_any(
                m,
                &[
                    "rate limit",
                    "rate_limit",
                    "usage limit",
                    "usage_limit",
                    "quota",
                    "too many requests",
                    "(429)",
                    "status: 429",
                    "status 429",
                ],
            );
        if limited {
            let reset = all.iter().find_map(|(_, m)| reset_time(m, now));
            return Some(Trouble::Limit {
                reset,
                message: first_line(m),
            });
        }
    }
    for (status, m) in &all {
        let refused = matches!(status, Some(401) | Some(403))
            || has_any(
                m,
                &[
                    "invalid api key",
                    "invalid x-api-key",
                    "incorrect api key",
                    "401 unauthorized",
                    "authentication_error",
                    "not logged in",
                    "please run /login",
                ],
            );
        if refused {
            return Some(Trouble::Auth {
                message: first_line(m),
            });
        }
    }
    None
}

/// This machine's UTC offset now (from `date +%z`, since the time crate cannot read it safely
/// in a threaded process); UTC when unknown.
fn local_offset() -> time::UtcOffset {
    std::process::Command::new("date")
        .arg("+%z")
        .output()
        .ok()
        .and_then(|o| {
            let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let sign = if s.starts_with('-') { -1 } else { 1 };
            let d = s.trim_start_matches(['+', '-']);
            let h: i8 = d.get(0..2)?.parse().ok()?;
            let m: i8 = d.get(2..4)?.parse().ok()?;
            time::UtcOffset::from_hms(sign * h, sign * m, 0).ok()
        })
        .unwrap_or(time::UtcOffset::UTC)
}

fn first_line(m: &str) -> String {
    refine_model::transcript::excerpt(m.lines().next().unwrap_or("").trim(), 300)
}

/// When a limit resets, from a provider's message: an epoch after `|` (Claude Code's
/// "usage limit reached|1767225600"), an RFC 3339 time, "try again at 2:06 PM", "in 2s",
/// "in 5 minutes", "retry after 30 seconds".
pub(crate) fn reset_time(m: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if let Some((_, epoch)) = m.rsplit_once('|') {
        if let Ok(e) = epoch.trim().parse::<i64>() {
            return OffsetDateTime::from_unix_timestamp(e)
                .ok()
                .filter(|t| *t > now);
        }
    }
    for word in m.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',') {
        let w = word.trim_end_matches(['.', ';']);
        if w.len() >= 20 && w.contains('T') {
            if let Ok(t) = OffsetDateTime::parse(w, &time::format_description::well_known::Rfc3339)
            {
                return Some(t);
            }
        }
    }
    let lower = m.to_ascii_lowercase();
    // "try again at 2:06 PM" (the CLI's local time).
    if let Some(i) = lower.find(" at ") {
        let rest = &lower[i + 4..];
        let mut parts = rest.split_whitespace();
        if let (Some(hm), meridiem) = (parts.next(), parts.next()) {
            if let Some((h, mi)) = hm.split_once(':') {
                let mi: String = mi.chars().take_while(|c| c.is_ascii_digit()).collect();
                if let (Ok(mut h), Ok(mi)) = (h.parse::<u8>(), mi.parse::<u8>()) {
                    match meridiem.map(|x| x.trim_end_matches('.')) {
                        Some("pm") if h < 12 => h += 12,
                        Some("am") if h == 12 => h = 0,
                        _ => {}
                    }
                    // The CLI printed its local time; the daemon runs in the same zone.
                    let local = now.to_offset(local_offset());
                    if let Ok(t) = local
                        .replace_time(time::Time::from_hms(h, mi, 0).ok()?)
                        .replace_nanosecond(0)
                    {
                        // A minute-rounded time: the reset is somewhere within that minute, so
                        // the stated minute (now or just past) means its end, and only a time
                        // well past means the same time tomorrow.
                        let end = t + time::Duration::minutes(1);
                        let t = if t > local {
                            t
                        } else if end > local {
                            end
                        } else {
                            t + time::Duration::days(1)
                        };
                        return Some(t.to_offset(time::UtcOffset::UTC));
                    }
                }
            }
        }
    }
    // "in 2s", "in 5 minutes", "after 30 seconds".
    for marker in ["in ", "after "] {
        let mut rest = lower.as_str();
        while let Some(i) = rest.find(marker) {
            let after = &rest[i + marker.len()..];
            let digits: String = after
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if let Ok(n) = digits.parse::<f64>() {
                let unit = after[digits.len()..].trim_start();
                let secs = if unit.starts_with("ms") {
                    n / 1000.0
                } else if unit.starts_with('s') {
                    n
                } else if unit.starts_with('m') {
                    n * 60.0
                } else if unit.starts_with('h') {
                    n * 3600.0
                } else {
                    -1.0
                };
                if secs >= 0.0 {
                    return Some(now + time::Duration::seconds_f64(secs.min(86_400.0 * 7.0)));
                }
            }
            rest = &rest[i + marker.len()..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-02 13:00:00 UTC);

    #[test]
    fn limits_and_refusals_are_recognised_from_what_the_clis_print() {
        let claude_429 = vec![(Some(429), "API Error: Request rejected (429) · This request would exceed the rate limit for your organization of 50 requests per minute. Please try again later.".to_string())];
        assert!(matches!(
            classify(&claude_429, "", NOW),
            Some(Trouble::Limit { reset: None, .. })
        ));
        let codex_429 = vec![(
            Some(429),
            "exceeded retry limit, last status: 429 Too Many Requests, request id: req_1"
                .to_string(),
        )];
        assert!(matches!(
            classify(&codex_429, "", NOW),
            Some(Trouble::Limit { .. })
        ));
        let usage = vec![(None, "Claude AI usage limit reached|1796220000".to_string())];
        match classify(&usage, "", NOW) {
            Some(Trouble::Limit { reset: Some(t), .. }) => {
                assert_eq!(t.unix_timestamp(), 1796220000)
            }
            other => panic!("{other:?}"),
        }
        let auth = vec![(
            Some(401),
            "Invalid API key · Fix external API key".to_string(),
        )];
        assert!(matches!(
            classify(&auth, "", NOW),
            Some(Trouble::Auth { .. })
        ));
        let codex_auth = vec![(
            Some(401),
            "unexpected status 401 Unauthorized: Incorrect API key provided".to_string(),
        )];
        assert!(matches!(
            classify(&codex_auth, "", NOW),
            Some(Trouble::Auth { .. })
        ));
        let fault = vec![(
            Some(500),
            "API Error: 500 Internal server error.".to_string(),
        )];
        assert_eq!(
            classify(&fault, "", NOW),
            None,
            "a 500 is a provider fault, not a limit"
        );
    }

    #[test]
    fn reset_times_in_the_forms_providers_use() {
        assert_eq!(
            reset_time("Please try again in 2s.", NOW),
            Some(NOW + time::Duration::seconds(2))
        );
        assert_eq!(
            reset_time("limit resets in 5 minutes", NOW),
            Some(NOW + time::Duration::minutes(5))
        );
        assert_eq!(
            reset_time("retry after 30 seconds", NOW),
            Some(NOW + time::Duration::seconds(30))
        );
        assert_eq!(
            reset_time("rate limited until 2026-12-02T13:30:00Z (HTTP 429)", NOW),
            Some(datetime!(2026-12-02 13:30:00 UTC))
        );
        assert_eq!(reset_time("try again later", NOW), None);
        // Within the stated minute: its end, not tomorrow (Codex rounds down to the minute).
        let now = datetime!(2026-12-02 14:37:21 UTC);
        let at = |h: u8, m: u8| {
            let off = local_offset();
            let local = now
                .to_offset(off)
                .replace_time(time::Time::from_hms(h, m, 0).unwrap());
            local
                .format(&time::macros::format_description!(
                    "[hour repr:12 padding:none]:[minute] [period]"
                ))
                .unwrap()
        };
        let here = now.to_offset(local_offset());
        let msg = format!(
            "You've hit your usage limit … or try again at {}.",
            at(here.hour(), here.minute())
        );
        let t = reset_time(&msg, now).unwrap();
        assert!(
            t > now && t - now <= time::Duration::minutes(1),
            "{msg}: {t}"
        );
    }
}
