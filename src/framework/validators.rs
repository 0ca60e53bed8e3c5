//! Common validators. Each runs only on known, non-null values and skips unknown elements.

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::schema::Validator;
use super::value::Value;

/// A string of at least `min` characters (Unicode scalar values).
pub struct StringLengthAtLeast(pub usize);

impl Validator for StringLengthAtLeast {
    fn description(&self) -> String {
        if self.0 == 1 { "must not be empty".into() } else { format!("must be at least {} characters long", self.0) }
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Value::String(s) = value
            && s.chars().count() < self.0
        {
            diags.error_at(
                path.clone(),
                "Value too short",
                format!("`{path}` {}; set a longer value.", self.description()),
            );
        }
    }
}

/// A string of at most `max` characters.
pub struct StringLengthAtMost(pub usize);

impl Validator for StringLengthAtMost {
    fn description(&self) -> String {
        format!("must be at most {} characters long", self.0)
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Value::String(s) = value {
            let n = s.chars().count();
            if n > self.0 {
                diags.error_at(
                    path.clone(),
                    "Value too long",
                    format!("`{path}` {} ({n} given); shorten it.", self.description()),
                );
            }
        }
    }
}

/// Control characters are never part of a name a user means; both name validators refuse them.
fn refuse_control_characters(s: &str, path: &AttributePath, diags: &mut Diagnostics) {
    if s.chars().any(char::is_control) {
        diags.error_at(
            path.clone(),
            "Control character in value",
            format!("`{path}` must not contain control characters such as newlines or tabs."),
        );
    }
}

/// A string without leading or trailing whitespace and without control characters: names that
/// a vendor trims or rejects would otherwise show a perpetual diff.
pub struct StringTrimmedPrintable;

impl Validator for StringTrimmedPrintable {
    fn description(&self) -> String {
        "must not start or end with whitespace or contain control characters".into()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Value::String(s) = value {
            if s.trim() != s {
                diags.error_at(
                    path.clone(),
                    "Leading or trailing whitespace",
                    format!("`{path}` must not start or end with whitespace; remove it from {s:?}."),
                );
            }
            refuse_control_characters(s, path, diags);
        }
    }
}

/// Like [`StringTrimmedPrintable`], but leading or trailing whitespace is a warning: for names
/// of objects that may already exist with it (made in a vendor's console and being adopted),
/// where an error would make the existing object impossible to manage as it is.
pub struct StringPrintableTrimAdvised;

impl Validator for StringPrintableTrimAdvised {
    fn description(&self) -> String {
        "must not contain control characters, and should not start or end with whitespace".into()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Value::String(s) = value {
            if s.trim() != s {
                diags.warning_at(
                    path.clone(),
                    "Leading or trailing whitespace",
                    format!(
                        "`{path}` {s:?} starts or ends with whitespace, which is easy to miss when the name is \
                         typed elsewhere. Keep it only if the existing object has it (an adopted one); otherwise \
                         remove it."
                    ),
                );
            }
            refuse_control_characters(s, path, diags);
        }
    }
}

/// A whole number of at least `min`.
pub struct IntegerAtLeast(pub i64);

impl Validator for IntegerAtLeast {
    fn description(&self) -> String {
        format!("must be a whole number of at least {}", self.0)
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Value::Number(n) = value {
            let ok = match n.as_i64() {
                Some(i) => i >= self.0,
                // Huge whole numbers are above any i64 minimum; fractions and -Inf are not valid.
                None => n.is_integer() && n.to_f64_lossy() > 0.0,
            };
            if !ok {
                diags.error_at(path.clone(), "Invalid number", format!("`{path}` {}; {n} is not.", self.description()));
            }
        }
    }
}

/// A whole number of at most `max`.
pub struct IntegerAtMost(pub i64);

impl Validator for IntegerAtMost {
    fn description(&self) -> String {
        format!("must be at most {}", self.0)
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Value::Number(n) = value {
            let ok = n.as_i64().is_some_and(|i| i <= self.0) || n.to_f64_lossy() < i64::MIN as f64;
            if !ok {
                diags.error_at(
                    path.clone(),
                    "Number too large",
                    format!("`{path}` {}; {n} is not.", self.description()),
                );
            }
        }
    }
}

/// A collection with at least `min` elements.
pub struct SizeAtLeast(pub usize);

impl Validator for SizeAtLeast {
    fn description(&self) -> String {
        format!("must contain at least {} element{}", self.0, if self.0 == 1 { "" } else { "s" })
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let n = match value {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.len(),
            Value::Map(m) => m.len(),
            _ => return,
        };
        if n < self.0 {
            diags.error_at(path.clone(), "Not enough elements", format!("`{path}` {}; {n} given.", self.description()));
        }
    }
}

/// Every known string element of a collection passes `inner`.
pub struct EachElement<V: Validator>(pub V);

