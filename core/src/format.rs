//! Human-readable figures. In: byte counts, durations, Unix times. Out: the
//! strings Ollama prints (`HumanBytes`: decimal units, "4.7 GB") and ISO
//! 8601 dates, computed without a clock.

/// Ollama's `format.HumanBytes`: decimal units; an integer from 10 up,
/// one decimal below 10 unless the value is whole.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1_000_000_000_000, "TB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1_000, "KB"),
    ];
    let Some(&(scale, unit)) = UNITS.iter().find(|(scale, _)| bytes >= *scale) else {
        return format!("{bytes} B");
    };
    let value = bytes as f64 / scale as f64;
    if value >= 10.0 || value.fract() == 0.0 {
        format!("{} {unit}", value as u64)
    } else {
        format!("{} {unit}", fixed(value, 1))
    }
}

/// `value` with `places` decimals, rounded as `format!("{value:.places$}")`
/// rounds (the exact binary value, ties to even), for `places` ≤ 3, in
/// integer arithmetic: the app's WebAssembly then needs none of the
/// standard library's float formatting. Negative, NaN and huge values
/// (beyond 2^53 after scaling) are written as 0 and the integer part.
pub fn fixed(value: f64, places: u32) -> String {
    let places = places.min(3);
    let scale = 10u64.pow(places);
    let scaled = round_half_even_scaled(value, scale);
    let whole = scaled / scale;
    match places {
        0 => whole.to_string(),
        p => format!("{whole}.{:0width$}", scaled % scale, width = p as usize),
    }
}

/// `value × scale` rounded to an integer exactly (ties to even).
fn round_half_even_scaled(value: f64, scale: u64) -> u64 {
    if value.is_nan() || value <= 0.0 || value.is_infinite() {
        return 0;
    }
    let bits = value.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let mantissa = if exp == 0 {
        fraction
    } else {
        fraction | (1 << 52)
    };
    // value = mantissa × 2^shift
    let shift = exp.max(1) - 1075;
    let product = u128::from(mantissa) * u128::from(scale);
    if shift >= 0 {
        return u64::try_from(product << shift.min(64)).unwrap_or(u64::MAX);
    }
    let down = (-shift) as u32;
    if down >= 128 {
        return 0;
    }
    let (q, r) = (product >> down, product & ((1u128 << down) - 1));
    let half = 1u128 << (down - 1);
    let up = r > half || (r == half && q & 1 == 1);
    u64::try_from(q + u128::from(up)).unwrap_or(u64::MAX)
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn iso8601_utc(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// "3 days ago", like Ollama's `format.HumanTime`, relative to `now_ms`.
pub fn relative_time(then_ms: i64, now_ms: i64) -> String {
    let secs = (now_ms - then_ms) / 1000;
    let (future, secs) = (secs < 0, secs.unsigned_abs());
    let (n, unit) = match secs {
        0..=59 => {
            return if future {
                "in a moment".into()
            } else {
                "just now".into()
            }
        }
        60..=3599 => (secs / 60, "minute"),
        3600..=86_399 => (secs / 3600, "hour"),
        86_400..=2_591_999 => (secs / 86_400, "day"),
        2_592_000..=31_535_999 => (secs / 2_592_000, "month"),
        _ => (secs / 31_536_000, "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if future {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `text` with its first letter made upper case (a sentence from a
/// clause).
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn capitalized_makes_a_sentence() {
        assert_eq!(
            super::capitalized("no blob is removed"),
            "No blob is removed"
        );
        assert_eq!(super::capitalized(""), "");
    }

    use super::*;

    #[test]
    fn fixed_rounds_as_the_standard_formatter_does() {
        let mut x = 0.0001f64;
        let mut seed = 7u64;
        for _ in 0..20_000 {
            for places in 0..=3 {
                assert_eq!(
                    fixed(x, places),
                    format!("{x:.p$}", p = places as usize),
                    "{x} {places}"
                );
            }
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x = (seed >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((seed % 12) as i32 - 3);
        }
        for tie in [
            0.5, 1.5, 2.5, 0.125, 0.375, 1.05, 2.675, 100.0, 99.95, 9.999, 12345.5,
        ] {
            for places in 0..=3 {
                assert_eq!(
                    fixed(tie, places),
                    format!("{tie:.p$}", p = places as usize),
                    "{tie} {places}"
                );
            }
        }
        assert_eq!(fixed(-1.0, 1), "0.0");
        assert_eq!(fixed(f64::NAN, 0), "0");
    }

    #[test]
    fn human_bytes_matches_ollama() {
        // Expected strings as Go's HumanBytes prints them (%d / %.1f).
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1 KB");
        assert_eq!(human_bytes(1500), "1.5 KB");
        assert_eq!(human_bytes(4_661_224_676), "4.7 GB");
        assert_eq!(human_bytes(1_600_000_000), "1.6 GB");
        assert_eq!(human_bytes(274_302_450), "274 MB");
        assert_eq!(human_bytes(2_000_000_000), "2 GB");
        assert_eq!(human_bytes(12_900_000_000), "12 GB");
        assert_eq!(human_bytes(5_000_000_000_000), "5 TB");
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(1_795_305_599_000), "2026-11-21T23:59:59Z");
        assert_eq!(iso8601_utc(-1000), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn relative_times() {
        let now = 1_000_000_000_000;
        assert_eq!(relative_time(now - 5_000, now), "just now");
        assert_eq!(relative_time(now - 60_000, now), "1 minute ago");
        assert_eq!(relative_time(now - 3 * 86_400_000, now), "3 days ago");
        assert_eq!(relative_time(now + 7_200_000, now), "in 2 hours");
    }
}
