//! apimachinery's `duration.HumanDuration`, which every AGE cell of kubectl uses.

use std::time::Duration;

/// `HumanDuration` of a signed number of milliseconds (negative = in the future).
pub fn human_millis(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    human_duration(Duration::from_millis(millis.max(0) as u64))
}

/// `duration.HumanDuration` (apimachinery `pkg/util/duration/duration.go`).
pub fn human_duration(d: Duration) -> String {
    let seconds = d.as_secs();
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{h}h", hours / 24);
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{dy}d", hours / 24 / 365);
    }
    format!("{}y", hours / 24 / 365)
}

/// Go's `time.ParseDuration` (`30s`, `1m30s`, `1.5h`, `500ms`; a bare `0` too), as kubectl's
/// `--timeout` flags read it. `None` for anything else (negative durations included).
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() || rest.len() > 64 {
        return None;
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total_nanos += number * nanos_per_unit;
    }
    (total_nanos.is_finite() && total_nanos < 1e19)
        .then(|| Duration::from_nanos(total_nanos as u64))
}

/// Go's `Duration.String` for whole milliseconds: `0s`, `30s`, `1m0s`, `1h2m3s`, `1.5s`.
pub fn go_duration(d: Duration) -> String {
    let millis = d.as_millis();
    if millis == 0 {
        return "0s".to_owned();
    }
    let hours = millis / 3_600_000;
    let minutes = (millis / 60_000) % 60;
    let seconds = (millis / 1000) % 60;
    let fraction = millis % 1000;
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if fraction == 0 {
        out.push_str(&format!("{seconds}s"));
    } else if millis < 1000 {
        out.push_str(&format!("{fraction}ms"));
    } else {
        let frac = format!("{fraction:03}");
        out.push_str(&format!("{seconds}.{}s", frac.trim_end_matches('0')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(millis: u64, want: &str) {
        assert_eq!(
            human_duration(Duration::from_millis(millis)),
            want,
            "{millis}ms"
        );
    }

    #[test]
    fn apimachinery_vectors() {
        let s = 1000;
        let m = 60 * s;
        let h = 60 * m;
        let d = 24 * h;
        let y = 365 * d;
        check(70 * s, "70s");
        check(119_999, "119s");
        check(2 * m, "2m");
        check(2 * m + s, "2m1s");
        check(190 * s, "3m10s");
        check(9 * m + 59_999, "9m59s");
        check(10 * m + s, "10m");
        check(70 * m, "70m");
        check(179 * m + 59_400, "179m");
        check(3 * h, "3h");
        check(3 * h + m, "3h1m");
        check(7 * h + 59 * m + 59_400, "7h59m");
        check(8 * h + 59 * m, "8h");
        check(47 * h, "47h");
        check(49 * h, "2d1h");
        check(8 * d + 23 * h, "8d");
        check(367 * d, "367d");
        check(2 * y + 23 * h, "2y");
        check(2 * y + 25 * h, "2y1d");
        check(7 * y + 364 * d, "7y364d");
        check(8 * y, "8y");
    }

    #[test]
    fn clock_skew() {
        assert_eq!(human_millis(-500), "0s");
        assert_eq!(human_millis(-1000), "0s");
        assert_eq!(human_millis(-2000), "<invalid>");
        assert_eq!(human_millis(5000), "5s");
    }

    #[test]
    fn go_durations_parse_and_print() {
        assert_eq!(parse_go_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("-1s"), None);
        assert_eq!(parse_go_duration("1x"), None);
        assert_eq!(go_duration(Duration::from_secs(30)), "30s");
        assert_eq!(go_duration(Duration::from_secs(60)), "1m0s");
        assert_eq!(go_duration(Duration::from_secs(3723)), "1h2m3s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
    }
}
