//! The providers' plan-time password rule against the simulator's set-password rule, which
//! stands in for the portal's. Moved out of `mdmkit`'s unit tests because the simulator is its
//! own crate (`mdm-sim`) and the providers' package must not depend on it.

use mdmkit::maas360::password::password_problems;

#[test]
fn the_plan_time_rule_is_never_stricter_than_the_portal() {
    // Control characters are the one deliberate difference (they cannot be sent in an XML
    // sign-in body): the providers refuse them, the portal may not.
    for p in [
        "Passw0rd word",
        "Passw0rd!",
        "Пароль12!",
        "short1!",
        "12345678!",
        "Password!",
        "Passw0rdXY",
        "        ",
        "aaaa 1111",
        "Ab1!Ab1!",
    ] {
        let portal = mdm_sim::maas360::check_password_rule(p).is_ok();
        assert_eq!(password_problems(p).is_empty(), portal, "{p:?}: the portal says {portal}");
    }
    assert!(!password_problems("Passw0rd\u{7}x").is_empty());
}
