//! The architecture grammar's parser: the text to [`LayerSpec`]s, each error at its column.

use super::{ArchError, Architecture, LayerSpec};
use crate::nn::Activation;

/// One argument: its column, its name if written `name=value`, and its value.
struct Arg {
    column: usize,
    name: Option<String>,
    value: usize,
}

pub(super) struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    pub(super) fn new(text: &str) -> Parser {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    fn column(&self) -> usize {
        self.pos + 1
    }

    fn err<T>(&self, column: usize, message: impl Into<String>) -> Result<T, ArchError> {
        Err(ArchError {
            column,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// A name: letters (any script, so that `linéar` is named whole in the error), digits, `_`.
    fn word(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    pub(super) fn architecture(mut self) -> Result<Architecture, ArchError> {
        let mut layers = Vec::new();
        let mut columns = Vec::new();
        loop {
            self.skip_spaces();
            let Some(c) = self.peek() else { break };
            let column = self.column();
            if !c.is_ascii_alphabetic() {
                return self.err(
                    column,
                    format!("expected a layer name, found `{c}` (layers are separated by spaces)"),
                );
            }
            layers.push(self.layer()?);
            columns.push(column);
            if let Some(c) = self.peek() {
                if !c.is_whitespace() {
                    return self.err(
                        self.column(),
                        format!("expected a space before the next layer, found `{c}`"),
                    );
                }
            }
        }
        if layers.is_empty() {
            return self.err(
                1,
                "no layers (try \"conv(8,3,pad=1) relu maxpool(2) flatten linear(10)\")",
            );
        }
        Ok(Architecture { layers, columns })
    }

    fn layer(&mut self) -> Result<LayerSpec, ArchError> {
        let column = self.column();
        let name = self.word().to_ascii_lowercase();
        let simple = match name.as_str() {
            "flatten" => Some(LayerSpec::Flatten),
            "relu" => Some(LayerSpec::Activation(Activation::Relu)),
            "tanh" => Some(LayerSpec::Activation(Activation::Tanh)),
            "sigmoid" => Some(LayerSpec::Activation(Activation::Sigmoid)),
            "identity" => Some(LayerSpec::Activation(Activation::Linear)),
            _ => None,
        };
        if let Some(spec) = simple {
            if self.peek() == Some('(') {
                return self.err(self.column(), format!("`{name}` takes no arguments"));
            }
            return Ok(spec);
        }
        let kind = match name.as_str() {
            "conv" | "conv2d" => "conv",
            "linear" | "dense" => "linear",
            "maxpool" | "max_pool" | "maxpool2d" => "maxpool",
            "avgpool" | "avg_pool" | "avgpool2d" => "avgpool",
            _ => {
                return self.err(
                    column,
                    format!(
                        "unknown layer `{name}` (expected conv, linear, maxpool, avgpool, flatten, \
                         relu, tanh, sigmoid or identity)"
                    ),
                )
            }
        };
        if self.peek() != Some('(') {
            let usage = match kind {
                "conv" => "conv(OUT, KERNEL), e.g. conv(8,3,pad=1)",
                "linear" => "linear(OUT), e.g. linear(10)",
                _ => "maxpool(KERNEL), e.g. maxpool(2)",
            };
            return self.err(
                self.column(),
                format!("`{name}` needs its arguments: {usage}"),
            );
        }
        let open = self.column();
        self.pos += 1;
        let args = self.args(open)?;
        self.spec(kind, open, &args)
    }

    /// The arguments after `(`, through the closing `)`.
    fn args(&mut self, open: usize) -> Result<Vec<Arg>, ArchError> {
        let mut args = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                None => return self.err(open, "this parenthesis is never closed"),
                Some(')') if args.is_empty() => {
                    return self.err(self.column(), "expected a number");
                }
                _ => {}
            }
            let column = self.column();
            let name = if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                let n = self.word().to_ascii_lowercase();
                self.skip_spaces();
                if self.peek() != Some('=') {
                    return self.err(self.column(), format!("expected `=` after `{n}`"));
                }
                self.pos += 1;
                self.skip_spaces();
                Some(n)
            } else {
                None
            };
            let value_column = self.column();
            let digits = {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                self.chars[start..self.pos].iter().collect::<String>()
            };
            if digits.is_empty() {
                let found = self
                    .peek()
                    .map_or("the end".to_string(), |c| format!("`{c}`"));
                return self.err(
                    value_column,
                    format!("expected a whole number, found {found}"),
                );
            }
            let value = digits.parse::<usize>().ok().filter(|&v| v <= 1 << 20);
            let Some(value) = value else {
                return self.err(value_column, format!("{digits} is too large"));
            };
            args.push(Arg {
                column,
                name,
                value,
            });
            self.skip_spaces();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(args);
                }
                Some(c) => {
                    return self.err(self.column(), format!("expected `,` or `)`, found `{c}`"))
                }
                None => return self.err(open, "this parenthesis is never closed"),
            }
        }
    }

    /// Checks and places the arguments of `kind` (`conv`, `linear`, `maxpool`, `avgpool`).
    fn spec(&self, kind: &str, open: usize, args: &[Arg]) -> Result<LayerSpec, ArchError> {
        // The slots: (name, required, minimum).
        let slots: &[(&str, bool, usize)] = match kind {
            "conv" => &[
                ("out", true, 1),
                ("kernel", true, 1),
                ("stride", false, 1),
                ("pad", false, 0),
            ],
            "linear" => &[("out", true, 1)],
            _ => &[("kernel", true, 1), ("stride", false, 1), ("pad", false, 0)],
        };
        let mut values: Vec<Option<usize>> = vec![None; slots.len()];
        let mut positional = 0;
        let mut named_seen = false;
        for a in args {
            let slot = match &a.name {
                None => {
                    if named_seen {
                        return self.err(a.column, "a plain argument after a named one");
                    }
                    if positional >= slots.len() {
                        return self.err(
                            a.column,
                            format!("`{kind}` takes at most {} arguments", slots.len()),
                        );
                    }
                    positional += 1;
                    positional - 1
                }
                Some(n) => {
                    named_seen = true;
                    let n = if n == "padding" { "pad" } else { n.as_str() };
                    let optional: Vec<&str> = slots.iter().filter(|s| !s.1).map(|s| s.0).collect();
                    match slots.iter().position(|s| s.0 == n && !s.1) {
                        Some(i) => i,
                        None if optional.is_empty() => {
                            return self.err(
                                a.column,
                                format!("unknown argument `{n}` (`{kind}` has no named arguments)"),
                            )
                        }
                        None => {
                            return self.err(
                                a.column,
                                format!(
                                    "unknown argument `{n}` (expected {})",
                                    optional.join(" or ")
                                ),
                            )
                        }
                    }
                }
            };
            if values[slot].is_some() {
                return self.err(a.column, format!("`{}` is given twice", slots[slot].0));
            }
            let (name, _, min) = slots[slot];
            if a.value < min {
                return self.err(
                    a.column,
                    format!("{kind}'s {} must be at least {min}", long_name(name)),
                );
            }
            values[slot] = Some(a.value);
        }
        for (i, &(name, required, _)) in slots.iter().enumerate() {
            if required && values[i].is_none() {
                return self.err(
                    open,
                    format!("`{kind}` needs its {} (missing)", long_name(name)),
                );
            }
        }
        let v = |i: usize| values[i];
        Ok(match kind {
            "conv" => LayerSpec::Conv {
                out: v(0).unwrap_or(1),
                kernel: v(1).unwrap_or(1),
                stride: v(2).unwrap_or(1),
                padding: v(3).unwrap_or(0),
            },
            "linear" => LayerSpec::Linear {
                out: v(0).unwrap_or(1),
            },
            _ => {
                let kernel = v(0).unwrap_or(1);
                let (stride, padding) = (v(1).unwrap_or(kernel), v(2).unwrap_or(0));
                LayerSpec::pool(kind == "maxpool", kernel, stride, padding)
            }
        })
    }
}

fn long_name(slot: &str) -> &'static str {
    match slot {
        "out" => "output size",
        "kernel" => "kernel size",
        "stride" => "stride",
        _ => "padding",
    }
}
