//! Checks a typed model against its schema: every model field must be a schema attribute or
//! block and every attribute or block a model field, at every depth. Without this check a field
//! missing from the model silently becomes null and an extra one fails only at run time.
//!
//! The model's field names come from serde itself: [`model_fields`] drives the model's
//! `Deserialize` with a deserializer that records the `fields` of every `deserialize_struct` it
//! is asked for and hands back placeholder values, so `#[serde(rename)]` and `skip` are honoured
//! exactly as the value conversion honours them.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use super::model::ModelError;
use super::provider::Provider;
use super::schema::{AttributeType, Block, Schema};
use super::types::Type;

/// The field names of a model struct (or the attribute names of a schema block), each with the
/// names inside it when it holds structs or objects (through `Attr`, `Option`, lists, sets and
/// maps).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldTree(pub BTreeMap<String, Option<FieldTree>>);

/// The field names serde uses for model `M`, nested structs included.
pub fn model_fields<M: DeserializeOwned>() -> Result<FieldTree, ModelError> {
    let slot = RefCell::new(None);
    M::deserialize(FieldCollector { slot: &slot })?;
    slot.into_inner().ok_or_else(|| ModelError("the model is not a struct with named fields".into()))
}

/// Compare model `M` with `schema`; the error names every mismatch, one per line.
pub fn check_model<M: DeserializeOwned>(schema: &Schema) -> Result<(), String> {
    let model = model_fields::<M>().map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    compare(&model, &block_fields(&schema.block), "", &mut problems);
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}

/// Check the provider configuration model and the model of every resource, data source and
/// ephemeral resource of `provider`; the error names each mismatch with its type name.
pub fn check_provider_models<P: Provider>(provider: &P) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut note = |type_name: &str, r: Result<(), String>| {
        if let Err(e) = r {
            problems.extend(e.lines().map(|l| format!("{type_name}: {l}")));
        }
    };
    note(&format!("provider {}", provider.type_name()), check_model::<P::Config>(&provider.schema()));
    for r in provider.resources() {
        note(r.type_name(), r.check_model());
    }
    for d in provider.data_sources() {
        note(d.type_name(), d.check_model());
    }
    for e in provider.ephemeral_resources() {
        note(e.type_name(), e.check_model());
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}

/// The schema's side of the comparison: each attribute and block name, with the names inside it.
fn block_fields(block: &Block) -> FieldTree {
    let mut out: BTreeMap<String, Option<FieldTree>> = block
        .attributes
        .iter()
        .map(|a| {
            let inner = match &a.ty {
                AttributeType::Nested { attributes, .. } => {
                    Some(block_fields(&Block { attributes: attributes.clone(), ..Block::default() }))
                }
                AttributeType::Plain(t) => object_fields(t),
            };
            (a.name.clone(), inner)
        })
        .collect();
    for b in &block.blocks {
        out.insert(b.type_name.clone(), Some(block_fields(&b.block)));
    }
    FieldTree(out)
}

/// The attribute names of an object type, or of the objects a collection type holds.
fn object_fields(ty: &Type) -> Option<FieldTree> {
    match ty {
        Type::Object(attrs, _) => {
            Some(FieldTree(attrs.iter().map(|(name, t)| (name.clone(), object_fields(t))).collect()))
        }
        Type::List(e) | Type::Set(e) | Type::Map(e) => object_fields(e),
        _ => None,
    }
}

fn compare(model: &FieldTree, schema: &FieldTree, prefix: &str, problems: &mut Vec<String>) {
    for (name, model_inner) in &model.0 {
        let path = format!("{prefix}{name}");
        match (schema.0.get(name), model_inner) {
            (None, _) => problems.push(format!("model field `{path}` has no schema attribute or block")),
            (Some(None), Some(_)) => {
                problems.push(format!("model field `{path}` is a struct but its schema attribute holds no object"))
            }
            (Some(Some(_)), None) => problems.push(format!(
                "schema attribute `{path}` holds objects but its model field is not a struct, so their \
                 attributes cannot be checked"
            )),
            (Some(Some(schema_inner)), Some(model_inner)) => {
                compare(model_inner, schema_inner, &format!("{path}."), problems)
            }
            (Some(None), None) => {}
        }
    }
    for name in schema.0.keys().filter(|n| !model.0.contains_key(*n)) {
        problems.push(format!("schema attribute `{prefix}{name}` has no model field"));
    }
}

/// Records the fields of every struct it deserializes into `slot` and otherwise hands out
/// placeholder values (empty strings, zeros, one element per collection so that structs inside
/// collections are reached too).
struct FieldCollector<'a> {
    slot: &'a RefCell<Option<FieldTree>>,
}

/// Hands a struct visitor each of its fields once, each value with its own slot.
struct FieldsAccess<'a> {
    fields: std::slice::Iter<'static, &'static str>,
    slots: std::slice::Iter<'a, RefCell<Option<FieldTree>>>,
}

impl<'de> de::MapAccess<'de> for FieldsAccess<'_> {
    type Error = ModelError;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ModelError> {
        match self.fields.next() {
            Some(name) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ModelError> {
        let slot = self.slots.next().ok_or_else(|| ModelError("a struct value without its field".into()))?;
        seed.deserialize(FieldCollector { slot })
    }
}

/// One placeholder element (or entry) whose value records into the collection's slot.
struct OneElement<'a> {
    slot: Option<&'a RefCell<Option<FieldTree>>>,
    value_pending: bool,
}

impl<'de> de::SeqAccess<'de> for OneElement<'_> {
    type Error = ModelError;
    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ModelError> {
        match self.slot.take() {
            Some(slot) => seed.deserialize(FieldCollector { slot }).map(Some),
            None => Ok(None),
        }
    }
}

