//! Msgpack read straight into a typed model, without the value tree in between: for a call
//! that needs only the model (a refresh reads every resource's state into its model, and
//! nothing else of it).
//!
//! It declines (`None`) whatever the tree's path would have to convert or report: an unknown
//! anywhere, a dynamic value, a missing, extra or repeated attribute, any mismatch of value and
//! type or of value and model. That path then runs, so a model read here is the one the tree
//! would give, and every error is the tree's.

use std::collections::BTreeMap;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::{Head, Reader, head, number, utf8};
use crate::framework::model::{ModelError, NUMBER_TOKEN, visit_number};
use crate::framework::types::Type;

/// The model `M` the msgpack `bytes` of type `ty` hold, or `None` when the value tree must
/// decide (see the module's documentation).
pub fn decode_model<M: DeserializeOwned>(bytes: &[u8], ty: &Type) -> Option<M> {
    if bytes.is_empty() {
        return None;
    }
    let mut rd = Reader(bytes);
    let m = M::deserialize(De { rd: &mut rd, ty, head: None }).ok()?;
    rd.0.is_empty().then_some(m)
}

/// Declining: the message is never shown, the tree's path reports instead.
fn decline() -> ModelError {
    ModelError(String::new())
}

/// One value of type `ty` at the reader, its head possibly read already.
struct De<'a, 'r> {
    rd: &'r mut Reader<'a>,
    ty: &'r Type,
    head: Option<Head<'a>>,
}

impl<'a> De<'a, '_> {
    fn take_head(&mut self) -> Result<Head<'a>, ModelError> {
        match self.head.take() {
            Some(h) => Ok(h),
            None => head(self.rd).map_err(|_| decline()),
        }
    }
}

impl<'de> de::Deserializer<'de> for De<'_, '_> {
    type Error = ModelError;

