//! The lexer: the expression's characters to tokens, each with its column.

use super::{ParseError, ParseErrorKind};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
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
pub(super) struct Token {
    pub(super) kind: Tok,
    /// As written (for messages).
    pub(super) text: String,
    /// 1-based column in characters.
    pub(super) column: usize,
}

pub(super) fn lex(source: &str) -> Result<Vec<Token>, ParseError> {
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
