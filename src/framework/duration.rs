//! Go-style duration strings (`"90s"`, `"1m30s"`, `"500ms"`), as Terraform users write timeouts.

use std::time::Duration;

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::schema::Validator;
use super::value::Value;

/// Parse `"1h2m3s"`, `"1.5s"`, `"250ms"`, `"0"`. Units: ns, us (µs), ms, s, m, h.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err("an empty duration".into());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("{text:?} is not a duration such as \"30s\" or \"1m30s\""));
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| format!("{text:?} has a malformed number"))?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("{text:?} needs a unit (ms, s, m or h), e.g. \"30s\"")),
            u => return Err(format!("{text:?} has an unknown unit {u:?}; use ms, s, m or h")),
        };
        rest = &rest[unit_len..];
        total += n * factor;
    }
    if !total.is_finite() || total > 1e9 {
        return Err(format!("{text:?} is too long"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// A duration string within `[min, max]`.
pub struct DurationBetween(pub Duration, pub Duration);

impl Validator for DurationBetween {
    fn description(&self) -> String {
        format!("must be a duration such as `\"30s\"` or `\"1m30s\"` between {:?} and {:?}", self.0, self.1)
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Value::String(s) = value else { return };
        match parse_duration(s) {
            Ok(d) if d >= self.0 && d <= self.1 => {}
            Ok(d) => diags.error_at(
                path.clone(),
                "Duration out of range",
                format!("`{path}` must be between {:?} and {:?}; {d:?} given.", self.0, self.1),
            ),
            Err(e) => diags.error_at(path.clone(), "Invalid duration", format!("`{path}`: {e}.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("30 seconds").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1e400s").is_err());
    }
}
