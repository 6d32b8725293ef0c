//! Times as earwitness writes and shows them: RFC 3339 in UTC with whole seconds, the seal time
//! (`SOURCE_DATE_EPOCH` or now), and local times for people.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// RFC 3339 in UTC with whole seconds: `2026-10-23T14:02:00Z`.
pub fn rfc3339(t: Timestamp) -> String {
    format!("{t:.0}")
}

/// Parses a time as earwitness writes it: RFC 3339 in UTC with whole seconds and a literal `Z`
/// (`2026-10-23T14:02:00Z`), and nothing else (no other separator, offset or fraction).
pub fn parse_utc(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    text.parse().ok()
}

/// `SOURCE_DATE_EPOCH` (whole seconds since 1970, UTC), when it is set.
pub fn source_date_epoch() -> Result<Option<Timestamp>, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => {
            let secs: i64 = v
                .trim()
                .parse()
                .map_err(|_| format!("SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds"))?;
            Timestamp::from_second(secs)
                .map(Some)
                .map_err(|e| format!("SOURCE_DATE_EPOCH={v:?} is out of range: {e}"))
        }
        Err(_) => Ok(None),
    }
}

/// The time of a new event or seal: `SOURCE_DATE_EPOCH` when set, otherwise now; always
/// truncated to whole seconds.
pub fn event_time() -> Result<Timestamp, String> {
    match source_date_epoch()? {
        Some(t) => Ok(t),
        None => Timestamp::from_second(Timestamp::now().as_second()).map_err(|e| e.to_string()),
    }
}

/// How times are shown to people: in UTC, and also in a second zone when one is chosen.
#[derive(Clone, Debug, Default)]
pub struct Shown {
    zone: Option<TimeZone>,
}

impl Shown {
    /// Times in UTC only.
    pub fn utc() -> Self {
        Shown { zone: None }
    }

    /// Times in UTC and in `zone` (UTC alone when `zone` is UTC).
    pub fn with_zone(zone: TimeZone) -> Self {
        let utc = zone == TimeZone::UTC || zone.iana_name() == Some("UTC");
        Shown {
            zone: (!utc).then_some(zone),
        }
    }

    /// A time from a bundle, for people: `2025-10-23 00:00:00 UTC (2025-10-23 02:00:00 CEST
    /// (+02:00))`. A time that does not parse is shown escaped, as it is.
    pub fn show(&self, raw: &str) -> String {
        let Ok(t) = raw.parse::<Timestamp>() else {
            return format!("{} (not a valid time)", crate::text::safe(raw));
        };
        let utc = t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
        match &self.zone {
            Some(zone) => format!("{utc} ({})", in_zone(t, zone)),
            None => utc,
        }
    }
}

/// A time zone for showing times to people: an IANA name (`Europe/Paris`), `UTC`, or `local`
/// (the system's zone).
pub fn zone(name: &str) -> Result<TimeZone, String> {
    match name {
        "local" => Ok(TimeZone::system()),
        "UTC" | "utc" | "Z" => Ok(TimeZone::UTC),
        other => TimeZone::get(other).map_err(|_| {
            format!(
                "{other:?} is not a time zone name; use an IANA name such as Europe/Paris, or UTC"
            )
        }),
    }
}

/// `t` in `tz`, for people: `2025-10-23 02:00:00 CEST (+02:00)`.
pub fn in_zone(t: Timestamp, tz: &TimeZone) -> String {
    let zoned = t.to_zoned_datetime(tz.clone());
    zoned.strftime("%Y-%m-%d %H:%M:%S %Z (%:z)").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_seconds_in_utc_parse() {
        assert!(parse_utc("2025-10-23T00:00:00Z").is_some());
        for bad in [
            "2025-10-23 00:00:00Z",
            "2025-10-23T00:00:00+00:00",
            "2025-10-23T00:00:00.5Z",
            "2025-10-23",
            "2025-13-23T00:00:00Z",
        ] {
            assert!(parse_utc(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn formats() {
        let t = Timestamp::from_second(1_761_177_600).unwrap();
        assert_eq!(rfc3339(t), "2025-10-23T00:00:00Z");
        let paris = zone("Europe/Paris").unwrap();
        assert_eq!(in_zone(t, &paris), "2025-10-23 02:00:00 CEST (+02:00)");
        assert!(zone("Mars/Olympus").is_err());
    }
}