    fn deserialize_any<V: Visitor<'de>>(mut self, v: V) -> Result<V::Value, ModelError> {
        let h = self.take_head()?;
        match (self.ty, h) {
            (_, Head::Nil) => v.visit_none(),
            (Type::Bool, Head::Bool(b)) => v.visit_bool(b),
            (Type::Number, h @ (Head::Int(_) | Head::Float(_) | Head::Str(_))) => {
                visit_number(number(self.ty, h).map_err(|_| decline())?, v)
            }
            (Type::String, Head::Str(b)) => v.visit_str(utf8(b, "string").map_err(|_| decline())?),
            (Type::List(et) | Type::Set(et), Head::Array(n)) => {
                let mut seq = Seq { rd: self.rd, left: n, each: Each::Same(et) };
                let out = v.visit_seq(&mut seq)?;
                if seq.left == 0 { Ok(out) } else { Err(decline()) }
            }
            (Type::Tuple(ets), Head::Array(n)) if n == ets.len() => {
                let mut seq = Seq { rd: self.rd, left: n, each: Each::Own(ets) };
                let out = v.visit_seq(&mut seq)?;
                if seq.left == 0 { Ok(out) } else { Err(decline()) }
            }
            (Type::Map(et), Head::Map(n)) => {
                let mut entries = Entries { rd: self.rd, left: n, of: Of::Map(et), value: None };
                let out = v.visit_map(&mut entries)?;
                if entries.left == 0 && entries.value.is_none() { Ok(out) } else { Err(decline()) }
            }
            // Terraform sends every attribute of an object; fewer is the tree's to fill in.
            (Type::Object(attrs, _), Head::Map(n)) if n == attrs.len() => {
                let mut entries = Entries { rd: self.rd, left: n, of: Of::Object(attrs), value: None };
                let out = v.visit_map(&mut entries)?;
                if entries.left == 0 && entries.value.is_none() { Ok(out) } else { Err(decline()) }
            }
            // Unknowns (extensions), dynamic values and mismatches.
            _ => Err(decline()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(mut self, v: V) -> Result<V::Value, ModelError> {
        match self.take_head()? {
            Head::Nil => v.visit_none(),
            // An unknown: the tree collapses partial unknowns first.
            Head::Ext => Err(decline()),
            h => {
                self.head = Some(h);
                v.visit_some(self)
            }
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(mut self, name: &'static str, v: V) -> Result<V::Value, ModelError> {
        if name != NUMBER_TOKEN {
            return v.visit_newtype_struct(self);
        }
        match (self.ty, self.take_head()?) {
            (Type::Number, h @ (Head::Int(_) | Head::Float(_) | Head::Str(_))) => {
                v.visit_string(number(self.ty, h).map_err(|_| decline())?.to_string())
            }
            _ => Err(decline()),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ModelError> {
        match (self.ty, self.take_head()?) {
            (Type::String, Head::Str(b)) => {
                let s = utf8(b, "string").map_err(|_| decline())?;
                v.visit_enum(IntoDeserializer::<ModelError>::into_deserializer(s))
            }
            _ => Err(decline()),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// The element types of a sequence.
enum Each<'r> {
    Same(&'r Type),
    Own(&'r [Type]),
}

struct Seq<'a, 'r> {
    rd: &'r mut Reader<'a>,
    left: usize,
    each: Each<'r>,
}

impl<'de> de::SeqAccess<'de> for &mut Seq<'_, '_> {
    type Error = ModelError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ModelError> {
        if self.left == 0 {
            return Ok(None);
        }
        let ty = match &self.each {
            Each::Same(et) => *et,
            Each::Own(ets) => &ets[ets.len() - self.left],
        };
        self.left -= 1;
        seed.deserialize(De { rd: &mut *self.rd, ty, head: None }).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// What a msgpack map is: a map's entries, all of one type, or an object's attributes.
enum Of<'r> {
    Map(&'r Type),
    Object(&'r BTreeMap<String, Type>),
}

struct Entries<'a, 'r> {
    rd: &'r mut Reader<'a>,
    left: usize,
    of: Of<'r>,
    /// The type of the value whose key was just read.
    value: Option<&'r Type>,
}

impl<'de> de::MapAccess<'de> for &mut Entries<'_, '_> {
    type Error = ModelError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ModelError> {
        if self.left == 0 || self.value.is_some() {
            return if self.left == 0 { Ok(None) } else { Err(decline()) };
        }
        self.left -= 1;
        let Ok(Head::Str(b)) = head(self.rd) else { return Err(decline()) };
        let key = utf8(b, "key").map_err(|_| decline())?;
        self.value = Some(match self.of {
            Of::Map(et) => et,
            Of::Object(attrs) => attrs.get(key).ok_or_else(decline)?,
        });
        seed.deserialize(IntoDeserializer::<ModelError>::into_deserializer(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ModelError> {
        let ty = self.value.take().ok_or_else(decline)?;
        seed.deserialize(De { rd: &mut *self.rd, ty, head: None })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::framework::model::{Attr, from_value, to_value};
    use crate::framework::msgpack::{decode, encode};
    use crate::framework::value::Number;
    use crate::framework::value::Value;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
    enum Mode {
        Fast,
        Slow,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Inner {
        name: Attr<String>,
        weight: Attr<i64>,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct M {
        id: Attr<String>,
        privileges: Attr<BTreeSet<String>>,
        enabled: Attr<bool>,
        lifetime: Attr<i64>,
        ratio: Attr<f64>,
        keepers: Attr<BTreeMap<String, String>>,
        exact: Attr<Number>,
        mode: Attr<Mode>,
        inner: Attr<Inner>,
        items: Attr<Vec<Inner>>,
    }

    fn inner_ty() -> Type {
        Type::object([("name", Type::String), ("weight", Type::Number)])
    }

    fn ty() -> Type {
        Type::object([
            ("id", Type::String),
            ("privileges", Type::set(Type::String)),
            ("enabled", Type::Bool),
            ("lifetime", Type::Number),
            ("ratio", Type::Number),
            ("keepers", Type::map(Type::String)),
            ("exact", Type::Number),
            ("mode", Type::String),
            ("inner", inner_ty()),
            ("items", Type::list(inner_ty())),
        ])
    }

    fn full() -> M {
        M {
            id: Attr::Known("17".into()),
            privileges: Attr::Known(["Read Computers".to_string(), "Ünïcode \"quoted\"".to_string()].into()),
            enabled: Attr::Known(false),
            lifetime: Attr::Known(-300),
            ratio: Attr::Known(0.25),
            keepers: Attr::Known([("k".to_string(), "v".to_string())].into()),
            exact: Attr::Known("18446744073709551617".parse().unwrap()),
            mode: Attr::Known(Mode::Slow),
            inner: Attr::Known(Inner { name: Attr::Known("x".into()), weight: Attr::Null }),
            items: Attr::Known(vec![
                Inner { name: Attr::Null, weight: Attr::Known(u32::MAX as i64 + 1) },
                Inner { name: Attr::Known(String::new()), weight: Attr::Known(0) },
            ]),
        }
    }

    fn nulls() -> M {
        M {
            id: Attr::Null,
            privileges: Attr::Null,
            enabled: Attr::Null,
            lifetime: Attr::Null,
            ratio: Attr::Null,
            keepers: Attr::Null,
            exact: Attr::Null,
            mode: Attr::Null,
            inner: Attr::Null,
            items: Attr::Null,
        }
    }

    /// The tree's answer for the same bytes.
    fn through_tree(bytes: &[u8]) -> Option<M> {
        let v = decode(bytes, &ty()).ok()?;
        from_value(&v.into_collapsed_partial_unknowns()).ok()
    }

    #[test]
    fn reads_what_the_tree_reads() {
        for m in [full(), nulls(), M { privileges: Attr::Known(BTreeSet::new()), ..nulls() }] {
            let bytes = encode(&to_value(&m, &ty()).unwrap(), &ty()).unwrap();
            let direct: M = decode_model(&bytes, &ty()).expect("read directly");
            assert_eq!(direct, m);
            assert_eq!(Some(direct), through_tree(&bytes));
        }
    }

    #[test]
    fn numbers_in_every_msgpack_form_read_as_the_tree_reads_them() {
        // Terraform may send a number as an int, a float or its text.
        for (lifetime, exact) in [
            (rmpv::Value::from(300), rmpv::Value::from("1e3")),
            (rmpv::Value::from(300.0), rmpv::Value::from(u64::MAX)),
            (rmpv::Value::from("300"), rmpv::Value::from(-1.5)),
        ] {
            let Type::Object(attrs, _) = ty() else { unreachable!() };
            let mut fields: Vec<(rmpv::Value, rmpv::Value)> =
                attrs.keys().map(|k| (rmpv::Value::from(k.as_str()), rmpv::Value::Nil)).collect();
            for (k, v) in fields.iter_mut() {
                match k.as_str() {
                    Some("lifetime") => *v = lifetime.clone(),
                    Some("exact") => *v = exact.clone(),
                    _ => {}
                }
            }
            let mut bytes = Vec::new();
            rmpv::encode::write_value(&mut bytes, &rmpv::Value::Map(fields)).unwrap();
            let direct: M = decode_model(&bytes, &ty()).expect("read directly");
            assert_eq!(direct.lifetime, Attr::Known(300));
            assert_eq!(Some(direct), through_tree(&bytes));
        }
    }

    #[test]
    fn declines_what_the_tree_must_decide() {
        let t = ty();
        let encoded = |v: &Value| encode(v, &t).unwrap();
        let full_v = to_value(&full(), &t).unwrap();
        let with = |name: &str, v: Value| {
            let mut o = full_v.clone();
            o.as_entries_mut().unwrap().insert(name.to_string(), v);
            o
        };
        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("an unknown attribute", encoded(&with("id", Value::Unknown))),
            ("an unknown set element", encoded(&with("privileges", Value::Set(vec![Value::Unknown])))),
            ("a null set element", encoded(&with("privileges", Value::Set(vec![Value::Null])))),
            (
                "a number the model cannot hold",
                encoded(&with("lifetime", Value::number(Number::from_f64(1.5).unwrap()))),
            ),
            ("an enum value the model does not know", encoded(&with("mode", Value::string("Medium")))),
            ("null", encoded(&Value::Null)),
            ("nothing", Vec::new()),
        ];
        let mut missing = encoded(&full_v);
        // One attribute fewer: rewrite the map's length and drop "ratio" (a float64).
        let mut fields: Vec<(rmpv::Value, rmpv::Value)> =
            match rmpv::decode::read_value(&mut missing.as_slice()).unwrap() {
                rmpv::Value::Map(f) => f,
                _ => unreachable!(),
            };
        fields.retain(|(k, _)| k.as_str() != Some("ratio"));
        missing.clear();
        rmpv::encode::write_value(&mut missing, &rmpv::Value::Map(fields.clone())).unwrap();
        cases.push(("an attribute missing", missing));
        let mut extra = fields.clone();
        extra.push(("not_in_schema".into(), rmpv::Value::Nil));
        let mut extra_bytes = Vec::new();
        rmpv::encode::write_value(&mut extra_bytes, &rmpv::Value::Map(extra)).unwrap();
        cases.push(("an attribute not in the schema", extra_bytes));
        let mut repeated = fields;
        repeated.push(("id".into(), "again".into()));
        let mut repeated_bytes = Vec::new();
        rmpv::encode::write_value(&mut repeated_bytes, &rmpv::Value::Map(repeated)).unwrap();
        cases.push(("an attribute given twice", repeated_bytes));
        let mut trailing = encoded(&full_v);
        trailing.push(0xc0);
        cases.push(("trailing bytes", trailing));
        let mut cut = encoded(&full_v);
        cut.truncate(cut.len() - 3);
        cases.push(("truncated input", cut));
        for (what, bytes) in cases {
            assert!(decode_model::<M>(&bytes, &t).is_none(), "{what} is the tree's to decide");
        }
    }

    #[test]
    fn a_dynamic_attribute_is_the_trees_to_read() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct D {
            any: Attr<String>,
        }
        let t = Type::object([("any", Type::Dynamic)]);
        let v = Value::object([("any", Value::Dynamic(Box::new(Type::String), Box::new(Value::string("x"))))]);
        let bytes = encode(&v, &t).unwrap();
        assert!(decode_model::<D>(&bytes, &t).is_none());
    }
}
