//! Lenient readers for vendor JSON.
//!
//! Vendors are loose with types: one API's ids are numbers while another's are strings; a server
//! that converts XML to JSON sends numbers as strings, empty values as `""` and a one-element
//! list as a bare object. The crate enables serde_json's `arbitrary_precision`, under which a
//! visitor sees a number as a private one-entry map: numbers always go through
//! [`serde_json::Value`], which reads that map and keeps the exact digits. The string readers
//! ([`de_string`], [`de_string_id`], [`de_string_list`]) take strings, bools and nulls straight
//! from the parser (every role of a list is read through them) and hand only maps to `Value`.

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string from a string, number or bool; `None` for null.
pub fn string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// [`string`] of what the parser gives, without a `Value` but for maps (a number, or an object,
/// which is no string): `None` for null, objects and arrays.
struct Text;

impl<'de> Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    // Numbers as [`string`] writes them; serde_json itself sends them as maps (below).
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map(|n| n.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(string(&Value::deserialize(MapAccessDeserializer::new(map))?))
    }
}

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// The strings of [`de_string_list`]: the shapes [`one_or_many`] takes, each element read by
/// [`Text`].
struct TextList;

impl TextList {
    fn one<E: serde::de::Error>(item: Option<String>) -> Result<Vec<String>, E> {
        item.map(|s| vec![s]).ok_or_else(|| E::custom("expected a list of strings"))
    }
}

impl<'de> Visitor<'de> for TextList {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(Text)? {
            out.push(item.ok_or_else(|| serde::de::Error::custom("expected a list of strings"))?);
        }
        Ok(out)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(if v.trim().is_empty() { Vec::new() } else { vec![v.to_owned()] })
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(if v.trim().is_empty() { Vec::new() } else { vec![v] })
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::one(Text.visit_bool(v)?)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::one(Text.visit_i64(v)?)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::one(Text.visit_u64(v)?)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::one(Text.visit_f64(v)?)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Self::one(Text.visit_map(map)?)
    }
}

/// Like [`string`], but an empty or blank string is `None`.
pub fn non_empty_string(v: &Value) -> Option<String> {
    string(v).filter(|s| !s.trim().is_empty())
}

/// An integer from a number or a numeric string (`"42"`, `" 42 "`, `"42.0"`); `None` for null,
/// `""`, fractions and non-numbers.
pub fn i64(v: &Value) -> Option<i64> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    if let Ok(i) = text.parse::<i64>() {
        return Some(i);
    }
    let f = text.parse::<f64>().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// A float from a number or a numeric string.
pub fn f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// A boolean from `true`/`false`, `0`/`1`, or the strings `"true"`, `"false"`, `"1"`, `"0"`,
/// `"yes"`, `"no"`, `"y"`, `"n"` (any case).
pub fn bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(_) => match i64(v)? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" => Some(true),
            "false" | "0" | "no" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The elements of a list that may arrive as an array, a single object, or empty (`null`, `""`).
pub fn one_or_many(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(other) => vec![other],
    }
}

/// A numeric id as its decimal string, from a JSON integer or a string of digits.
pub fn numeric_id(v: &Value) -> Option<String> {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// serde helper: a numeric id (integer or numeric string) as `String`.
pub fn de_numeric_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    numeric_id(&v).ok_or_else(|| serde::de::Error::custom("expected an integer id or a numeric string"))
}

/// serde helper: an id that should be a string but may be a number.
pub fn de_string_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(Text)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| serde::de::Error::custom("expected a non-empty string or number id"))
}

/// serde helper: an optional integer (number, numeric string, `""`, or null).
pub fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        _ => i64(&v).map(Some).ok_or_else(|| serde::de::Error::custom("expected an integer")),
    }
}

/// serde helper: a boolean in any of the forms [`bool()`](fn@bool) accepts; null is `false`.
pub fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(false);
    }
    bool(&v).ok_or_else(|| serde::de::Error::custom("expected a boolean"))
}

/// serde helper: a string that may be null or a number; null is empty.
pub fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(d.deserialize_any(Text)?.unwrap_or_default())
}

/// serde helper: a list of strings that may be null, a single string, or hold numbers.
pub fn de_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(TextList)
}

