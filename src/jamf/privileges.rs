//! Privilege names: checking a role's privileges against the live catalogue and suggesting what
//! the user probably meant. Jamf matches privilege names exactly and case-sensitively, and the
//! catalogue changes between Jamf Pro versions, so it is never hard-coded here.

use std::collections::HashSet;

/// Up to three catalogue names close to `wanted`: same text in another case first, then a
/// singular/plural variant, then the nearest by edit distance.
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
    let singular_plural = |a: &str, b: &str| {
        a.strip_suffix('s') == Some(b) || b.strip_suffix('s') == Some(a) || a.strip_suffix("es") == Some(b)
    };
    for c in catalogue {
        if singular_plural(&c.to_lowercase(), &lower) {
            push(c, &mut out);
        }
    }
    let max_distance = (wanted.chars().count() / 4).clamp(2, 6);
    let mut scored: Vec<(usize, &String)> = catalogue
        .iter()
        .map(|c| (strsim::levenshtein(&c.to_lowercase(), &lower), c))
        .filter(|(d, _)| *d <= max_distance)
        .collect();
    scored.sort();
    for (_, c) in scored {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn far_off_names_get_no_suggestion() {
        assert!(suggestions("Launch Rockets Into Orbit", &catalogue()).is_empty());
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
