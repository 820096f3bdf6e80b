//! Shiprocket's many date formats, all read as Asia/Kolkata (UTC+05:30) wall-clock time.
//!
//! Seen in real responses (QUIRKS.md #18):
//! - `"2025-01-15 16:31:09"` (scans, etd, pickup dates), sometimes with microseconds;
//! - `"16 01 2025 22:40:12"` (webhook `current_timestamp`, day first, spaces);
//! - `"14 Jan 2025, 11:21 AM"` (order and NDR lists);
//! - `"Jan 18, 2025"` (serviceability `etd`, a date only);
//! - `"2025-01-15"` (dates only);
//! - `{"date": "2025-01-14 11:25:03.512340", "timezone_type": 3, "timezone": "Asia/Kolkata"}`
//!   (a PHP `DateTime` serialised as an object);
//! - `"0000-00-00 00:00:00"`, `"NA"`, `""`, `null` for "not yet".

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Deserialize, Deserializer, de};

/// Shiprocket sends no offsets; every timestamp is Indian Standard Time.
pub fn ist() -> FixedOffset {
    // `east_opt` only fails beyond ±24 h.
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("+05:30 is a valid offset")
}

const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%d %m %Y %H:%M:%S",
    "%d %b %Y, %I:%M %p",
    "%d %b %Y %I:%M %p",
    "%d-%m-%Y %H:%M:%S",
];

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%b %d, %Y", "%d %b %Y", "%d-%m-%Y", "%d %m %Y"];

/// Parses any of the formats above into IST. Returns `None` for the "not yet" forms and for
/// text that is not a date at all.
pub fn parse_datetime(text: &str) -> Option<DateTime<FixedOffset>> {
    let t = text.trim();
    if t.is_empty() || t.starts_with("0000-00-00") || t.eq_ignore_ascii_case("na") {
        return None;
    }
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(t) {
        return Some(with_offset);
    }
    let naive = DATETIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| parse_date(t).map(|d| d.and_time(NaiveTime::MIN)))?;
    ist().from_local_datetime(&naive).single()
}

/// Parses a date-only field (serviceability `etd` "Jan 18, 2025"); a full timestamp gives its date.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.is_empty() || t.starts_with("0000-00-00") || t.eq_ignore_ascii_case("na") {
        return None;
    }
    DATE_FORMATS
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .or_else(|| DATETIME_FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(t, f).ok()).map(|dt| dt.date()))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDate {
    Text(String),
    /// PHP `DateTime` → `{"date": "...", "timezone_type": 3, "timezone": "Asia/Kolkata"}`.
    Php {
        date: String,
    },
    Other(serde_json::Value),
}

impl RawDate {
    fn text(&self) -> Option<&str> {
        match self {
            RawDate::Text(t) | RawDate::Php { date: t } => Some(t),
            RawDate::Other(_) => None,
        }
    }
}

/// `#[serde(default, deserialize_with = "time::opt_datetime")]`: any timestamp form → IST.
/// A value that is present but not a recognisable date is an error (it would otherwise
/// silently drop a status change); the blank forms are `None`.
pub fn opt_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
    let Some(raw) = Option::<RawDate>::deserialize(d)? else { return Ok(None) };
    let Some(text) = raw.text() else {
        return match raw {
            RawDate::Other(serde_json::Value::Null) => Ok(None),
            other => Err(de::Error::custom(format!("expected a date, got {:?}", other.text()))),
        };
    };
    if is_blank(text) {
        return Ok(None);
    }
    parse_datetime(text).map(Some).ok_or_else(|| de::Error::custom(format!("unrecognised date format {text:?}")))
}

/// Like [`opt_datetime`] but an unrecognised text is `None` (for informational fields such as
/// `edd` that Shiprocket fills with prose now and then).
pub fn lenient_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
    let raw = Option::<RawDate>::deserialize(d)?;
    Ok(raw.as_ref().and_then(RawDate::text).and_then(parse_datetime))
}

/// `#[serde(default, deserialize_with = "time::opt_date")]` for date-only fields.
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let raw = Option::<RawDate>::deserialize(d)?;
    Ok(raw.as_ref().and_then(RawDate::text).and_then(parse_date))
}

fn is_blank(t: &str) -> bool {
    let t = t.trim();
    t.is_empty() || t.starts_with("0000-00-00") || t.eq_ignore_ascii_case("na")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::{Datelike, Timelike};

    fn utc_string(t: &str) -> String {
        parse_datetime(t).unwrap().with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S").to_string()
    }

    #[test]
    fn every_published_format_reads_as_ist() {
        assert_eq!(utc_string("2025-01-15 16:31:09"), "2025-01-15 11:01:09");
        assert_eq!(utc_string("2025-01-14 11:25:03.512340"), "2025-01-14 05:55:03");
        assert_eq!(utc_string("16 01 2025 22:40:12"), "2025-01-16 17:10:12");
        assert_eq!(utc_string("14 Jan 2025, 11:21 AM"), "2025-01-14 05:51:00");
        assert_eq!(utc_string("24 Jul 2019, 11:11 PM"), "2019-07-24 17:41:00");
        assert_eq!(utc_string("2025-01-15"), "2025-01-14 18:30:00");
        assert_eq!(utc_string("2024-07-24 11:11"), "2024-07-24 05:41:00");
    }

    #[test]
    fn date_only_fields() {
        let d = parse_date("Jan 18, 2025").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2025, 1, 18));
        assert_eq!(parse_date("2025-01-17 23:59:59").unwrap().day(), 17);
    }

    #[test]
    fn blanks_are_none_and_garbage_is_an_error() {
        for blank in ["", "NA", "0000-00-00 00:00:00", "0000-00-00"] {
            assert!(parse_datetime(blank).is_none(), "{blank}");
        }
        #[derive(Deserialize, Debug)]
        struct T {
            #[serde(default, deserialize_with = "opt_datetime")]
            at: Option<DateTime<FixedOffset>>,
        }
        assert!(serde_json::from_str::<T>(r#"{"at": "yesterday-ish"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"at": null}"#).unwrap().at.is_none());
        assert!(serde_json::from_str::<T>(r#"{}"#).unwrap().at.is_none());
        let php: T = serde_json::from_str(
            r#"{"at": {"date": "2025-01-14 11:25:03.512340", "timezone_type": 3, "timezone": "Asia/Kolkata"}}"#,
        )
        .unwrap();
        assert_eq!(php.at.unwrap().hour(), 11);
    }
}