impl<V: Validator> Validator for EachElement<V> {
    fn description(&self) -> String {
        format!("each element {}", self.0.description())
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        // An element's own path is built only when it has something to report: checked first
        // at the collection's path, and again at its own if that found anything.
        let check = |item: &Value, own: &dyn Fn() -> AttributePath, diags: &mut Diagnostics| {
            let mut found = Diagnostics::new();
            self.0.validate(item, path, &mut found);
            if !found.is_empty() {
                self.0.validate(item, &own(), diags);
            }
        };
        match value {
            Value::List(items) | Value::Tuple(items) => {
                for (i, item) in items.iter().enumerate() {
                    if item.is_known() && !item.is_null() {
                        check(item, &|| path.clone().then_index(i as i64), diags);
                    }
                }
            }
            Value::Set(items) => {
                for item in items {
                    if let Value::String(s) = item {
                        check(item, &|| path.clone().then_key(s.clone()), diags);
                    }
                }
            }
            Value::Map(m) => {
                for (k, item) in m {
                    if item.is_known() && !item.is_null() {
                        check(item, &|| path.clone().then_key(k.clone()), diags);
                    }
                }
            }
            _ => {}
        }
    }
}

/// One of a fixed set of strings.
pub struct OneOf(pub &'static [&'static str]);

impl Validator for OneOf {
    fn description(&self) -> String {
        let quoted: Vec<String> = self.0.iter().map(|s| format!("`{s}`")).collect();
        format!("must be one of {}", quoted.join(", "))
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Value::String(s) = value
            && !self.0.contains(&s.as_str())
        {
            diags.error_at(path.clone(), "Invalid value", format!("`{path}` {}; {s:?} is not.", self.description()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &dyn Validator, value: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        v.validate(&value, &AttributePath::attr("x"), &mut d);
        d
    }

    #[test]
    fn an_explicit_null_for_a_required_attribute_is_an_error_at_its_path() {
        use crate::framework::schema::{Attribute, Block};
        use crate::framework::server::validate_block;
        let block = Block {
            attributes: vec![Attribute::string("email").required(), Attribute::string("name").optional()],
            ..Block::default()
        };
        let config = |email: Value| {
            Value::Object([("email".to_string(), email), ("name".to_string(), Value::Null)].into_iter().collect())
        };
        let mut d = Diagnostics::new();
        validate_block(&block, &config(Value::Null), &mut AttributePath::root(), &mut d);
        assert!(d.has_error() && d.len() == 1, "{d:?}");
        let shown = format!("{d:?}");
        assert!(shown.contains("Missing required argument") && shown.contains("email"), "{shown}");
        for fine in [Value::from("a@example.com"), Value::Unknown] {
            let mut d = Diagnostics::new();
            validate_block(&block, &config(fine), &mut AttributePath::root(), &mut d);
            assert!(d.is_empty(), "{d:?}");
        }
    }

    #[test]
    fn integer_at_least() {
        assert!(run(&IntegerAtLeast(1), Value::from(0)).has_error());
        assert!(!run(&IntegerAtLeast(1), Value::from(1)).has_error());
        assert!(run(&IntegerAtLeast(1), Value::Number("1.5".parse().unwrap())).has_error());
        assert!(!run(&IntegerAtLeast(1), Value::Number("1e30".parse().unwrap())).has_error());
        assert!(run(&IntegerAtLeast(1), Value::Number(super::super::value::Number::NegInfinity)).has_error());
    }

    #[test]
    fn size_and_each_element() {
        assert!(run(&SizeAtLeast(1), Value::Set(vec![])).has_error());
        let d = run(&EachElement(StringLengthAtLeast(1)), Value::Set(vec!["".into(), "ok".into()]));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path.as_ref().unwrap().to_string(), r#"x[""]"#);
        // Each element is reported at its own path, however many pass.
        let d = run(&EachElement(StringLengthAtLeast(1)), Value::List(vec!["ok".into(), "".into(), "".into()]));
        let paths: Vec<String> = d.iter().map(|d| d.path.as_ref().unwrap().to_string()).collect();
        assert_eq!(paths, ["x[1]", "x[2]"]);
        let m = Value::Map([("k".to_string(), Value::from("")), ("l".to_string(), Value::from("ok"))].into());
        let d = run(&EachElement(StringLengthAtLeast(1)), m);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path.as_ref().unwrap().to_string(), r#"x["k"]"#);
    }

    #[test]
    fn trimmed_printable() {
        assert!(run(&StringTrimmedPrintable, " a".into()).has_error());
        assert!(run(&StringTrimmedPrintable, "a\nb".into()).has_error());
        assert!(!run(&StringTrimmedPrintable, "a b".into()).has_error());
        let d = run(&StringPrintableTrimAdvised, "a ".into());
        assert!(!d.has_error() && d.len() == 1, "whitespace is a warning");
        assert!(run(&StringPrintableTrimAdvised, "a\tb".into()).has_error());
        assert!(run(&StringPrintableTrimAdvised, "a b".into()).is_empty());
    }
}