/// A safe description of a JSON decode failure. serde_json messages can quote the offending value
/// (which might be a secret), so only the category and position are kept.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "i/o error",
        serde_json::error::Category::Syntax => "malformed json",
        serde_json::error::Category::Data => "unexpected json shape",
        serde_json::error::Category::Eof => "truncated json",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Ids {
        #[serde(deserialize_with = "de_numeric_id")]
        int_id: String,
        #[serde(deserialize_with = "de_string_id")]
        str_id: String,
        #[serde(default, deserialize_with = "de_opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "de_bool")]
        b: bool,
        #[serde(default, deserialize_with = "de_string_list")]
        list: Vec<String>,
    }

    fn parse(text: &str) -> Result<Ids, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn ids_are_lenient_under_arbitrary_precision() {
        let a = parse(r#"{"int_id": 7, "str_id": "3", "n": 300, "b": true, "list": ["x","y"]}"#).unwrap();
        assert_eq!((a.int_id.as_str(), a.str_id.as_str(), a.n, a.b), ("7", "3", Some(300), true));
        assert_eq!(a.list, ["x", "y"]);
        let b = parse(r#"{"int_id": "12", "str_id": 4, "n": "299", "b": "false", "list": "solo"}"#).unwrap();
        assert_eq!((b.int_id.as_str(), b.str_id.as_str(), b.n, b.b), ("12", "4", Some(299), false));
        assert_eq!(b.list, ["solo"]);
        // Large ids keep every digit.
        let c = parse(r#"{"int_id": 123456789012345678901234567890, "str_id": "x", "n": null, "list": null}"#).unwrap();
        assert_eq!(c.int_id, "123456789012345678901234567890");
        assert_eq!(c.n, None);
        assert!(c.list.is_empty());
    }

    #[test]
    fn string_lists_take_every_shape_one_or_many_does() {
        let lists = |text: &str| parse(&format!(r#"{{"int_id": 1, "str_id": "1", "list": {text}}}"#)).map(|i| i.list);
        assert_eq!(lists(r#"["a", 2, true, "  b "]"#).unwrap(), ["a", "2", "true", "  b "]);
        assert_eq!(lists(r#""  ""#).unwrap(), Vec::<String>::new());
        assert_eq!(lists(r#"[]"#).unwrap(), Vec::<String>::new());
        assert_eq!(lists(r#"123456789012345678901234567890"#).unwrap(), ["123456789012345678901234567890"]);
        assert!(lists(r#"[null]"#).is_err());
        assert!(lists(r#"{"a": 1}"#).is_err(), "an object is one element, and not a string");
        assert!(parse(r#"{"int_id": 1, "str_id": "  "}"#).is_err(), "a blank id is no id");
    }

    /// The string readers read what the `Value` readers read, for every shape a vendor sends.
    #[test]
    fn string_readers_agree_with_the_value_readers() {
        #[derive(Deserialize)]
        struct S {
            #[serde(default, deserialize_with = "de_string")]
            s: String,
        }
        #[derive(Deserialize)]
        struct Id {
            #[serde(deserialize_with = "de_string_id")]
            id: String,
        }
        #[derive(Deserialize)]
        struct L {
            #[serde(default, deserialize_with = "de_string_list")]
            l: Vec<String>,
        }
        let shapes = [
            r#""x""#,
            r#""  ""#,
            r#""a\"b\u00e9""#,
            "true",
            "false",
            "null",
            "0",
            "-7",
            "12.50",
            "1e400",
            "123456789012345678901234567890",
            "[]",
            r#"["a", 1, false]"#,
            r#"["a", null]"#,
            r#"["a", ["b"]]"#,
            r#"["a", {"b": 1}]"#,
            "{}",
            r#"{"a": "b"}"#,
        ];
        for shape in shapes {
            let v: Value = serde_json::from_str(shape).unwrap();
            let got = serde_json::from_str::<S>(&format!(r#"{{"s": {shape}}}"#)).map(|x| x.s).ok();
            assert_eq!(got, Some(string(&v).unwrap_or_default()), "de_string of {shape}");
            let got = serde_json::from_str::<Id>(&format!(r#"{{"id": {shape}}}"#)).map(|x| x.id).ok();
            assert_eq!(got, non_empty_string(&v), "de_string_id of {shape}");
            let want: Option<Vec<String>> = match &v {
                Value::String(s) if s.trim().is_empty() => Some(Vec::new()),
                _ => one_or_many(Some(&v)).into_iter().map(string).collect(),
            };
            let got = serde_json::from_str::<L>(&format!(r#"{{"l": {shape}}}"#)).map(|x| x.l).ok();
            assert_eq!(got, want, "de_string_list of {shape}");
        }
    }

    #[test]
    fn bad_ids_are_rejected() {
        assert!(parse(r#"{"int_id": "abc", "str_id": "1"}"#).is_err());
        assert!(parse(r#"{"int_id": -1, "str_id": "1"}"#).is_err());
        assert!(parse(r#"{"int_id": 1.5, "str_id": "1"}"#).is_err());
        assert!(parse(r#"{"int_id": 1, "str_id": ""}"#).is_err());
        assert!(parse(r#"{"int_id": 1, "str_id": "1", "n": "many"}"#).is_err());
    }

    #[test]
    fn scalar_readers() {
        assert_eq!(i64(&json!("1730208928000")), Some(1_730_208_928_000));
        assert_eq!(i64(&json!("")), None);
        assert_eq!(i64(&json!(3.0)), Some(3));
        assert_eq!(i64(&json!(0.1)), None);
        assert_eq!(f64(&json!("0.1")), Some(0.1));
        for (v, want) in [
            (json!(true), Some(true)),
            (json!("TRUE"), Some(true)),
            (json!("no"), Some(false)),
            (json!(1), Some(true)),
            (json!(0), Some(false)),
            (json!("0"), Some(false)),
            (json!(2), None),
            (json!("maybe"), None),
            (json!(null), None),
        ] {
            assert_eq!(bool(&v), want, "{v}");
        }
        assert_eq!(non_empty_string(&json!("  ")), None);
        assert_eq!(string(&json!(5)), Some("5".into()));
    }

    #[test]
    fn one_or_many_shapes() {
        let obj = json!({"a": 1});
        assert_eq!(one_or_many(Some(&obj)).len(), 1);
        assert_eq!(one_or_many(Some(&json!([1, 2]))).len(), 2);
        assert!(one_or_many(Some(&json!(""))).is_empty());
        assert!(one_or_many(Some(&json!(null))).is_empty());
        assert!(one_or_many(None).is_empty());
    }

    #[test]
    fn json_error_descriptions_never_quote_values() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct S {
            n: u8,
        }
        let e = serde_json::from_str::<S>(r#"{"n": "hunter2"}"#).unwrap_err();
        assert!(e.to_string().contains("hunter2"), "serde itself quotes the value");
        let d = describe_json_error(&e);
        assert!(!d.contains("hunter2"));
        assert!(d.starts_with("unexpected json shape"));
    }
}
