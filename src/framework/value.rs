//! `Value`: a Terraform value with Null and Unknown at any depth.
//!
//! Values are untyped trees: the schema supplies the type when they are encoded or decoded, exactly
//! as Terraform's own wire format requires (sets, lists and tuples all look alike on the wire).
//! The one exception is a value of a `dynamic` attribute, which carries its concrete type.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use bigdecimal::{BigDecimal, ToPrimitive};

use super::types::Type;

/// A cty number, kept exact: Terraform numbers are arbitrary-precision decimals, so neither `i64`
/// nor `f64` can hold every value a user may write (2^64+1, 0.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Number {
    /// A finite decimal.
    Finite(BigDecimal),
    /// Positive infinity.
    PosInfinity,
    /// Negative infinity.
    NegInfinity,
}

impl Number {
    /// The exact value of an `i64`.
    pub fn from_i64(v: i64) -> Number {
        Number::Finite(BigDecimal::from(v))
    }

    /// The exact value of a `u64`.
    pub fn from_u64(v: u64) -> Number {
        Number::Finite(BigDecimal::from(v))
    }

    /// The exact value of a float (as cty does: no decimal rounding).
    pub fn from_f64(v: f64) -> Option<Number> {
        if v.is_nan() {
            None
        } else if v == f64::INFINITY {
            Some(Number::PosInfinity)
        } else if v == f64::NEG_INFINITY {
            Some(Number::NegInfinity)
        } else {
            BigDecimal::try_from(v).ok().map(Number::Finite)
        }
    }

    /// The number as an `i64` if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Finite(d) if d.is_integer() => d.to_i64(),
            _ => None,
        }
    }

    /// The number as a `u64` if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Number::Finite(d) if d.is_integer() => d.to_u64(),
            _ => None,
        }
    }

    /// The nearest `f64`.
    pub fn to_f64_lossy(&self) -> f64 {
        match self {
            Number::PosInfinity => f64::INFINITY,
            Number::NegInfinity => f64::NEG_INFINITY,
            Number::Finite(d) => d.to_f64().unwrap_or(f64::NAN),
        }
    }

    /// Whether the number is finite and has no fraction.
    pub fn is_integer(&self) -> bool {
        matches!(self, Number::Finite(d) if d.is_integer())
    }
}

impl fmt::Display for Number {
    /// Plain decimal text, as Terraform's `big.Float.Text('f', -1)` would print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::PosInfinity => f.write_str("+Inf"),
            Number::NegInfinity => f.write_str("-Inf"),
            Number::Finite(d) => f.write_str(&d.normalized().to_plain_string()),
        }
    }
}

/// A decimal text that is not a number.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0:?} is not a number")]
pub struct ParseNumberError(pub String);

