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

use crate::engine::{Op, Value};
use std::fmt;
use std::str::FromStr;

/// The deepest nesting that [`Expr::parse`] accepts. Each `(` (also a function call's), each unary
/// sign and each `^` opens a level until what it applies to is parsed: `((x))` and `--x` and
/// `2^2^x` are 2 levels deep. Deeper input is refused with [`ParseErrorKind::TooDeep`], pointing at
/// the token that went one level too deep.
pub const MAX_DEPTH: usize = 200;

/// From the op table (`engine/ops.rs`): the calculator's functions are the table's ops with a
/// `calc` name, in the table's order.
macro_rules! calculator_functions {
    (
        unary {
            $( $(#[$m:meta])* $U:ident $sym:literal $(fn $method:ident $(calc $name:literal)?)?
               $(draw $draw:literal)? |$x:ident| $f:expr, |$dx:ident, $dy:ident| $d:expr; )*
        }
        $($other_sections:tt)*
    ) => {
        /// A function of the language: one of the engine's ops, by its name in the op table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Function {
            $( $( $(
                #[doc = concat!("`", $name, "(x)`: [`Value::", stringify!($method), "`]")]
                $U,
            )? )? )*
        }

        impl Function {
            /// Each function with its name, its op and its `Value` method, in the table's order
            /// (which is also the order of `Function`'s variants).
            const TABLE: &'static [(Function, &'static str, Op, fn(Value) -> Value)] = &[
                $( $( $( (Function::$U, $name, Op::$U, Value::$method), )? )? )*
            ];
        }
    };
}

crate::engine::op_table!(calculator_functions);

impl Function {
    /// Every function, in the order the documentation lists them.
    pub const ALL: [Function; Function::TABLE.len()] = {
        let mut all = [Function::TABLE[0].0; Function::TABLE.len()];
        let mut k = 1;
        while k < all.len() {
            all[k] = Function::TABLE[k].0;
            k += 1;
        }
        all
    };

    /// The function's name in expressions.
    ///
    /// ```
    /// assert_eq!(micrograd::expr::Function::Sigmoid.name(), "sigmoid");
    /// ```
    pub fn name(self) -> &'static str {
        Function::TABLE[self as usize].1
    }

    /// The function called `name` (exact, lower case), if any.
    ///
    /// ```
    /// use micrograd::expr::Function;
    /// assert_eq!(Function::from_name("tanh"), Some(Function::Tanh));
    /// assert_eq!(Function::from_name("sin"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The engine op the function is.
    pub(crate) fn op(self) -> Op {
        Function::TABLE[self as usize].2
    }

    /// Applies the function to a value, recording it on the tape (same as `x.tanh()` etc.).
    pub fn apply(self, x: Value) -> Value {
        (Function::TABLE[self as usize].3)(x)
    }

    /// The same function on a plain number (the engine op's own formula).
    fn apply_f64(self, x: f64) -> f64 {
        self.op().forward_f64(x)
    }
}

/// A binary operator of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// One step of the compiled postfix program.
#[derive(Clone, Debug, PartialEq)]
enum Instr {
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

/// What went wrong in [`Expr::parse`].
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

/// What went wrong in [`Expr::eval`].
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

// ---------------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    End,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Tok,
    /// As written (for messages).
    text: String,
    /// 1-based column in characters.
    column: usize,
}

fn lex(source: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let kind = if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && chars[i] == '.' {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            // An exponent only if digits follow (`2e` is the number 2 and the name `e`).
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Tok::Num(x),
                _ => {
                    return Err(ParseError {
                        column,
                        kind: ParseErrorKind::NumberOutOfRange(text),
                    })
                }
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Tok::Name(chars[start..i].iter().collect())
        } else {
            i += 1;
            match c {
                '+' => Tok::Plus,
                '-' => Tok::Minus,
                '*' if chars.get(i) == Some(&'*') => {
                    i += 1;
                    Tok::Caret
                }
                '*' => Tok::Star,
                '/' => Tok::Slash,
                '^' => Tok::Caret,
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                _ => {
                    return Err(ParseError {
                        column,
                        kind: ParseErrorKind::UnexpectedChar(c),
                    })
                }
            }
        };
        tokens.push(Token {
            kind,
            text: chars[start..i].iter().collect(),
            column,
        });
    }
    tokens.push(Token {
        kind: Tok::End,
        text: String::new(),
        column: chars.len() + 1,
    });
    Ok(tokens)
}

