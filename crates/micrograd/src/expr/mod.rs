//! A small expression language over [`Value`]s: the calculator behind `micrograd grad`.
//!
//! ```text
//! expr   := term (('+' | '-') term)*
//! term   := unary (('*' | '/') unary)*
//! unary  := ('-' | '+') unary | power
//! power  := atom (('^' | '**') unary)?          -- right-associative: 2^3^2 = 2^(3^2)
//! atom   := number | name | function '(' expr ')' | '(' expr ')'
//! ```
//!
//! * Numbers: `3`, `2.5`, `.5`, `1.`, `6.02e23`, `1E-3` (finite `f64`s; `1e999` is refused).
//! * Names: a letter or `_`, then letters, digits, `_` (`x`, `w1`, `b_2`). Case matters.
//! * Functions: `relu tanh exp log sigmoid sqrt abs`, each of one argument in parentheses.
//! * Precedence as in Python: `^` (also written `**`) binds tighter than unary minus, so `-x^2` is
//!   `-(x^2)`, while `2^-1` is `2^(-1)`; `*` `/` bind tighter than `+` `-`, which are left-associative.
//!
//! Parsing compiles the expression to a postfix program, so evaluation is a loop with no recursion
//! however long the expression is; parsing itself recurses only for parentheses, function calls,
//! unary signs and `^`, and refuses nesting deeper than [`MAX_DEPTH`]. No input makes it panic.
//!
//! ```
//! use micrograd::expr::Expr;
//!
//! let e: Expr = "tanh(x1*w1 + x2*w2 + b)".parse().unwrap();
//! let out = e
//!     .eval(&[("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 6.8813735870195432)])
//!     .unwrap();
//! out.value.backward();
//! assert!((out.value.data() - 0.7071).abs() < 1e-4);
//! assert!((out.grad("x1").unwrap() + 1.5).abs() < 1e-9);
//! ```
//!
//! Variables become leaves labelled with their names (each name one leaf, however often it is used,
//! so its gradient sums over every use). Parts of the expression without variables are computed as
//! plain numbers, and a number next to a value becomes the constant of an engine op (`x*2` is one
//! `MulConst` node, not a leaf and a product), which is also how the graph picture shows it. The one
//! exception is a number raised to a value (`2^x`): the number becomes a leaf labelled with it.

mod error;
mod functions;
mod lexer;
mod parser;

pub use error::{point_at, EvalError, ParseError, ParseErrorKind};
pub use functions::Function;

use crate::engine::Value;
use lexer::{lex, Tok};
use parser::Parser;
use std::str::FromStr;

/// The deepest nesting that [`Expr::parse`] accepts. Each `(` (also a function call's), each unary
/// sign and each `^` opens a level until what it applies to is parsed: `((x))` and `--x` and
/// `2^2^x` are 2 levels deep. Deeper input is refused with [`ParseErrorKind::TooDeep`], pointing at
/// the token that went one level too deep.
pub const MAX_DEPTH: usize = 200;

/// A binary operator of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// One step of the compiled postfix program.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Instr {
    /// Push a number.
    Num(f64),
    /// Push variable number `i` (index into `Expr::vars`).
    Var(usize),
    /// Negate the top.
    Neg,
    /// Pop `b`, pop `a`, push `a op b`.
    Bin(BinOp),
    /// Apply a function to the top.
    Call(Function),
}

/// A parsed expression, ready to evaluate any number of times.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    code: Vec<Instr>,
    /// Each distinct variable with the column of its first use, in order of first use.
    vars: Vec<(String, usize)>,
}

/// The result of [`Expr::eval`]: the expression's value and the leaf of each variable, on the tape.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The expression's value (a leaf if the expression has no variables).
    pub value: Value,
    /// Each variable of the expression and its leaf, in order of first use.
    pub variables: Vec<(String, Value)>,
}

impl Evaluation {
    /// The gradient of variable `name` (after `value.backward()`), or `None` if the expression does
    /// not use it.
    pub fn grad(&self, name: &str) -> Option<f64> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.grad())
    }
}

/// An operand during evaluation: a plain number, or a value on the tape.
#[derive(Clone, Copy)]
enum Operand {
    Num(f64),
    Val(Value),
}

impl Operand {
    fn into_value(self) -> Value {
        match self {
            Operand::Num(x) => Value::new(x),
            Operand::Val(v) => v,
        }
    }
}

