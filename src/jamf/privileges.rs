//! Privilege names: checking a role's privileges against the live catalogue and suggesting what
//! the user probably meant. Jamf matches privilege names exactly and case-sensitively, and the
//! catalogue changes between Jamf Pro versions, so it is never hard-coded here.

use std::collections::HashSet;

use crate::framework::{AttributePath, Diagnostic};

use super::client::{JamfError, JamfErrorKind};

/// Where Jamf Pro's web UI (and the vendor guides that copy it) words a privilege differently from
/// the API: lowercase `(UI, API)` fragments. Terminology, not a privilege list.
const UI_WORDING: &[(&str, &str)] = &[
    ("mobile device configuration profiles", "ios configuration profiles"),
    ("computer configuration profiles", "macos configuration profiles"),
];

/// Longer than any privilege name Jamf Pro has (the longest is about 70 characters).
const LONGEST_PLAUSIBLE_NAME: usize = 200;

/// Lowercase words, for comparing names that differ by whole words.
fn words(s: &str) -> Vec<String> {
    s.to_lowercase().split_whitespace().map(str::to_string).collect()
}

/// Share of words two names have in common (Jaccard), when they start with the same verb.
fn word_overlap(a: &[String], b: &[String]) -> f64 {
    if a.first() != b.first() {
        return 0.0;
    }
    let a: HashSet<&String> = a.iter().collect();
    let b: HashSet<&String> = b.iter().collect();
    a.intersection(&b).count() as f64 / a.union(&b).count() as f64
}

/// Up to three catalogue names close to `wanted`: same text in another case first, then the API's
/// wording of a UI name, then a singular/plural variant, then the nearest by edit distance, then
/// names sharing most of their words (a word repeated or replaced).
pub fn suggestions(wanted: &str, catalogue: &[String]) -> Vec<String> {
    let lower = wanted.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    let push = |s: &String, out: &mut Vec<String>| {
        if !out.contains(s) && out.len() < 3 {
            out.push(s.clone());
        }
    };
    for c in catalogue {
        if c.to_lowercase() == lower {
            push(c, &mut out);
        }
    }
    for (ui, api) in UI_WORDING {
        if lower.contains(ui) {
            let reworded = lower.replace(ui, api);
            for c in catalogue {
                if c.to_lowercase() == reworded {
                    push(c, &mut out);
                }
            }
        }
    }
    let singular_plural = |a: &str, b: &str| {
        a.strip_suffix('s') == Some(b) || b.strip_suffix('s') == Some(a) || a.strip_suffix("es") == Some(b)
    };
    for c in catalogue {
        if singular_plural(&c.to_lowercase(), &lower) {
            push(c, &mut out);
        }
    }
    let wanted_len = lower.chars().count();
    if wanted_len > LONGEST_PLAUSIBLE_NAME {
        // No privilege is anywhere near this long: nothing below could match, and the distance
        // computations are quadratic in the name's length.
        return out;
    }
    let max_distance = (wanted_len / 4).clamp(2, 6);
    let mut scored: Vec<(usize, &String)> = catalogue
        .iter()
        // The edit distance is at least the length difference: skip hopeless candidates before
        // paying for the quadratic distance (a huge name must not make the plan crawl).
        .filter(|c| c.chars().count().abs_diff(wanted_len) <= max_distance)
        .map(|c| (strsim::levenshtein(&c.to_lowercase(), &lower), c))
        .filter(|(d, _)| *d <= max_distance)
        .collect();
    scored.sort();
    for (_, c) in scored {
        push(c, &mut out);
    }
    let wanted_words = words(wanted);
    let mut overlapping: Vec<(f64, usize, &String)> = catalogue
        .iter()
        .map(|c| (word_overlap(&wanted_words, &words(c)), c))
        .filter(|(o, _)| *o >= 0.6)
        .map(|(o, c)| (o, strsim::levenshtein(&c.to_lowercase(), &lower), c))
        .collect();
    overlapping.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, c) in overlapping {
        push(c, &mut out);
    }
    out
}

/// The names of `wanted` that are not in `catalogue`, in the order given.
///
/// Called by every role's plan: a role names a handful of privileges, so each is looked up with a
/// scan of the catalogue; only many names at once pay for hashing the catalogue (hundreds of
/// entries) into a set.
pub fn unknown<'a>(wanted: impl IntoIterator<Item = &'a String>, catalogue: &[String]) -> Vec<&'a String> {
    let wanted: Vec<&String> = wanted.into_iter().collect();
    if wanted.len() <= SCAN_LIMIT {
        return wanted.into_iter().filter(|w| !catalogue.iter().any(|c| c == *w)).collect();
    }
    let known: HashSet<&str> = catalogue.iter().map(String::as_str).collect();
    wanted.into_iter().filter(|w| !known.contains(w.as_str())).collect()
}

/// Up to this many names, [`unknown`] scans instead of building a set.
const SCAN_LIMIT: usize = 16;

