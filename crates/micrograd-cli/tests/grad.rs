//! `micrograd grad` through the real binary: output, JSON, pictures, and malformed input of many
//! kinds (always a clear error and exit code 1, never a panic, never a half-written file).
// The lecture's bias is written as Karpathy wrote it.
#![allow(clippy::excessive_precision)]

use std::process::{Command, Output};

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("run the micrograd binary")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and expects failure with an `error:` message containing every one of `needles`.
#[track_caller]
fn fails(args: &[&str], needles: &[&str]) -> String {
    let o = micrograd(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: expected {n:?} in {err}");
    }
    err
}

const NEURON: [&str; 6] = [
    "tanh(x1*w1 + x2*w2 + b)",
    "x1=2",
    "x2=0",
    "w1=-3",
    "w2=1",
    "b=6.8813735870195432",
];

#[test]
fn lecture_neuron_text() {
    let o = micrograd(&[&["grad"][..], &NEURON[..]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "value  0.7071\n\
         d/dx1  -1.5000\n\
         d/dx2  0.5000\n\
         d/dw1  1.0000\n\
         d/dw2  0.0000\n\
         d/db   0.5000\n"
    );
}

#[test]
fn lecture_neuron_json_has_full_precision() {
    let o = micrograd(&[&["grad", "--json"][..], &NEURON[..]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let value = v["value"].as_f64().unwrap();
    // Same bits as the library computes (full precision, not 4 decimals).
    let lib = {
        use micrograd::Value;
        let (x1, x2, w1, w2, b) = (2.0, 0.0, -3.0, 1.0, 6.8813735870195432);
        (Value::new(x1) * w1 + Value::new(x2) * w2 + b)
            .tanh()
            .data()
    };
    assert_eq!(value, lib);
    assert!((value - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
    let g = &v["grad"];
    for (name, want) in [
        ("x1", -1.5),
        ("x2", 0.5),
        ("w1", 1.0),
        ("w2", 0.0),
        ("b", 0.5),
    ] {
        let got = g[name].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{name}: {got}");
    }
    // Keys in command-line order.
    let s = stdout(&o);
    let order: Vec<usize> = ["\"x1\"", "\"x2\"", "\"w1\"", "\"w2\"", "\"b\""]
        .iter()
        .map(|k| s.find(k).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{s}");
}

#[test]
fn sanity_check_and_leading_minus() {
    let src = "relu((2*x+2+x)*(2*x+2+x)) + (relu(2*x+2+x) + (2*x+2+x)*x) \
               + (relu(2*x+2+x) + (2*x+2+x)*x)*x";
    let o = micrograd(&["grad", src, "x=-4", "--json"]);
    assert_eq!(
        stdout(&o).trim(),
        r#"{"value": -20.0, "grad": {"x": 46.0}}"#
    );
    // An expression starting with '-' is not taken for an option.
    let o = micrograd(&["grad", "-x^2", "x=3", "--json"]);
    assert_eq!(stdout(&o).trim(), r#"{"value": -9.0, "grad": {"x": -6.0}}"#);
}

#[test]
fn unused_variables_get_gradient_zero_with_a_note() {
    let o = micrograd(&["grad", "2*x", "x=1", "y=5"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "value  2.0000\nd/dx   2.0000\nd/dy   0.0000\n");
    assert!(stderr(&o).contains("does not use y"));
}

#[test]
fn non_finite_results_are_null_in_json_and_warned() {
    let o = micrograd(&["grad", "log(x)", "x=0", "--json"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), r#"{"value": null, "grad": {"x": null}}"#);
    assert!(stderr(&o).contains("warning: the value is -inf"));
}

#[test]
fn dot_file_matches_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.dot");
    let o = micrograd(&[
        "grad",
        "relu(x*2 + 1)",
        "x=1",
        "--dot",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dot = std::fs::read_to_string(&path).unwrap();
    let lib = {
        let x = micrograd::Value::new(1.0).with_label("x");
        let y = (x * 2.0 + 1.0).relu();
        y.backward();
        micrograd::viz::draw_dot(y).unwrap()
    };
    assert_eq!(dot, lib);
}

#[test]
fn builtin_svg_is_drawn_without_graphviz() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.svg");
    let mut args = vec![
        "grad",
        "--renderer",
        "builtin",
        "--svg",
        path.to_str().unwrap(),
    ];
    args.extend(NEURON);
    let o = micrograd(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));
    for text in ["x1", "tanh", "data 0.7071", "grad -1.5000", "data 6.8814"] {
        assert!(svg.contains(text), "{text} missing from the SVG");
    }
    // --hide-grad and --precision reach the picture.
    let o = micrograd(&[
        "grad",
        "x*3",
        "x=0.5",
        "--renderer",
        "builtin",
        "--hide-grad",
        "--precision",
        "1",
        "--svg",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("data 1.5") && !svg.contains("grad"));
}

fn graphviz_installed() -> bool {
    Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn png_needs_graphviz_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("g.png");
    let args = ["grad", "x*y", "x=2", "y=3", "--png", png.to_str().unwrap()];
    if graphviz_installed() {
        let o = micrograd(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let svg = dir.path().join("g.svg");
        let o = micrograd(&[
            "grad",
            "x*y",
            "x=2",
            "y=3",
            "--renderer",
            "graphviz",
            "--svg",
            svg.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    } else {
        fails(&args, &["--png needs Graphviz", "--svg"]);
        assert!(!png.exists());
    }
}

#[test]
fn too_big_graphs_are_refused_and_no_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.svg");
    let src = format!("x{}", "+x".repeat(600));
    fails(
        &["grad", &src, "x=1", "--svg", path.to_str().unwrap()],
        &["601 values", "limit of 500", "--max-nodes"],
    );
    assert!(!path.exists());
    fails(
        &[
            "grad",
            "x*y",
            "x=1",
            "y=2",
            "--max-nodes",
            "2",
            "--dot",
            path.to_str().unwrap(),
        ],
        &["3 values"],
    );
}

#[test]
fn unwritable_output_is_an_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/g.dot");
    fails(
        &["grad", "x", "x=1", "--dot", missing.to_str().unwrap()],
        &["no/such/dir"],
    );
    // An existing file is replaced whole, never truncated by a failed run.
    let path = dir.path().join("g.dot");
    std::fs::write(&path, "old").unwrap();
    fails(
        &["grad", "x +", "x=1", "--dot", path.to_str().unwrap()],
        &["column 4"],
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn parse_errors_point_at_the_column() {
    let err = fails(&["grad", "x + * y", "x=1", "y=2"], &["column 5"]);
    assert!(err.ends_with("x + * y\n    ^\n"), "{err}");
    let err = fails(&["grad", "2*sin(x)", "x=1"], &["unknown function 'sin'"]);
    assert!(err.ends_with("2*sin(x)\n  ^\n"), "{err}");
    let err = fails(
        &["grad", "x*yy", "x=1"],
        &["unknown variable 'yy'", "yy=VALUE"],
    );
    assert!(err.ends_with("x*yy\n  ^\n"), "{err}");
}

#[test]
fn malformed_input_of_many_kinds() {
    let deep = format!("{}x{}", "(".repeat(5000), ")".repeat(5000));
    let huge_number = "9".repeat(400);
    let long_sum = format!("x{}", "+x".repeat(50_000));
    // a writable path that must still not be written: the graph is refused before drawing
    let never =
        std::env::temp_dir().join(format!("micrograd-grad-test-{}.png", std::process::id()));
    let never = never.to_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["grad", ""], "the expression is empty"),
        (vec!["grad", "   "], "the expression is empty"),
        (vec!["grad", "x +"], "found the end"),
        (vec!["grad", "(x", "x=1"], "never closed"),
        (vec!["grad", "x)", "x=1"], "has no '('"),
        (vec!["grad", "2x", "x=1"], "found 'x'"),
        (vec!["grad", "exp", "x=1"], "needs an argument"),
        (vec!["grad", "x # y"], "unexpected character '#'"),
        (vec!["grad", "x ^^ 2", "x=1"], "column 4"),
        (vec!["grad", "1e999"], "too large"),
        (vec!["grad", &huge_number], "too large"),
        (vec!["grad", &deep, "x=1"], "nested more than 200 levels"),
        (vec!["grad", "x"], "unknown variable 'x'"),
        (vec!["grad", "x", "x"], "not of the form NAME=VALUE"),
        (vec!["grad", "x", "x=abc"], "'abc' is not a number"),
        (vec!["grad", "x", "x="], "is not a number"),
        (vec!["grad", "x", "=1"], "is not a variable name"),
        (vec!["grad", "x", "1x=2"], "is not a variable name"),
        (vec!["grad", "x", "x=1", "x=2"], "given twice"),
        (vec!["grad", "x", "x=inf"], "finite number"),
        (vec!["grad", "x", "x=nan"], "finite number"),
        (vec!["grad", "x", "x=1e999"], "finite number"),
        (vec!["grad", "x", "exp=1"], "is a function"),
        (
            vec!["grad", &long_sum, "x=1", "--png", &never],
            "50001 values",
        ),
    ];
    for (args, needle) in cases {
        let o = micrograd(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{:?}: {err}", &args[..2]);
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains(needle), "expected {needle:?}: {err}");
    }
    assert!(!std::path::Path::new(&never).exists());
    // clap's own checks: a bad precision, an unknown renderer, no expression.
    for args in [
        vec!["grad", "x", "x=1", "--precision", "99"],
        vec!["grad", "x", "x=1", "--renderer", "cairo"],
        vec!["grad"],
    ] {
        let o = micrograd(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&o).contains("panicked"));
    }
}

#[test]
fn long_flat_expressions_work() {
    let src = format!("x{}", "+x".repeat(50_000));
    let o = micrograd(&["grad", &src, "x=1", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        r#"{"value": 50001.0, "grad": {"x": 50001.0}}"#
    );
}

#[test]
fn builtin_layout_refuses_tangled_graphs_and_draws_big_ones_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.svg");
    // x used by each of 150 chained additions: ~22,000 edge segments for a layered layout.
    let tangled = format!("x{}", "+x".repeat(149));
    fails(
        &[
            "grad",
            &tangled,
            "x=1",
            "--renderer",
            "builtin",
            "--svg",
            path.to_str().unwrap(),
        ],
        &[
            "too tangled for the built-in layout",
            "22498 edge segments",
            "--dot",
        ],
    );
    assert!(!path.exists());
    // 40 terms (200 values, 161 operations): drawn with the layout's optimizations off.
    let terms: Vec<String> = (0..40).map(|i| format!("tanh(a{i}*b{i})")).collect();
    let values: Vec<String> = (0..40)
        .flat_map(|i| [format!("a{i}=1"), format!("b{i}=2")])
        .collect();
    let src = terms.join(" + ");
    let mut args = vec![
        "grad",
        &src,
        "--renderer",
        "builtin",
        "--svg",
        path.to_str().unwrap(),
    ];
    args.extend(values.iter().map(String::as_str));
    let o = micrograd(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("a39") && svg.contains("tanh"));
}