impl Expr {
    /// Parses an expression (see the [module documentation](self) for the grammar).
    ///
    /// # Errors
    /// A [`ParseError`] with the column of the first problem: an unexpected character or token, an
    /// early end, an unclosed `(`, an unknown function (named), a function without its argument, a
    /// number beyond `f64`, nesting deeper than [`MAX_DEPTH`].
    ///
    /// ```
    /// use micrograd::expr::{Expr, ParseErrorKind};
    /// assert!(Expr::parse("-x^2 + 3*y").is_ok());
    /// let err = Expr::parse("2 * sin(x)").unwrap_err();
    /// assert_eq!(err.kind, ParseErrorKind::UnknownFunction("sin".into()));
    /// assert_eq!(err.column, 5);
    /// ```
    pub fn parse(source: &str) -> Result<Expr, ParseError> {
        let tokens = lex(source)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            depth: 0,
            code: Vec::new(),
            vars: Vec::new(),
        };
        if p.peek().kind == Tok::End {
            return Err(ParseError {
                column: p.peek().column,
                kind: ParseErrorKind::Empty,
            });
        }
        p.expr()?;
        let t = p.peek();
        match &t.kind {
            Tok::End => {}
            Tok::RParen => {
                return Err(p.error(ParseErrorKind::Unexpected {
                    found: ")".into(),
                    expected: "an operator or the end (this ')' has no '(')",
                }))
            }
            _ => {
                return Err(p.error(ParseErrorKind::Unexpected {
                    found: t.text.clone(),
                    expected: "an operator or the end",
                }))
            }
        }
        Ok(Expr {
            code: p.code,
            vars: p.vars,
        })
    }

    /// The variables of the expression, in order of first use, each once.
    ///
    /// ```
    /// let e = micrograd::expr::Expr::parse("y*x + y").unwrap();
    /// assert_eq!(e.variables().collect::<Vec<_>>(), ["y", "x"]);
    /// ```
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(n, _)| n.as_str())
    }

    /// Evaluates the expression on the current thread's tape, with `bindings` giving each variable's
    /// value. Each variable becomes one leaf labelled with its name; call `backward()` on
    /// [`Evaluation::value`] for the gradients. Bindings the expression does not use are ignored.
    /// Arithmetic follows IEEE 754: `1/0` is `inf`, `log(-1)` is NaN; nothing is an error.
    ///
    /// # Errors
    /// [`EvalError::UnknownVariable`] naming the first variable without a value;
    /// [`EvalError::DuplicateVariable`] if a name is bound twice.
    ///
    /// ```
    /// use micrograd::expr::{EvalError, Expr};
    /// let e = Expr::parse("x*y + 1").unwrap();
    /// let out = e.eval(&[("x", 2.0), ("y", 3.0)]).unwrap();
    /// out.value.backward();
    /// assert_eq!(out.value.data(), 7.0);
    /// assert_eq!(out.grad("x"), Some(3.0));
    /// assert_eq!(
    ///     e.eval(&[("x", 2.0)]).unwrap_err(),
    ///     EvalError::UnknownVariable { name: "y".into(), column: 3 }
    /// );
    /// ```
    pub fn eval(&self, bindings: &[(&str, f64)]) -> Result<Evaluation, EvalError> {
        for (i, (name, _)) in bindings.iter().enumerate() {
            if bindings[..i].iter().any(|(n, _)| n == name) {
                return Err(EvalError::DuplicateVariable(name.to_string()));
            }
        }
        let mut leaves = Vec::with_capacity(self.vars.len());
        for (name, column) in &self.vars {
            match bindings.iter().find(|(n, _)| n == name) {
                Some(&(_, x)) => leaves.push(Value::new(x).with_label(name)),
                None => {
                    return Err(EvalError::UnknownVariable {
                        name: name.clone(),
                        column: *column,
                    })
                }
            }
        }
        let mut stack: Vec<Operand> = Vec::new();
        for instr in &self.code {
            let result = match *instr {
                Instr::Num(x) => Operand::Num(x),
                Instr::Var(i) => Operand::Val(leaves[i]),
                Instr::Neg => match pop(&mut stack) {
                    Operand::Num(x) => Operand::Num(-x),
                    Operand::Val(v) => Operand::Val(-v),
                },
                Instr::Call(f) => match pop(&mut stack) {
                    Operand::Num(x) => Operand::Num(f.apply_f64(x)),
                    Operand::Val(v) => Operand::Val(f.apply(v)),
                },
                Instr::Bin(op) => {
                    let b = pop(&mut stack);
                    let a = pop(&mut stack);
                    binary(op, a, b)
                }
            };
            stack.push(result);
        }
        let value = pop(&mut stack).into_value();
        let variables = self
            .vars
            .iter()
            .map(|(n, _)| n.clone())
            .zip(leaves)
            .collect();
        Ok(Evaluation { value, variables })
    }
}

impl FromStr for Expr {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Expr, ParseError> {
        Expr::parse(s)
    }
}

/// Pops an operand. The parser only emits well-formed postfix code, so the stack never runs dry;
/// should it ever, the missing operand reads as 0 rather than panicking.
fn pop(stack: &mut Vec<Operand>) -> Operand {
    stack.pop().unwrap_or(Operand::Num(0.0))
}

fn binary(op: BinOp, a: Operand, b: Operand) -> Operand {
    use Operand::{Num, Val};
    match (op, a, b) {
        (BinOp::Add, Num(x), Num(y)) => Num(x + y),
        (BinOp::Sub, Num(x), Num(y)) => Num(x - y),
        (BinOp::Mul, Num(x), Num(y)) => Num(x * y),
        (BinOp::Div, Num(x), Num(y)) => Num(x / y),
        (BinOp::Pow, Num(x), Num(y)) => Num(x.powf(y)),
        (BinOp::Add, Val(v), Num(y)) => Val(v + y),
        (BinOp::Sub, Val(v), Num(y)) => Val(v - y),
        (BinOp::Mul, Val(v), Num(y)) => Val(v * y),
        (BinOp::Div, Val(v), Num(y)) => Val(v / y),
        (BinOp::Pow, Val(v), Num(y)) => Val(v.pow(y)),
        (BinOp::Add, Num(x), Val(w)) => Val(x + w),
        (BinOp::Sub, Num(x), Val(w)) => Val(x - w),
        (BinOp::Mul, Num(x), Val(w)) => Val(x * w),
        (BinOp::Div, Num(x), Val(w)) => Val(x / w),
        (BinOp::Pow, Num(x), Val(w)) => Val(Value::new(x).with_label(&format!("{x}")).pow(w)),
        (BinOp::Add, Val(v), Val(w)) => Val(v + w),
        (BinOp::Sub, Val(v), Val(w)) => Val(v - w),
        (BinOp::Mul, Val(v), Val(w)) => Val(v * w),
        (BinOp::Div, Val(v), Val(w)) => Val(v / w),
        (BinOp::Pow, Val(v), Val(w)) => Val(v.pow(w)),
    }
}