impl<'de> de::MapAccess<'de> for OneElement<'_> {
    type Error = ModelError;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ModelError> {
        if self.slot.is_none() {
            return Ok(None);
        }
        self.value_pending = true;
        seed.deserialize("key".into_deserializer()).map(Some)
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ModelError> {
        let slot = self.slot.take().filter(|_| self.value_pending);
        let slot = slot.ok_or_else(|| ModelError("a map value without its key".into()))?;
        seed.deserialize(FieldCollector { slot })
    }
}

impl<'de> de::Deserializer<'de> for FieldCollector<'_> {
    type Error = ModelError;

    // Typeless requests (numbers ask for these) get a number, which every such visitor here takes.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_i64(0)
    }
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_bool(false)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_u64(0)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_f64(0.0)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_char('x')
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_str("")
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_str("")
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_str("")
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_bytes(&[])
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_bytes(&[])
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_some(self)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_seq(OneElement { slot: Some(self.slot), value_pending: false })
    }
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_map(OneElement { slot: Some(self.slot), value_pending: false })
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ModelError> {
        let slots: Vec<RefCell<Option<FieldTree>>> = fields.iter().map(|_| RefCell::new(None)).collect();
        let value = visitor.visit_map(FieldsAccess { fields: fields.iter(), slots: slots.iter() })?;
        let found = fields.iter().zip(slots).map(|(name, slot)| (name.to_string(), slot.into_inner())).collect();
        *self.slot.borrow_mut() = Some(FieldTree(found));
        Ok(value)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ModelError> {
        let first = variants.first().ok_or_else(|| ModelError("an enum without variants".into()))?;
        visitor.visit_enum(first.into_deserializer())
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ModelError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u128 f32 tuple tuple_struct
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::Deserialize;

    use super::*;
    use crate::framework::Attr;
    use crate::framework::schema::{Attribute, NestedBlock, Nesting};
    use crate::framework::value::Number;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Rule {
        name: Attr<String>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Retry {
        max_attempts: Attr<i64>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Model {
        id: Attr<String>,
        #[serde(rename = "tags")]
        labels: Attr<BTreeSet<String>>,
        keepers: Attr<BTreeMap<String, String>>,
        exact: Attr<Number>,
        enabled: Attr<bool>,
        retry: Attr<Retry>,
        rule: Attr<Vec<Rule>>,
    }

    fn schema(rule_attribute: &str) -> Schema {
        Schema::new("x")
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::set_of("tags", Type::String).optional())
            .attribute(Attribute::map_of("keepers", Type::String).optional())
            .attribute(Attribute::number("exact").optional())
            .attribute(Attribute::bool("enabled").optional())
            .attribute(Attribute::nested("retry", Nesting::Single, vec![Attribute::number("max_attempts").optional()]))
            .block(NestedBlock::new(
                "rule",
                Nesting::List,
                Block { attributes: vec![Attribute::string(rule_attribute).required()], ..Block::default() },
            ))
    }

    #[test]
    fn lists_serde_field_names_with_nested_structs() {
        let fields = model_fields::<Model>().unwrap();
        let names: Vec<_> = fields.0.keys().map(String::as_str).collect();
        assert_eq!(names, ["enabled", "exact", "id", "keepers", "retry", "rule", "tags"]);
        let retry = fields.0["retry"].as_ref().unwrap();
        assert_eq!(retry.0.keys().collect::<Vec<_>>(), ["max_attempts"]);
        assert!(fields.0["rule"].as_ref().unwrap().0.contains_key("name"));
        assert_eq!(fields.0["tags"], None);
    }

    #[test]
    fn a_matching_model_passes() {
        check_model::<Model>(&schema("name")).unwrap();
    }

    #[test]
    fn a_schema_attribute_without_a_model_field_fails_by_name() {
        let s = schema("name").attribute(Attribute::string("display_name").optional());
        let e = check_model::<Model>(&s).unwrap_err();
        assert_eq!(e, "schema attribute `display_name` has no model field");
    }

    #[test]
    fn a_model_field_without_a_schema_attribute_fails_by_name() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Extra {
            id: Attr<String>,
            surplus: Attr<String>,
        }
        let s = Schema::new("x").attribute(Attribute::string("id").computed());
        let e = check_model::<Extra>(&s).unwrap_err();
        assert_eq!(e, "model field `surplus` has no schema attribute or block");
    }

    #[test]
    fn mismatches_inside_blocks_are_reported_with_their_path_all_at_once() {
        let s = schema("title").attribute(Attribute::string("owner").optional());
        let e = check_model::<Model>(&s).unwrap_err();
        assert_eq!(
            e.lines().collect::<Vec<_>>(),
            [
                "model field `rule.name` has no schema attribute or block",
                "schema attribute `rule.title` has no model field",
                "schema attribute `owner` has no model field",
            ]
        );
    }

    #[test]
    fn a_nested_attribute_needs_a_struct_field() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Flat {
            retry: Attr<String>,
        }
        let s = Schema::new("x").attribute(Attribute::nested(
            "retry",
            Nesting::Single,
            vec![Attribute::number("max_attempts").optional()],
        ));
        let e = check_model::<Flat>(&s).unwrap_err();
        assert!(e.starts_with("schema attribute `retry` holds objects"), "{e}");
    }

    #[test]
    fn a_model_that_is_not_a_struct_is_an_error() {
        let s = Schema::new("x").attribute(Attribute::string("id").computed());
        assert!(check_model::<String>(&s).is_err());
    }
}
