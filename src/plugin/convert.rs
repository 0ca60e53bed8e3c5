//! Conversions between framework types and the generated protocol types.

use std::time::SystemTime;

use crate::framework::schema::{Attribute, AttributeType, Block, NestedBlock, Nesting, Schema};
use crate::framework::{AttributePath, Diagnostic, Diagnostics, DynamicValue, PathStep, Severity};

use super::proto::tfplugin6 as tf;

/// A protocol dynamic value as the framework's (a missing one is null).
pub fn dynamic_in(v: Option<tf::DynamicValue>) -> DynamicValue {
    match v {
        Some(v) => DynamicValue { msgpack: v.msgpack, json: v.json },
        None => DynamicValue::default(),
    }
}

/// A framework dynamic value as the protocol's.
pub fn dynamic_out(v: DynamicValue) -> tf::DynamicValue {
    tf::DynamicValue { msgpack: v.msgpack, json: v.json }
}

/// A framework attribute path as the protocol's.
pub fn path_out(p: &AttributePath) -> tf::AttributePath {
    use tf::attribute_path::step::Selector;
    tf::AttributePath {
        steps: p
            .steps()
            .iter()
            .map(|s| tf::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// A protocol attribute path as the framework's.
pub fn path_in(p: &tf::AttributePath) -> AttributePath {
    use tf::attribute_path::step::Selector;
    AttributePath(
        p.steps
            .iter()
            .filter_map(|s| {
                Some(match s.selector.as_ref()? {
                    Selector::AttributeName(a) => PathStep::Attribute(a.clone()),
                    Selector::ElementKeyString(k) => PathStep::Key(k.clone()),
                    Selector::ElementKeyInt(i) => PathStep::Index(*i),
                })
            })
            .collect(),
    )
}

/// A framework diagnostic as the protocol's.
pub fn diagnostic_out(d: &Diagnostic) -> tf::Diagnostic {
    tf::Diagnostic {
        severity: match d.severity {
            Severity::Error => tf::diagnostic::Severity::Error as i32,
            Severity::Warning => tf::diagnostic::Severity::Warning as i32,
        },
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().filter(|p| !p.is_empty()).map(path_out),
    }
}

/// Framework diagnostics as the protocol's, in order.
pub fn diagnostics_out(d: &Diagnostics) -> Vec<tf::Diagnostic> {
    d.iter().map(diagnostic_out).collect()
}

/// A framework schema as the protocol's.
pub fn schema_out(s: &Schema) -> tf::Schema {
    tf::Schema { version: s.version, block: Some(block_out(&s.block, s.version)) }
}

fn block_out(b: &Block, version: i64) -> tf::schema::Block {
    tf::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute_out).collect(),
        block_types: b.blocks.iter().map(nested_block_out).collect(),
        description: b.description.clone(),
        description_kind: tf::StringKind::Markdown as i32,
        deprecated: b.deprecation.is_some(),
        deprecation_message: b.deprecation.clone().unwrap_or_default(),
    }
}

fn attribute_out(a: &Attribute) -> tf::schema::Attribute {
    let (ty, nested_type) = match &a.ty {
        AttributeType::Plain(t) => (t.to_json_bytes(), None),
        AttributeType::Nested { nesting, attributes } => (
            Vec::new(),
            Some(tf::schema::Object {
                attributes: attributes.iter().map(attribute_out).collect(),
                nesting: match nesting {
                    Nesting::Single | Nesting::Group => tf::schema::object::NestingMode::Single,
                    Nesting::List => tf::schema::object::NestingMode::List,
                    Nesting::Set => tf::schema::object::NestingMode::Set,
                    Nesting::Map => tf::schema::object::NestingMode::Map,
                } as i32,
                ..Default::default()
            }),
        ),
    };
    tf::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type,
        description: a.description.clone(),
        description_kind: tf::StringKind::Markdown as i32,
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        write_only: a.write_only,
        deprecated: a.deprecation.is_some(),
        deprecation_message: a.deprecation.clone().unwrap_or_default(),
    }
}

fn nested_block_out(b: &NestedBlock) -> tf::schema::NestedBlock {
    use tf::schema::nested_block::NestingMode;
    tf::schema::NestedBlock {
        type_name: b.type_name.clone(),
        block: Some(block_out(&b.block, 0)),
        nesting: match b.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::Group => NestingMode::Group,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        } as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

/// A time as a protobuf timestamp.
pub fn timestamp_out(t: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Type;

    #[test]
    fn paths_round_trip() {
        let p = AttributePath::attr("a").then_index(2).then_key("k");
        assert_eq!(path_in(&path_out(&p)), p);
    }

    #[test]
    fn diagnostics_never_use_invalid_severity() {
        let d = Diagnostic::warning("w", "x").at(AttributePath::attr("a"));
        let out = diagnostic_out(&d);
        assert_eq!(out.severity, tf::diagnostic::Severity::Warning as i32);
        assert_eq!(out.attribute.unwrap().steps.len(), 1);
        let e = diagnostic_out(&Diagnostic::error("e", ""));
        assert_eq!(e.severity, tf::diagnostic::Severity::Error as i32);
        assert!(e.attribute.is_none());
    }

    #[test]
    fn schema_carries_flags_and_type_json() {
        let s = Schema::new("desc")
            .version(2)
            .attribute(Attribute::string("secret").computed().sensitive())
            .attribute(Attribute::string("password_wo").optional().write_only())
            .attribute(Attribute::set_of("tags", Type::String).required());
        let out = schema_out(&s);
        let b = out.block.unwrap();
        assert_eq!(out.version, 2);
        assert_eq!(b.attributes[0].r#type, br#""string""#.to_vec());
        assert!(b.attributes[0].sensitive && b.attributes[0].computed);
        assert!(b.attributes[1].write_only);
        assert_eq!(b.attributes[2].r#type, br#"["set","string"]"#.to_vec());
        assert_eq!(b.description_kind, tf::StringKind::Markdown as i32);
    }
}
