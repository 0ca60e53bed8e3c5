//! Diagnostics: what Terraform shows the user, with the attribute to change.

use super::path::AttributePath;

/// How serious a diagnostic is: an error stops the operation, a warning does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The operation failed.
    Error,
    /// Something the user should know; the operation goes on.
    Warning,
}

/// One diagnostic: a one-line summary, a detail that says what to do, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line that names the problem.
    pub summary: String,
    /// What happened and what to do about it.
    pub detail: String,
    /// The attribute to change, when the problem is in one.
    pub path: Option<AttributePath>,
}

impl Diagnostic {
    /// An error without an attribute path.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, summary: summary.into(), detail: detail.into(), path: None }
    }

    /// A warning without an attribute path.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, summary: summary.into(), detail: detail.into(), path: None }
    }

    /// Point the diagnostic at an attribute.
    pub fn at(mut self, path: AttributePath) -> Diagnostic {
        self.path = Some(path);
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// An ordered collection of diagnostics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    /// Add a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Add an error without an attribute path.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    /// Add a warning without an attribute path.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }

    /// Add an error that points at the attribute `path`.
    pub fn error_at(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail).at(path));
    }

    /// Add a warning that points at the attribute `path`.
    pub fn warning_at(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail).at(path));
    }

    /// Append every diagnostic of `other`, in order.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether any diagnostic is an error.
    pub fn has_error(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// A mark of what has been reported so far, for [`Diagnostics::error_since`].
    pub fn mark(&self) -> DiagnosticsMark {
        DiagnosticsMark(self.0.len())
    }

    /// Whether an error was added after `mark`: "did this step fail", the one way to ask it.
    pub fn error_since(&self, mark: DiagnosticsMark) -> bool {
        self.0.get(mark.0..).is_some_and(|added| added.iter().any(Diagnostic::is_error))
    }

    /// `Some(value)` for `Ok`, or `None` after adding `to_diagnostic(error)`: the one step that turns a
    /// failed call into what the user sees.
    pub fn ok<T, E>(&mut self, result: Result<T, E>, to_diagnostic: impl FnOnce(E) -> Diagnostic) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(to_diagnostic(e));
                None
            }
        }
    }

    /// How many diagnostics there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no diagnostics.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

/// What [`Diagnostics::mark`] returns.
#[derive(Clone, Copy, Debug)]
pub struct DiagnosticsMark(usize);

impl std::ops::Index<usize> for Diagnostics {
    type Output = Diagnostic;
    fn index(&self, i: usize) -> &Diagnostic {
        &self.0[i]
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
