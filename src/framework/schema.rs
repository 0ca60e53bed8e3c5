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
    pub block: Block,
}

impl Schema {
    pub fn new(description: impl Into<String>) -> Schema {
        Schema { version: 0, block: Block { description: description.into(), ..Block::default() } }
    }

    pub fn version(mut self, v: i64) -> Schema {
        self.version = v;
        self
    }

    pub fn attribute(mut self, a: Attribute) -> Schema {
        self.block.attributes.push(a);
        self
    }

    pub fn block(mut self, b: NestedBlock) -> Schema {
        self.block.blocks.push(b);
        self
    }

    pub fn deprecated(mut self, message: impl Into<String>) -> Schema {
        self.block.deprecation = Some(message.into());
        self
    }

    /// The object type of values of this schema.
    pub fn value_type(&self) -> Type {
        self.block.object_type()
    }

    pub fn attribute_named(&self, name: &str) -> Option<&Attribute> {
        self.block.attributes.iter().find(|a| a.name == name)
    }
}

/// A block: the root of a schema or a nested block.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    /// Markdown.
    pub description: String,
    pub deprecation: Option<String>,
}

impl Block {
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
    Single,
    /// Like `Single` but never null (blocks only).
    Group,
    List,
    Set,
    Map,
}

/// A nested block type (`rule { ... }`).
#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> NestedBlock {
        NestedBlock { type_name: type_name.into(), nesting, block, min_items: 0, max_items: 0 }
    }

    pub fn items(mut self, min: i64, max: i64) -> NestedBlock {
        self.min_items = min;
        self.max_items = max;
        self
    }

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
    Plain(Type),
    Nested { nesting: Nesting, attributes: Vec<Attribute> },
}

/// Checks a known, non-null attribute value; used for config validation.
pub trait Validator: Send + Sync {
    /// Markdown sentence for docs ("must be at least 1").
    fn description(&self) -> String;
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// What a plan modifier sees of one attribute.
pub struct PlanModifierRequest<'a> {
    pub path: &'a AttributePath,
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
    pub plan: Value,
    pub requires_replace: bool,
    pub diags: Diagnostics,
}

/// Adjusts the planned value of one attribute.
pub trait PlanModifier: Send + Sync {
    fn description(&self) -> String;
    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse);
}

/// One attribute.
#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: AttributeType,
    /// Markdown; feeds the docs and the language server.
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub write_only: bool,
    pub deprecation: Option<String>,
    pub validators: Vec<Arc<dyn Validator>>,
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

    pub fn string(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::String)
    }
    pub fn bool(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Bool)
    }
    pub fn number(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Number)
    }
    pub fn set_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::set(element))
    }
    pub fn list_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::list(element))
    }
    pub fn map_of(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::map(element))
    }
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Attribute {
        let mut a = Attribute::new(name, Type::Dynamic);
        a.ty = AttributeType::Nested { nesting, attributes };
        a
    }

    pub fn required(mut self) -> Attribute {
        self.required = true;
        self
    }
    pub fn optional(mut self) -> Attribute {
        self.optional = true;
        self
    }
    pub fn computed(mut self) -> Attribute {
        self.computed = true;
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn write_only(mut self) -> Attribute {
        self.write_only = true;
        self
    }
    pub fn description(mut self, md: impl Into<String>) -> Attribute {
        self.description = md.into();
        self
    }
    pub fn deprecated(mut self, message: impl Into<String>) -> Attribute {
        self.deprecation = Some(message.into());
        self
    }
    pub fn validator(mut self, v: impl Validator + 'static) -> Attribute {
        self.validators.push(Arc::new(v));
        self
    }
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
