//! The RSQL subset the simulator understands in Jamf list `filter` parameters:
//!
//! - comparisons `field==value` and `field!=value`; `*` in a value matches any run of characters;
//! - `;` or ` and ` for AND, `,` or ` or ` for OR (AND binds tighter), parentheses for grouping;
//! - values unquoted (up to whitespace, `;`, `,`, `(` or `)`), or in double or single quotes in which a
//!   backslash takes the next character literally (so `\"`, `\\` and a literal `\*`).
//!
//! Matching is case-sensitive, like the simulator's uniqueness checks. Other RSQL operators (`=in=`, `=gt=`,
//! `<` …) are refused with an error rather than silently ignored.

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Cmp { field: String, negated: bool, pattern: Pattern },
}

/// A value with wildcards: literal runs and `*`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(Vec<Piece>);

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(char),
    Any,
}

impl Pattern {
    /// Glob match with `*` only; linear backtracking on the last star.
    pub fn matches(&self, text: &str) -> bool {
        let p = &self.0;
        let t: Vec<char> = text.chars().collect();
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some(Piece::Lit(c)) if *c == t[ti] => {
                    pi += 1;
                    ti += 1;
                }
                Some(Piece::Any) => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|x| *x == Piece::Any)
    }
}

impl Expr {
    /// Evaluates the filter; `field` returns the value of a field of the item under test.
    pub fn matches(&self, field: &dyn Fn(&str) -> String) -> bool {
        match self {
            Expr::Or(xs) => xs.iter().any(|x| x.matches(field)),
            Expr::And(xs) => xs.iter().all(|x| x.matches(field)),
            Expr::Cmp { field: name, negated, pattern } => pattern.matches(&field(name)) != *negated,
        }
    }
}

/// Parses `input`, allowing comparisons on `fields` only.
pub fn parse(input: &str, fields: &[&str]) -> Result<Expr, String> {
    let mut p = Parser { s: input.chars().collect(), i: 0, fields };
    let e = p.or()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(format!("unexpected '{}' at position {}", p.s[p.i..].iter().collect::<String>(), p.i));
    }
    Ok(e)
}

