//! Schemas built in code: attributes with their type, flags, description, validators, defaults
//! and plan modifiers. The same schema drives the wire, plan semantics and the generated docs.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::types::Type;
use super::value::Value;

/// A versioned schema of a provider, resource, data source or ephemeral resource.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Bumped when the stored state shape changes; older states go through `upgrade_state`.
    pub version: i64,
    /// The root block: the attributes and nested blocks.
    pub block: Block,
}

impl Schema {
    /// An empty version-0 schema with this (markdown) description.
    pub fn new(description: impl Into<String>) -> Schema {
        Schema { version: 0, block: Block { description: description.into(), ..Block::default() } }
    }

    /// Set the schema version.
    pub fn version(mut self, v: i64) -> Schema {
        self.version = v;
        self
    }

    /// Add an attribute.
    pub fn attribute(mut self, a: Attribute) -> Schema {
        self.block.attributes.push(a);
        self
    }

    /// Add a nested block.
    pub fn block(mut self, b: NestedBlock) -> Schema {
        self.block.blocks.push(b);
        self
    }

    /// Mark the whole resource or data source deprecated, with what to use instead.
    pub fn deprecated(mut self, message: impl Into<String>) -> Schema {
        self.block.deprecation = Some(message.into());
        self
    }

    /// The object type of values of this schema.
    pub fn value_type(&self) -> Type {
        self.block.object_type()
    }

    /// The top-level attribute called `name`.
    pub fn attribute_named(&self, name: &str) -> Option<&Attribute> {
        self.block.attributes.iter().find(|a| a.name == name)
    }
}

/// A block: the root of a schema or a nested block.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// The block's attributes, in display order.
    pub attributes: Vec<Attribute>,
    /// The block's nested blocks.
    pub blocks: Vec<NestedBlock>,
    /// Markdown.
    pub description: String,
    /// Why the block is deprecated and what to use instead, if it is.
    pub deprecation: Option<String>,
}

impl Block {
    /// The object type of values of this block (attributes and nested blocks).
    pub fn object_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> =
            self.attributes.iter().map(|a| (a.name.clone(), a.value_type())).collect();
        for b in &self.blocks {
            attrs.insert(b.type_name.clone(), b.value_type());
        }
        Type::Object(attrs, Default::default())
    }
}

/// How a nested block or nested attribute repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one.
    Single,
    /// Like `Single` but never null (blocks only).
    Group,
    /// An ordered list.
    List,
    /// A set: order carries no meaning.
    Set,
    /// A map keyed by string (for blocks, the block label is the key).
    Map,
}

/// A nested block type (`rule { ... }`).
#[derive(Clone, Debug)]
pub struct NestedBlock {
    /// The block's name in configurations (`rule`).
    pub type_name: String,
    /// How the block repeats.
    pub nesting: Nesting,
    /// The block's content.
    pub block: Block,
    /// The least number of blocks (0 = no limit).
    pub min_items: i64,
    /// The greatest number of blocks (0 = no limit).
    pub max_items: i64,
}

impl NestedBlock {
    /// A nested block without item limits.
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> NestedBlock {
        NestedBlock { type_name: type_name.into(), nesting, block, min_items: 0, max_items: 0 }
    }

    /// Limit the number of blocks (0 = no limit).
    pub fn items(mut self, min: i64, max: i64) -> NestedBlock {
        self.min_items = min;
        self.max_items = max;
        self
    }

    /// The type of this block's value: an object, or a collection of objects.
    pub fn value_type(&self) -> Type {
        let obj = self.block.object_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }
}

/// The type of an attribute: a plain type, or nested attributes (protocol 6 `Schema.Object`).
#[derive(Clone, Debug)]
pub enum AttributeType {
    /// A primitive, collection or object type.
    Plain(Type),
    /// Nested attributes: an object (or a collection of objects) with attributes of its own.
    Nested {
        /// How the object repeats.
        nesting: Nesting,
        /// The object's attributes.
        attributes: Vec<Attribute>,
    },
}

/// Checks a known, non-null attribute value; used for config validation.
pub trait Validator: Send + Sync {
    /// Markdown sentence for docs ("must be at least 1").
    fn description(&self) -> String;
    /// Report every problem with `value` at `path`.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// What a plan modifier sees of one attribute.
pub struct PlanModifierRequest<'a> {
    /// The attribute being planned.
    pub path: &'a AttributePath,
    /// The attribute's configuration value.
    pub config: &'a Value,
    /// The prior state value (null on create).
    pub state: &'a Value,
    /// The planned value so far.
    pub plan: &'a Value,
    /// True when the resource already exists (an update), false on create.
    pub resource_exists: bool,
}

/// What a plan modifier may change.
pub struct PlanModifierResponse {
    /// The planned value; the modifier may replace it.
    pub plan: Value,
    /// Set when the change must replace the resource.
    pub requires_replace: bool,
    /// Problems the modifier reports.
    pub diags: Diagnostics,
}

/// Adjusts the planned value of one attribute.
pub trait PlanModifier: Send + Sync {
    /// Markdown sentence for docs ("changing it replaces the resource").
    fn description(&self) -> String;
    /// Adjust `resp` for the attribute `req` describes.
    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse);
}