impl FromStr for Number {
    type Err = ParseNumberError;
    fn from_str(s: &str) -> Result<Number, ParseNumberError> {
        match s.trim() {
            "+Inf" | "Inf" | "inf" | "+inf" => Ok(Number::PosInfinity),
            "-Inf" | "-inf" => Ok(Number::NegInfinity),
            t => BigDecimal::from_str(t).map(Number::Finite).map_err(|_| ParseNumberError(s.to_string())),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        use Number::*;
        match (self, other) {
            (NegInfinity, NegInfinity) | (PosInfinity, PosInfinity) => Ordering::Equal,
            (NegInfinity, _) | (_, PosInfinity) => Ordering::Less,
            (PosInfinity, _) | (_, NegInfinity) => Ordering::Greater,
            (Finite(a), Finite(b)) => a.cmp(b),
        }
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        Number::from_i64(v)
    }
}

/// A Terraform value.
#[derive(Clone, Debug)]
pub enum Value {
    /// Null (of whatever type the schema says).
    Null,
    /// Not known until apply.
    Unknown,
    /// A known bool.
    Bool(bool),
    /// A known number.
    Number(Number),
    /// A known string.
    String(String),
    /// Elements of a list, in order.
    List(Vec<Value>),
    /// Elements of a set; order carries no meaning and equality ignores it.
    Set(Vec<Value>),
    /// Elements of a tuple, in order.
    Tuple(Vec<Value>),
    /// Entries of a map.
    Map(BTreeMap<String, Value>),
    /// An object or a nested block: always one entry per attribute of its type.
    Object(BTreeMap<String, Value>),
    /// A known value of a `dynamic` attribute with the concrete type it was sent with
    /// (the inner value may still be null or unknown, as cty allows typed nulls).
    Dynamic(Box<Type>, Box<Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A number value.
    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// An object value with these attributes.
    pub fn object<I: IntoIterator<Item = (S, Value)>, S: Into<String>>(attrs: I) -> Value {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is unknown (at this level).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Known, at this level (children may still be unknown).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Known at every depth.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_wholly_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Entries of a map or object, to change them.
    pub fn as_entries_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// An attribute of an object (`Null` when this is null or has no such attribute).
    pub fn attr(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Object(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Replace every unknown inside a collection or nested object by a wholly unknown collection,
    /// keeping the root's own attributes apart. Typed models cannot hold a partly unknown set.
    pub fn collapse_partial_unknowns(&self) -> Value {
        self.clone().into_collapsed_partial_unknowns()
    }

    /// [`Value::collapse_partial_unknowns`] of a value no longer needed: nothing is copied.
    pub fn into_collapsed_partial_unknowns(mut self) -> Value {
        if let Value::Object(m) = &mut self {
            for v in m.values_mut().filter(|v| !v.is_wholly_known()) {
                *v = Value::Unknown;
            }
        }
        self
    }
}

impl PartialEq for Value {
    /// Structural equality; sets compare as sets.
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) | (Unknown, Unknown) => true,
            (Bool(a), Bool(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Set(a), Set(b)) => set_eq(a, b),
            (Map(a), Map(b)) | (Object(a), Object(b)) => a == b,
            (Dynamic(ta, a), Dynamic(tb, b)) => ta == tb && a == b,
            _ => false,
        }
    }
}

fn set_eq(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Sets are small (privileges, role names): quadratic matching keeps this simple and exact.
    let mut used = vec![false; b.len()];
    'outer: for x in a {
        for (i, y) in b.iter().enumerate() {
            if !used[i] && x == y {
                used[i] = true;
                continue 'outer;
            }
        }
        return false;
    }
    true
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(Number::from_i64(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_ignore_order() {
        let a = Value::Set(vec!["x".into(), "y".into()]);
        let b = Value::Set(vec!["y".into(), "x".into()]);
        assert_eq!(a, b);
        assert_ne!(Value::List(vec!["x".into(), "y".into()]), Value::List(vec!["y".into(), "x".into()]));
        assert_ne!(a, Value::Set(vec!["x".into(), "x".into()]));
    }

    #[test]
    fn numbers_are_exact() {
        let big: Number = "18446744073709551617".parse().unwrap();
        assert_eq!(big.as_i64(), None);
        assert_eq!(big.to_string(), "18446744073709551617");
        let tenth: Number = "0.1".parse().unwrap();
        let float_tenth = Number::from_f64(0.1).unwrap();
        // The float 0.1 is kept exactly, as the binary value it is: not the decimal 0.1.
        assert!(float_tenth.to_string().starts_with("0.1000000000000000055511151231257827"), "{float_tenth}");
        assert_ne!(tenth, float_tenth, "decimal 0.1 is not a float");
        assert_eq!("1.50".parse::<Number>().unwrap(), "1.5".parse::<Number>().unwrap());
        assert_eq!("1e3".parse::<Number>().unwrap().as_i64(), Some(1000));
        assert!(Number::PosInfinity > "1e400".parse::<Number>().unwrap());
    }

    #[test]
    fn wholly_known() {
        let v = Value::object([("a", Value::Set(vec!["x".into(), Value::Unknown])), ("b", "y".into())]);
        assert!(!v.is_wholly_known());
        let c = v.collapse_partial_unknowns();
        assert!(c.attr("a").is_unknown());
        assert_eq!(c.attr("b"), &Value::from("y"));
    }
}
