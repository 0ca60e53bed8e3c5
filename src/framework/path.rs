//! Attribute paths: where in a configuration a diagnostic points.

use std::fmt;

/// One step of an attribute path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An attribute or nested block type name.
    Attribute(String),
    /// A map key, or (for sets) the element's own string value.
    Key(String),
    /// A list or tuple index.
    Index(i64),
}

/// A path from the root of a resource, data source or provider configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The empty path: the whole object.
    pub fn root() -> AttributePath {
        AttributePath(Vec::new())
    }

    /// A path to a top-level attribute.
    pub fn attr(name: impl Into<String>) -> AttributePath {
        AttributePath(vec![PathStep::Attribute(name.into())])
    }

    /// Whether this is the root path.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The steps from the root, in order.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// This path followed by the attribute `name`.
    pub fn then_attr(mut self, name: impl Into<String>) -> AttributePath {
        self.0.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path followed by the map key `key`.
    pub fn then_key(mut self, key: impl Into<String>) -> AttributePath {
        self.0.push(PathStep::Key(key.into()));
        self
    }

    /// This path followed by the list index `i`.
    pub fn then_index(mut self, i: i64) -> AttributePath {
        self.0.push(PathStep::Index(i));
        self
    }

    /// `f` applied to each item with the item's index pushed on this path, collecting the
    /// results: how the codecs walk a list, set or tuple. On an error the path still ends at the
    /// failing item, which the error has already recorded.
    pub(crate) fn map_indexed<T, U, E>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut f: impl FnMut(T, &mut AttributePath) -> Result<U, E>,
    ) -> Result<Vec<U>, E> {
        let items = items.into_iter();
        let mut out = Vec::with_capacity(items.size_hint().0);
        for (i, item) in items.enumerate() {
            self.push_index(i as i64);
            out.push(f(item, self)?);
            self.pop();
        }
        Ok(out)
    }

    pub(crate) fn push_attr(&mut self, name: &str) {
        self.0.push(PathStep::Attribute(name.to_string()));
    }

    pub(crate) fn push_key(&mut self, key: &str) {
        self.0.push(PathStep::Key(key.to_string()));
    }

    pub(crate) fn push_index(&mut self, i: i64) {
        self.0.push(PathStep::Index(i));
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }
}

impl fmt::Display for AttributePath {
    /// HCL-like: `privileges["Read Computers"]`, `rule[0].name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attribute(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_hcl() {
        let p = AttributePath::attr("rule").then_index(0).then_attr("name");
        assert_eq!(p.to_string(), "rule[0].name");
        assert_eq!(AttributePath::attr("privileges").then_key("Read X").to_string(), r#"privileges["Read X"]"#);
    }
}