struct Parser<'a> {
    s: Vec<char>,
    i: usize,
    fields: &'a [&'a str],
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    /// Consumes `kw` if it stands here as a word (followed by whitespace or `(`).
    fn keyword(&mut self, kw: &str) -> bool {
        let n = kw.chars().count();
        let matches = self.s.len() >= self.i + n
            && self.s[self.i..self.i + n].iter().zip(kw.chars()).all(|(a, b)| a.eq_ignore_ascii_case(&b))
            && self.s.get(self.i + n).is_some_and(|c| c.is_whitespace() || *c == '(');
        if matches {
            self.i += n;
        }
        matches
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.and()?];
        loop {
            self.ws();
            if self.peek() == Some(',') {
                self.i += 1;
            } else if !self.keyword("or") {
                break;
            }
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 { xs.pop().unwrap_or(Expr::Or(vec![])) } else { Expr::Or(xs) })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.primary()?];
        loop {
            self.ws();
            if self.peek() == Some(';') {
                self.i += 1;
            } else if !self.keyword("and") {
                break;
            }
            xs.push(self.primary()?);
        }
        Ok(if xs.len() == 1 { xs.pop().unwrap_or(Expr::And(vec![])) } else { Expr::And(xs) })
    }

    fn primary(&mut self) -> Result<Expr, String> {
        self.ws();
        if self.peek() == Some('(') {
            self.i += 1;
            let e = self.or()?;
            self.ws();
            if self.peek() != Some(')') {
                return Err("missing ')'".into());
            }
            self.i += 1;
            return Ok(e);
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            self.i += 1;
        }
        let field: String = self.s[start..self.i].iter().collect();
        if field.is_empty() {
            return Err(format!("expected a field name at position {start}"));
        }
        if !self.fields.contains(&field.as_str()) {
            return Err(format!("field '{field}' cannot be filtered on (allowed: {})", self.fields.join(", ")));
        }
        self.ws();
        let negated = match (self.peek(), self.s.get(self.i + 1)) {
            (Some('='), Some('=')) => false,
            (Some('!'), Some('=')) => true,
            _ => {
                return Err(format!("unsupported operator after '{field}' (supported: ==, !=)"));
            }
        };
        self.i += 2;
        self.ws();
        let pattern = self.value()?;
        Ok(Expr::Cmp { field, negated, pattern })
    }

    fn value(&mut self) -> Result<Pattern, String> {
        let mut pieces = Vec::new();
        match self.peek() {
            Some(q @ ('"' | '\'')) => {
                self.i += 1;
                loop {
                    match self.peek() {
                        None => return Err("unterminated quoted value".into()),
                        Some(c) if c == q => {
                            self.i += 1;
                            break;
                        }
                        Some('\\') => {
                            let c = self.s.get(self.i + 1).copied().ok_or("dangling backslash in value")?;
                            pieces.push(Piece::Lit(c));
                            self.i += 2;
                        }
                        Some('*') => {
                            pieces.push(Piece::Any);
                            self.i += 1;
                        }
                        Some(c) => {
                            pieces.push(Piece::Lit(c));
                            self.i += 1;
                        }
                    }
                }
            }
            _ => {
                while let Some(c) = self.peek() {
                    if c.is_whitespace() || matches!(c, ';' | ',' | '(' | ')' | '"' | '\'') {
                        break;
                    }
                    pieces.push(if c == '*' { Piece::Any } else { Piece::Lit(c) });
                    self.i += 1;
                }
                if pieces.is_empty() {
                    return Err(format!("expected a value at position {}", self.i));
                }
            }
        }
        Ok(Pattern(pieces))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &[&str] = &["id", "displayName"];

    fn eval(filter: &str, id: &str, name: &str) -> bool {
        let e = parse(filter, F).unwrap_or_else(|e| panic!("{filter}: {e}"));
        e.matches(&|f| match f {
            "id" => id.to_owned(),
            _ => name.to_owned(),
        })
    }

    #[test]
    fn equality_and_wildcards() {
        assert!(eval(r#"displayName=="Okta role""#, "1", "Okta role"));
        assert!(!eval(r#"displayName=="okta role""#, "1", "Okta role"));
        assert!(eval(r#"displayName=="*kta*""#, "1", "Okta role"));
        assert!(eval(r#"displayName=="Okta*""#, "1", "Okta role"));
        assert!(!eval(r#"displayName=="*Okta""#, "1", "Okta role"));
        assert!(eval("displayName==*", "1", ""));
        assert!(eval("id==12", "12", "x"));
        assert!(!eval("id==1", "12", "x"));
        assert!(eval("id==1*", "12", "x"));
        assert!(eval("displayName!=a*", "1", "b"));
        assert!(!eval("displayName!=a*", "1", "abc"));
    }

    #[test]
    fn quoting_and_escapes() {
        assert!(eval(r#"displayName=="say \"hi\"""#, "1", r#"say "hi""#));
        assert!(eval(r"displayName=='it\'s'", "1", "it's"));
        assert!(eval(r#"displayName=="back\\slash""#, "1", r"back\slash"));
        assert!(eval(r#"displayName=="a\*b""#, "1", "a*b"));
        assert!(!eval(r#"displayName=="a\*b""#, "1", "axxb"));
        assert!(eval(r#"displayName=="a;b,c (d)""#, "1", "a;b,c (d)"));
        assert!(eval(r#"displayName=="""#, "1", ""));
    }

    #[test]
    fn combinators_and_precedence() {
        assert!(eval("id==1;displayName==a", "1", "a"));
        assert!(!eval("id==1;displayName==a", "1", "b"));
        assert!(eval("id==1,id==2", "2", "x"));
        assert!(eval("id==1 and displayName==a", "1", "a"));
        assert!(eval("id==9 or displayName==a", "1", "a"));
        assert!(eval("id==9 OR displayName==a", "1", "a"));
        // AND binds tighter than OR: id==1 , (id==2 ; name==z)
        assert!(eval("id==1,id==2;displayName==z", "1", "a"));
        assert!(!eval("id==1,id==2;displayName==z", "2", "a"));
        assert!(!eval("(id==1,id==2);displayName==z", "1", "a"));
        assert!(eval("(id==1,id==2);displayName==z", "2", "z"));
    }

    #[test]
    fn errors() {
        for bad in [
            "",
            "name==x",
            "id=gt=3",
            "id<3",
            "id==",
            r#"displayName=="open"#,
            "(id==1",
            "id==1 extra",
            "id==1;",
            r#"displayName=="x\"#,
        ] {
            assert!(parse(bad, F).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn glob_backtracking() {
        let p = |s: &str| match parse(&format!("id=='{s}'"), F).unwrap() {
            Expr::Cmp { pattern, .. } => pattern,
            _ => unreachable!(),
        };
        assert!(p("a*b*c").matches("aXbYbZc"));
        assert!(p("*ab").matches("aab"));
        assert!(!p("a*b*c").matches("aXbY"));
        assert!(p("**").matches(""));
    }
}
