//! Fuzzes the expression language: parse any text; when it parses, evaluate it with every variable
//! bound, run backward and draw the graph. Nothing may panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd::expr::Expr;
use micrograd::viz::{to_dot, DotOptions};
use micrograd::Tape;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let expr = match Expr::parse(source) {
        Ok(e) => e,
        Err(err) => {
            // The error's rendering must not panic either, and its column must lie in the text.
            let _ = err.show(source);
            let _ = err.to_string();
            assert!(err.column >= 1 && err.column <= source.chars().count() + 1);
            return;
        }
    };
    let names: Vec<String> = expr.variables().map(str::to_owned).collect();
    // Values from a small fixed set, chosen by the variable's position, including awkward ones.
    const VALUES: [f64; 8] = [2.0, -3.0, 0.0, 0.5, -0.0, 1e300, -1e-300, 7.25];
    let bindings: Vec<(&str, f64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), VALUES[(i + source.len()) % VALUES.len()]))
        .collect();
    let out = expr.eval(&bindings).expect("every variable is bound");
    out.value.backward();
    for (_, v) in &out.variables {
        let _ = v.grad();
    }
    let opts = DotOptions {
        max_nodes: 200,
        ..DotOptions::default()
    };
    let _ = to_dot(out.value, &opts);
    // Unbound variables are reported, not panicked on.
    if let Some(first) = names.first() {
        let partial: Vec<(&str, f64)> = bindings.iter().copied().filter(|(n, _)| n != first).collect();
        assert!(expr.eval(&partial).is_err());
    }
    Tape::clear();
});