/// "Did you mean …?" text for one unknown name.
pub fn did_you_mean(wanted: &str, catalogue: &[String]) -> String {
    let s = suggestions(wanted, catalogue);
    match s.as_slice() {
        [] => "No privilege has a similar name; see the jamf_api_role_privileges data source for the full list."
            .to_string(),
        [one] => format!("Did you mean {one:?}?"),
        many => {
            format!("Did you mean one of: {}?", many.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "))
        }
    }
}

/// The plan-time warning when the privilege catalogue cannot be read: says what really happened,
/// and blames a missing privilege only when Jamf Pro answered 403.
pub fn not_checked(e: &JamfError) -> Diagnostic {
    let (what, hint) = match e.kind() {
        JamfErrorKind::Forbidden { .. } => {
            ("could not be read", " The provider's API client needs \"Read API Roles\" for this check.".to_string())
        }
        JamfErrorKind::Transport { .. } => {
            ("could not be read: Jamf Pro did not answer", " Check the provider's url and the network path.".into())
        }
        JamfErrorKind::Server { .. } => ("could not be read: Jamf Pro answered with a server error", String::new()),
        JamfErrorKind::RateLimited { .. } => ("could not be read: Jamf Pro rate-limited the request", String::new()),
        _ => ("could not be read", String::new()),
    };
    Diagnostic::warning(
        "Privileges not checked",
        format!(
            "The privilege catalogue {what} ({e}), so privilege names were not checked at plan time; Jamf Pro will \
             reject unknown names when applying.{hint}"
        ),
    )
    .at(AttributePath::attr("privileges"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jamf::client::{Call, Op};
    use crate::rest::TransportKind;
    use reqwest::Method;

    fn catalogue_error(status: Option<u16>, attempts: u32, kind: JamfErrorKind) -> JamfError {
        let call = Call::new(Op::ListPrivileges, Method::GET, "/api/v1/api-role-privileges");
        let call = match status {
            Some(s) => call.answered(s, attempts),
            None => call.unanswered(attempts),
        };
        JamfError::new(call, kind)
    }

    #[test]
    fn a_forbidden_catalogue_names_the_missing_privilege() {
        let d = not_checked(&catalogue_error(Some(403), 1, JamfErrorKind::Forbidden { api: Box::default() }));
        assert_eq!(d.summary, "Privileges not checked");
        assert!(!d.is_error());
        assert!(d.detail.contains("needs \"Read API Roles\""), "{}", d.detail);
        assert!(d.detail.contains("http 403"), "{}", d.detail);
    }

    #[test]
    fn an_unreachable_or_failing_server_is_not_blamed_on_a_privilege() {
        let timeout = catalogue_error(
            None,
            5,
            JamfErrorKind::Transport { failure: TransportKind::Timeout, message: "timed out".into() },
        );
        let server = catalogue_error(Some(503), 5, JamfErrorKind::Server { api: Box::default() });
        for (e, said) in [(timeout, "Jamf Pro did not answer"), (server, "server error")] {
            let d = not_checked(&e);
            assert!(d.detail.contains(said), "{}", d.detail);
            assert!(d.detail.contains("after 5 attempt(s)"), "{}", d.detail);
            assert!(!d.detail.contains("Read API Roles"), "{}", d.detail);
        }
    }

    fn catalogue() -> Vec<String> {
        include_str!("../../data/jamf-privileges.txt").lines().map(str::to_string).collect()
    }

    #[test]
    fn case_mismatch_suggests_the_exact_name_first() {
        let s = suggestions("read computers", &catalogue());
        assert_eq!(s[0], "Read Computers");
    }

    #[test]
    fn plural_mismatch_is_found() {
        // The API says "Read User" although the UI says "Users".
        let s = suggestions("Read Users", &catalogue());
        assert!(s.contains(&"Read User".to_string()), "{s:?}");
    }

    #[test]
    fn typos_are_found() {
        let s = suggestions("Read Computres", &catalogue());
        assert_eq!(s[0], "Read Computers");
        assert!(did_you_mean("Read Computres", &catalogue()).starts_with("Did you mean"));
    }

    #[test]
    fn ui_wording_is_mapped_to_the_api_name() {
        let s = suggestions("Read Mobile Device Configuration Profiles", &catalogue());
        assert_eq!(s[0], "Read iOS Configuration Profiles");
        let s = suggestions("Update Computer Configuration Profiles", &catalogue());
        assert_eq!(s[0], "Update macOS Configuration Profiles");
    }

    #[test]
    fn a_repeated_or_replaced_word_is_found() {
        // StackOne's guide lists this one.
        let s = suggestions("Send Mobile Device Mobile Device Wipe Command", &catalogue());
        assert_eq!(s[0], "Send Mobile Device Remote Wipe Command", "{s:?}");
    }

    #[test]
    fn far_off_names_get_no_suggestion() {
        assert!(suggestions("Launch Rockets Into Orbit", &catalogue()).is_empty());
    }

    #[test]
    fn a_huge_name_is_answered_at_once() {
        let huge = "x".repeat(2 << 20);
        let started = std::time::Instant::now();
        assert!(suggestions(&huge, &catalogue()).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn unknown_keeps_order() {
        let wanted = ["Read Computers".to_string(), "Nope".to_string()];
        assert_eq!(unknown(&wanted, &catalogue()), vec![&"Nope".to_string()]);
    }

    #[test]
    fn unknown_agrees_above_and_below_the_scan_limit() {
        let cat = catalogue();
        let mut wanted: Vec<String> = cat.iter().take(3 * SCAN_LIMIT).cloned().collect();
        wanted.insert(5, "Nope".into());
        wanted.push("read computers".into());
        for n in [1, SCAN_LIMIT, SCAN_LIMIT + 1, wanted.len()] {
            let expected: Vec<&String> = wanted[..n].iter().filter(|w| !cat.contains(w)).collect();
            assert_eq!(unknown(&wanted[..n], &cat), expected, "n = {n}");
        }
    }
}