// ---------------------------------------------------------------------------------------------------
// Parser: recursive descent emitting postfix code
// ---------------------------------------------------------------------------------------------------

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    code: Vec<Instr>,
    vars: Vec<(String, usize)>,
}

const OPERAND: &str = "a number, a name, '(' or '-'";

impl Parser {
    fn peek(&self) -> &Token {
        // The token list always ends with `End`, and `pos` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            column: self.peek().column,
            kind,
        }
    }

    /// Enters one level of nesting, refusing to go deeper than `MAX_DEPTH`.
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(ParseErrorKind::TooDeep));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn expr(&mut self) -> Result<(), ParseError> {
        self.term()?;
        loop {
            let op = match self.peek().kind {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => break,
            };
            self.advance();
            self.term()?;
            self.code.push(Instr::Bin(op));
        }
        Ok(())
    }

    fn term(&mut self) -> Result<(), ParseError> {
        self.unary()?;
        loop {
            let op = match self.peek().kind {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => break,
            };
            self.advance();
            self.unary()?;
            self.code.push(Instr::Bin(op));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<(), ParseError> {
        match self.peek().kind {
            Tok::Minus | Tok::Plus => {
                let negate = self.peek().kind == Tok::Minus;
                self.enter()?;
                self.advance();
                self.unary()?;
                if negate {
                    self.code.push(Instr::Neg);
                }
                self.leave();
                Ok(())
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<(), ParseError> {
        self.atom()?;
        if self.peek().kind == Tok::Caret {
            self.enter()?;
            self.advance();
            self.unary()?;
            self.code.push(Instr::Bin(BinOp::Pow));
            self.leave();
        }
        Ok(())
    }

    fn atom(&mut self) -> Result<(), ParseError> {
        let t = self.peek().clone();
        match t.kind {
            Tok::Num(x) => {
                self.advance();
                self.code.push(Instr::Num(x));
                Ok(())
            }
            Tok::Name(name) => {
                self.advance();
                let function = Function::from_name(&name);
                if self.peek().kind == Tok::LParen {
                    let Some(f) = function else {
                        return Err(ParseError {
                            column: t.column,
                            kind: ParseErrorKind::UnknownFunction(name),
                        });
                    };
                    self.parenthesized()?;
                    self.code.push(Instr::Call(f));
                    return Ok(());
                }
                if function.is_some() {
                    return Err(ParseError {
                        column: t.column,
                        kind: ParseErrorKind::MissingArgument(name),
                    });
                }
                let i = match self.vars.iter().position(|(n, _)| *n == name) {
                    Some(i) => i,
                    None => {
                        self.vars.push((name, t.column));
                        self.vars.len() - 1
                    }
                };
                self.code.push(Instr::Var(i));
                Ok(())
            }
            Tok::LParen => self.parenthesized(),
            Tok::End => Err(self.error(ParseErrorKind::UnexpectedEnd { expected: OPERAND })),
            _ => Err(self.error(ParseErrorKind::Unexpected {
                found: t.text,
                expected: OPERAND,
            })),
        }
    }

    /// `'(' expr ')'`, at a `(`.
    fn parenthesized(&mut self) -> Result<(), ParseError> {
        let open = self.peek().column;
        self.enter()?;
        self.advance();
        if self.peek().kind == Tok::RParen {
            return Err(self.error(ParseErrorKind::Unexpected {
                found: ")".into(),
                expected: OPERAND,
            }));
        }
        self.expr()?;
        self.leave();
        match &self.peek().kind {
            Tok::RParen => {
                self.advance();
                Ok(())
            }
            Tok::End => Err(ParseError {
                column: open,
                kind: ParseErrorKind::UnclosedParen,
            }),
            _ => {
                let found = self.peek().text.clone();
                Err(self.error(ParseErrorKind::Unexpected {
                    found,
                    expected: "an operator or ')'",
                }))
            }
        }
    }
}
