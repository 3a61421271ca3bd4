//! The parser: recursive descent over the tokens, emitting the postfix program (see the grammar in
//! the module documentation).

use super::lexer::{Tok, Token};
use super::{BinOp, Function, Instr, ParseError, ParseErrorKind, MAX_DEPTH};

pub(super) struct Parser {
    pub(super) tokens: Vec<Token>,
    pub(super) pos: usize,
    pub(super) depth: usize,
    pub(super) code: Vec<Instr>,
    pub(super) vars: Vec<(String, usize)>,
}

const OPERAND: &str = "a number, a name, '(' or '-'";

impl Parser {
    pub(super) fn peek(&self) -> &Token {
        // The token list always ends with `End`, and `pos` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    pub(super) fn error(&self, kind: ParseErrorKind) -> ParseError {
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

    pub(super) fn expr(&mut self) -> Result<(), ParseError> {
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
