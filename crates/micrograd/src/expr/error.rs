//! What can go wrong in parsing ([`ParseError`]) and evaluating ([`EvalError`]) an expression, and
//! [`point_at`], which draws a caret under a column.

use super::{Function, MAX_DEPTH};
use std::fmt;

/// What went wrong in [`Expr::parse`](super::Expr::parse).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The expression is empty (or only whitespace).
    Empty,
    /// A character that is not part of the language.
    UnexpectedChar(char),
    /// A token where something else was expected.
    Unexpected {
        /// The token found, as written.
        found: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// The expression ended where something else was expected.
    UnexpectedEnd {
        /// What would have been accepted.
        expected: &'static str,
    },
    /// A `(` without its `)`.
    UnclosedParen,
    /// A name followed by `(` that is not a function of the language.
    UnknownFunction(String),
    /// A function name used without `(argument)`.
    MissingArgument(String),
    /// A number too large for an `f64` (it would be infinite).
    NumberOutOfRange(String),
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// A parse error and the 1-based column (in characters) where it was found; [`ParseError::show`]
/// draws a `^` under that column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based column of the offending character or token; one past the end for an early end.
    pub column: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// The expression on one line and a `^` under the error's column on the next (no trailing
    /// newline). Tabs and other control characters are shown as spaces so the caret lines up.
    ///
    /// ```
    /// use micrograd::expr::Expr;
    /// let src = "x + * y";
    /// let err = Expr::parse(src).unwrap_err();
    /// assert_eq!(err.column, 5);
    /// assert_eq!(err.show(src), "x + * y\n    ^");
    /// ```
    pub fn show(&self, source: &str) -> String {
        point_at(source, self.column)
    }
}

/// `source` on one line and a `^` under its 1-based character `column` on the next (no trailing
/// newline); control characters are shown as spaces so the caret lines up. A column past the end
/// points just after the last character.
///
/// ```
/// assert_eq!(micrograd::expr::point_at("x*y + z", 7), "x*y + z\n      ^");
/// ```
pub fn point_at(source: &str, column: usize) -> String {
    let line: String = source
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let pad = column.saturating_sub(1).min(line.chars().count());
    format!("{line}\n{}^", " ".repeat(pad))
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: ", self.column)?;
        match &self.kind {
            ParseErrorKind::Empty => write!(f, "the expression is empty"),
            ParseErrorKind::UnexpectedChar(c) => write!(f, "unexpected character {c:?}"),
            ParseErrorKind::Unexpected { found, expected } => {
                write!(f, "expected {expected}, found '{found}'")
            }
            ParseErrorKind::UnexpectedEnd { expected } => {
                write!(f, "expected {expected}, found the end of the expression")
            }
            ParseErrorKind::UnclosedParen => write!(f, "this '(' is never closed"),
            ParseErrorKind::UnknownFunction(name) => {
                let known: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
                write!(
                    f,
                    "unknown function '{name}' (the functions are {})",
                    known.join(", ")
                )
            }
            ParseErrorKind::MissingArgument(name) => {
                write!(f, "function '{name}' needs an argument: {name}(...)")
            }
            ParseErrorKind::NumberOutOfRange(text) => {
                write!(f, "number {text} is too large for a 64-bit float")
            }
            ParseErrorKind::TooDeep => {
                write!(
                    f,
                    "the expression is nested more than {MAX_DEPTH} levels deep"
                )
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// What went wrong in [`Expr::eval`](super::Expr::eval).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// A variable of the expression has no value.
    UnknownVariable {
        /// The variable's name.
        name: String,
        /// 1-based column of its first use.
        column: usize,
    },
    /// The same name was given two values.
    DuplicateVariable(String),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::UnknownVariable { name, column } => {
                write!(
                    f,
                    "column {column}: unknown variable '{name}' (no value given)"
                )
            }
            EvalError::DuplicateVariable(name) => write!(f, "variable '{name}' is given twice"),
        }
    }
}

impl EvalError {
    /// The 1-based column the error refers to, if it refers to one.
    pub fn column(&self) -> Option<usize> {
        match self {
            EvalError::UnknownVariable { column, .. } => Some(*column),
            EvalError::DuplicateVariable(_) => None,
        }
    }
}

impl std::error::Error for EvalError {}