/// One attribute.
#[derive(Clone)]
pub struct Attribute {
    /// The attribute's name in configurations (`display_name`).
    pub name: String,
    /// The attribute's type.
    pub ty: AttributeType,
    /// Markdown; feeds the docs and the language server.
    pub description: String,
    /// The configuration must set it.
    pub required: bool,
    /// The configuration may set it.
    pub optional: bool,
    /// The provider may set it (alone: read-only; with `optional`: a default the provider chooses).
    pub computed: bool,
    /// Terraform hides the value in plans and output.
    pub sensitive: bool,
    /// Only in the configuration: never stored in plans or state (Terraform 1.11+).
    pub write_only: bool,
    /// Why the attribute is deprecated and what to use instead, if it is.
    pub deprecation: Option<String>,
    /// Checks of the configured value.
    pub validators: Vec<Arc<dyn Validator>>,
    /// Adjustments of the planned value.
    pub plan_modifiers: Vec<Arc<dyn PlanModifier>>,
    /// Used when the configuration leaves the attribute null (Optional + Computed only).
    pub default: Option<Value>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .field("sensitive", &self.sensitive)
            .field("write_only", &self.write_only)
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

impl Attribute {
    /// An attribute of type `ty` with no flags set (set one of required, optional, computed).
    pub fn new(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            name: name.into(),
            ty: AttributeType::Plain(ty),
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecation: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
            default: None,
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::String)
    }
    /// A bool attribute.
    pub fn bool(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Bool)
    }
    /// A number attribute.
    pub fn number(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Number)
    }
    /// A set attribute with elements of type `element`.
    pub fn set_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::set(element))
    }
    /// A list attribute with elements of type `element`.
    pub fn list_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::list(element))
    }
    /// A map attribute with values of type `element`.
    pub fn map_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::map(element))
    }
    /// A nested attribute (protocol 6 `Schema.Object`) holding `attributes`, repeated by `nesting`.
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Attribute {
        let mut a = Attribute::new(name, Type::Dynamic);
        a.ty = AttributeType::Nested { nesting, attributes };
        a
    }

    /// The configuration must set it.
    pub fn required(mut self) -> Attribute {
        self.required = true;
        self
    }
    /// The configuration may set it.
    pub fn optional(mut self) -> Attribute {
        self.optional = true;
        self
    }
    /// The provider may set it.
    pub fn computed(mut self) -> Attribute {
        self.computed = true;
        self
    }
    /// Terraform hides the value in plans and output.
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    /// Never stored in plans or state; needs Terraform 1.11 or later.
    pub fn write_only(mut self) -> Attribute {
        self.write_only = true;
        self
    }
    /// Set the markdown description (docs and the language server).
    pub fn description(mut self, md: impl Into<String>) -> Attribute {
        self.description = md.into();
        self
    }
    /// Mark the attribute deprecated, with what to use instead.
    pub fn deprecated(mut self, message: impl Into<String>) -> Attribute {
        self.deprecation = Some(message.into());
        self
    }
    /// Add a check of the configured value.
    pub fn validator(mut self, v: impl Validator + 'static) -> Attribute {
        self.validators.push(Arc::new(v));
        self
    }
    /// Add an adjustment of the planned value.
    pub fn plan_modifier(mut self, m: impl PlanModifier + 'static) -> Attribute {
        self.plan_modifiers.push(Arc::new(m));
        self
    }
    /// A default for an Optional + Computed attribute (the attribute is made computed).
    pub fn default(mut self, v: impl Into<Value>) -> Attribute {
        self.default = Some(v.into());
        self.computed = true;
        self
    }

    /// The type of this attribute's value (nested attributes give objects or collections of them).
    pub fn value_type(&self) -> Type {
        match &self.ty {
            AttributeType::Plain(t) => t.clone(),
            AttributeType::Nested { nesting, attributes } => {
                let obj = Type::Object(
                    attributes.iter().map(|a| (a.name.clone(), a.value_type())).collect(),
                    Default::default(),
                );
                match nesting {
                    Nesting::Single | Nesting::Group => obj,
                    Nesting::List => Type::list(obj),
                    Nesting::Set => Type::set(obj),
                    Nesting::Map => Type::map(obj),
                }
            }
        }
    }

    /// Internal consistency of the flags; a violation is a provider bug caught by tests.
    pub fn check(&self) -> Result<(), String> {
        let n = &self.name;
        let modes = [self.required, self.optional || self.computed].iter().filter(|b| **b).count();
        if modes != 1 {
            return Err(format!("{n}: exactly one of required, or optional/computed, must be set"));
        }
        if self.write_only && self.computed {
            return Err(format!("{n}: a write-only attribute cannot be computed"));
        }
        if self.default.is_some() && !(self.optional && self.computed) {
            return Err(format!("{n}: a default needs optional + computed"));
        }
        if let AttributeType::Nested { attributes, .. } = &self.ty {
            for a in attributes {
                a.check()?;
            }
        }
        Ok(())
    }
}

impl Block {
    /// Check every attribute's flags, recursively.
    pub fn check(&self) -> Result<(), String> {
        for a in &self.attributes {
            a.check()?;
        }
        for b in &self.blocks {
            b.block.check()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_type_includes_attributes_and_blocks() {
        let s = Schema::new("x")
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::set_of("tags", Type::String).optional())
            .block(NestedBlock::new(
                "rule",
                Nesting::List,
                Block { attributes: vec![Attribute::string("name").required()], ..Block::default() },
            ));
        assert_eq!(
            s.value_type(),
            Type::object([
                ("id", Type::String),
                ("tags", Type::set(Type::String)),
                ("rule", Type::list(Type::object([("name", Type::String)]))),
            ])
        );
        s.block.check().unwrap();
    }

    #[test]
    fn flag_checks_catch_provider_bugs() {
        assert!(Attribute::string("a").check().is_err());
        assert!(Attribute::string("a").optional().computed().write_only().check().is_err());
        assert!(Attribute::bool("a").required().default(true).check().is_err());
        assert!(Attribute::bool("a").optional().default(true).check().is_ok());
    }
}
