//! Short excerpts of user input for error messages: a 10 MB CSV field or a 10,000-character
//! expression is shown as a window of at most about 200 characters around the fault.

/// The most characters of user input an error message shows.
pub const MAX_CHARS: usize = 200;

/// `s` itself if it has at most `max` characters, else its first and last `max / 2` characters
/// around a `…`.
pub fn excerpt(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max / 2).collect();
    let tail: String = s.chars().skip(n - max / 2).collect();
    format!("{head}…{tail}")
}

/// A window of at most [`MAX_CHARS`] characters of `source` around its 1-based character `column`,
/// with `…` where it was cut, and the column in the window.
pub fn window(source: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = source.chars().collect();
    if chars.len() <= MAX_CHARS {
        return (source.to_string(), column);
    }
    let at = column.saturating_sub(1).min(chars.len());
    let start = at
        .saturating_sub(MAX_CHARS / 2)
        .min(chars.len() - MAX_CHARS);
    let end = (start + MAX_CHARS).min(chars.len());
    let mut out = String::new();
    let mut col = at - start + 1;
    if start > 0 {
        out.push('…');
        col += 1;
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    (out, col)
}

/// `source` and a caret under its 1-based character `column` on the next line
/// ([`micrograd::expr::point_at`]), cut to a [`window`] around the column: how an error shows where
/// in an expression or an architecture it is.
pub fn point_at_window(source: &str, column: usize) -> String {
    let (shown, column) = window(source, column);
    micrograd::expr::point_at(&shown, column)
}

/// clap's message for a command line that echoes a long argument (`invalid value '<10,000
/// characters>' for '--augment <SPEC>': ...`, twice), rewritten with the value and the reason cut
/// to [`excerpt`]s; `None` where clap's own message is short enough (then `e.exit()` prints it).
pub fn long_clap_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let rendered = e.render().to_string();
    if rendered.lines().all(|l| l.chars().count() <= 2 * MAX_CHARS) {
        return None;
    }
    let string = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let first = match (
        string(ContextKind::InvalidValue),
        string(ContextKind::InvalidArg),
    ) {
        (Some(value), Some(arg)) => {
            let reason = std::error::Error::source(e)
                .map(|r| format!(": {}", excerpt(&r.to_string(), MAX_CHARS)))
                .unwrap_or_default();
            format!(
                "error: invalid value '{}' for '{}'{reason}",
                excerpt(value, MAX_CHARS),
                excerpt(arg, MAX_CHARS)
            )
        }
        _ => excerpt(rendered.lines().next().unwrap_or_default(), MAX_CHARS),
    };
    Some(format!("{first}\n\nFor more information, try '--help'.\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_input_is_cut_around_the_fault() {
        assert_eq!(excerpt("abc", 5), "abc");
        assert_eq!(excerpt("abcdefgh", 4), "ab…gh");
        let src = format!("{}+*{}", "x".repeat(5000), "y".repeat(5000));
        let (w, col) = window(&src, 5002);
        assert!(w.chars().count() <= MAX_CHARS + 2, "{}", w.len());
        assert_eq!(w.chars().nth(col - 1), Some('*'));
        assert!(w.starts_with('…') && w.ends_with('…'));
        assert_eq!(window("x+*y", 3), ("x+*y".to_string(), 3));
        // at the very end
        let (w, col) = window(&src, src.len() + 1);
        assert_eq!(col, w.chars().count() + 1);
    }
}
