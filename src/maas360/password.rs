//! MaaS360's password rule (reference maas360-api.md, S10), checked at plan time so that a
//! `password_wo` the portal would refuse fails before any account is touched.

/// Which part of the password rule (S10: ≥ 8 characters, ≥ 1 letter, ≥ 1 digit, ≥ 1 special
/// character) a password breaks; never includes the password.
pub fn password_problems(p: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if p.chars().count() < 8 {
        out.push("it must be at least 8 characters long");
    }
    if !p.chars().any(|c| c.is_alphabetic()) {
        out.push("it must contain at least one letter");
    }
    if !p.chars().any(|c| c.is_ascii_digit()) {
        out.push("it must contain at least one number");
    }
    // Anything but a letter or digit counts, a space included, as in the portal.
    if !p.chars().any(|c| !c.is_alphanumeric()) {
        out.push("it must contain at least one special character such as ! or #");
    }
    if p.chars().any(char::is_control) {
        out.push("it must not contain control characters");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule_names_each_broken_part_without_the_password() {
        assert!(password_problems("Secr3t!pass").is_empty());
        let p = password_problems("short");
        assert!(p.contains(&"it must be at least 8 characters long"));
        assert!(p.contains(&"it must contain at least one number"));
        assert!(p.contains(&"it must contain at least one special character such as ! or #"));
        assert_eq!(password_problems("12345678!"), vec!["it must contain at least one letter"]);
        for msg in password_problems("hunter") {
            assert!(!msg.contains("hunter"));
        }
    }

    #[test]
    fn control_characters_are_refused() {
        // The one deliberate difference from the portal: they cannot be sent in an XML sign-in body.
        assert_eq!(password_problems("Passw0rd\u{7}x"), vec!["it must not contain control characters"]);
    }

    #[test]
    fn a_space_counts_as_a_special_character_and_any_alphabet_as_letters() {
        assert!(password_problems("Passw0rd word").is_empty());
        assert!(password_problems("Пароль12!").is_empty());
    }
}
