//! Terraform's type system (cty types) and their JSON form.
//!
//! The JSON form is what Terraform expects in `Schema.Attribute.type` and inside dynamic values:
//! `"string"`, `["list","string"]`, `["object",{"a":"number"}]` and so on.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use thiserror::Error;

/// A cty type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `number`: an arbitrary-precision decimal.
    Number,
    /// `string`.
    String,
    /// The pseudo-type `dynamic`: values carry their concrete type on the wire.
    Dynamic,
    /// `list(T)`: ordered elements of one type.
    List(Box<Type>),
    /// `set(T)`: unordered, unique elements of one type.
    Set(Box<Type>),
    /// `map(T)`: string keys to values of one type.
    Map(Box<Type>),
    /// `tuple([...])`: a fixed sequence of element types.
    Tuple(Vec<Type>),
    /// Object attributes, plus the names of attributes that are optional in a type constraint
    /// (only used in type constraints, never in values).
    Object(BTreeMap<String, Type>, BTreeSet<String>),
}

/// A type JSON document that is not a cty type.
#[derive(Debug, Error, PartialEq)]
#[error("invalid type JSON: {0}")]
pub struct TypeJsonError(pub String);

impl Type {
    /// `list(t)`.
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    /// `set(t)`.
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    /// `map(t)`.
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    /// An object type with these attributes, none optional.
    pub fn object<I: IntoIterator<Item = (S, Type)>, S: Into<String>>(attrs: I) -> Type {
        Type::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect(), BTreeSet::new())
    }

    /// Whether this is bool, number or string.
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }

    /// The element type of a list, set or map.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// The cty JSON form of this type.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec!["list".into(), t.to_json()]),
            Type::Set(t) => Json::Array(vec!["set".into(), t.to_json()]),
            Type::Map(t) => Json::Array(vec!["map".into(), t.to_json()]),
            Type::Tuple(ts) => Json::Array(vec!["tuple".into(), Json::Array(ts.iter().map(Type::to_json).collect())]),
            Type::Object(attrs, optional) => {
                let obj = attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect();
                let mut parts = vec!["object".into(), Json::Object(obj)];
                if !optional.is_empty() {
                    parts.push(Json::Array(optional.iter().map(|s| Json::from(s.as_str())).collect()));
                }
                Json::Array(parts)
            }
        }
    }

    /// The compact JSON bytes Terraform expects in schemas and dynamic values.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).expect("a JSON value always serializes")
    }

    /// Parse the JSON bytes of a type.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, TypeJsonError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|e| TypeJsonError(e.to_string()))?;
        Type::from_json(&json)
    }

    /// Parse the JSON form of a type.
    pub fn from_json(json: &Json) -> Result<Type, TypeJsonError> {
        let bad = || TypeJsonError(json.to_string());
        match json {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => {
                let kind = parts.first().and_then(Json::as_str).ok_or_else(bad)?;
                match (kind, parts.len()) {
                    ("list", 2) => Ok(Type::list(Type::from_json(&parts[1])?)),
                    ("set", 2) => Ok(Type::set(Type::from_json(&parts[1])?)),
                    ("map", 2) => Ok(Type::map(Type::from_json(&parts[1])?)),
                    ("tuple", 2) => {
                        let elems = parts[1].as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(elems.iter().map(Type::from_json).collect::<Result<_, _>>()?))
                    }
                    ("object", 2 | 3) => {
                        let attrs = parts[1].as_object().ok_or_else(bad)?;
                        let attrs = attrs.iter().map(|(k, v)| Ok((k.clone(), Type::from_json(v)?))).collect::<Result<
                            BTreeMap<_, _>,
                            TypeJsonError,
                        >>(
                        )?;
                        let mut optional = BTreeSet::new();
                        if let Some(opt) = parts.get(2) {
                            for name in opt.as_array().ok_or_else(bad)? {
                                optional.insert(name.as_str().ok_or_else(bad)?.to_string());
                            }
                        }
                        Ok(Type::Object(attrs, optional))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    /// A short human name for messages ("set of string").
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::Dynamic => "any value".into(),
            Type::List(t) => format!("list of {}", t.friendly_name()),
            Type::Set(t) => format!("set of {}", t.friendly_name()),
            Type::Map(t) => format!("map of {}", t.friendly_name()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_, _) => "object".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_json_matches_cty() {
        let t = Type::object([
            ("a", Type::String),
            ("b", Type::set(Type::Number)),
            ("c", Type::Tuple(vec![Type::Bool, Type::Dynamic])),
            ("d", Type::map(Type::list(Type::String))),
        ]);
        assert_eq!(
            String::from_utf8(t.to_json_bytes()).unwrap(),
            r#"["object",{"a":"string","b":["set","number"],"c":["tuple",["bool","dynamic"]],"d":["map",["list","string"]]}]"#
        );
        assert_eq!(Type::from_json_bytes(&t.to_json_bytes()).unwrap(), t);
    }

    #[test]
    fn optional_object_attributes_round_trip() {
        let json = br#"["object",{"a":"string","b":"number"},["b"]]"#;
        let t = Type::from_json_bytes(json).unwrap();
        assert_eq!(t.to_json_bytes(), json.to_vec());
    }

    #[test]
    fn rejects_garbage() {
        assert!(Type::from_json_bytes(br#""strin""#).is_err());
        assert!(Type::from_json_bytes(br#"["list"]"#).is_err());
        assert!(Type::from_json_bytes(br#"42"#).is_err());
    }
}
