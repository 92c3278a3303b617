//! Wall-clock timestamps: RFC 3339, UTC, fixed width (milliseconds) so text order is time order.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

pub fn format(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .expect("timestamp formats")
}

pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

pub fn hours_ago(h: i64) -> String {
    format(OffsetDateTime::now_utc() - time::Duration::hours(h))
}

pub fn minutes_from_now(m: i64) -> String {
    format(OffsetDateTime::now_utc() + time::Duration::minutes(m))
}

/// How long until an RFC 3339 time (`None`: unreadable; zero when it passed).
pub fn until(at: &str) -> Option<std::time::Duration> {
    let t = OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    let d = t - OffsetDateTime::now_utc();
    Some(d.try_into().unwrap_or(std::time::Duration::ZERO))
}

/// Parse any RFC 3339 timestamp and normalise it to our fixed-width form.
pub fn normalize(s: &str) -> Option<String> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(format)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_width_and_normalized() {
        let n = super::now();
        assert_eq!(n.len(), 24, "{n}");
        assert_eq!(
            super::normalize("2026-01-02T03:04:05+01:00").unwrap(),
            "2026-01-02T02:04:05.000Z"
        );
        assert!(super::normalize("yesterday").is_none());
    }
}
