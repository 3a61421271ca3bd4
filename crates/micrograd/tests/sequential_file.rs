//! Sequential model files (feature `serde`): exact round trips, and errors that name the field.

use micrograd::nn::{Architecture, Chw, Init, Module, Sequential};
use micrograd::preprocess::{Preprocess, Scaling};
use rand::SeedableRng;

fn model() -> Sequential {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    "conv(3,3,pad=1) relu maxpool(2) conv(2,2,stride=2) tanh flatten linear(4) sigmoid linear(2)"
        .parse::<Architecture>()
        .unwrap()
        .build(Chw::new(2, 6, 9), Init::Kaiming, &mut rng)
        .unwrap()
}

#[test]
fn round_trip_is_exact() {
    let m = model();
    let text = m.to_json();
    let back = Sequential::from_json(&text).unwrap();
    let bits = |m: &Sequential| -> Vec<u64> {
        m.parameters().iter().map(|p| p.data().to_bits()).collect()
    };
    assert_eq!(bits(&back), bits(&m));
    assert_eq!(back.to_string(), m.to_string());
    assert_eq!(back.input_shape(), Chw::new(2, 6, 9));
    let x: Vec<f64> = (0..108).map(|i| (i as f64).sin()).collect();
    assert_eq!(back.predict(&x), m.predict(&x));
    // A preprocessing entry rides along and does not disturb loading.
    let pre = Preprocess::from_parts(Scaling::Standardize, vec![0.5; 108], vec![2.0; 108]).unwrap();
    let with = pre.add_to_model_json(&text);
    assert_eq!(Preprocess::from_model_json(&with).unwrap(), Some(pre));
    assert_eq!(bits(&Sequential::from_json(&with).unwrap()), bits(&m));
}

#[test]
fn errors_name_the_field() {
    let text = model().to_json();
    let path = |t: &str| Sequential::from_json(t).unwrap_err();
    let e = path(&text.replace("micrograd-sequential", "mlp"));
    assert_eq!(e.path(), Some("format"));
    let e = path(&text.replace("stride=2) tanh", "stride=2) tahn"));
    assert_eq!(e.path(), Some("architecture"));
    assert!(
        e.to_string().contains("column 52: unknown layer `tahn`"),
        "{e}"
    );
    // An input the architecture does not fit: the shape error, with its column.
    let e = path(&text.replacen("6,\n    9", "2,\n    2", 1));
    assert_eq!(e.path(), Some("architecture"));
    assert!(
        e.to_string().contains("layer 4 (conv(2,2,stride=2))"),
        "{e}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut w = v.clone();
    w["layers"][0]["weight"].as_array_mut().unwrap().pop();
    let e = path(&w.to_string());
    assert_eq!(e.path(), Some("layers[0].weight"));
    assert!(
        e.to_string()
            .contains("expected 54 numbers for conv(3,3,pad=1), found 53"),
        "{e}"
    );
    let mut w = v.clone();
    w["layers"][8]["bias"][1] = serde_json::json!("x");
    assert_eq!(path(&w.to_string()).path(), Some("layers[8].bias[1]"));
    let mut w = v.clone();
    w["layers"].as_array_mut().unwrap().pop();
    assert_eq!(path(&w.to_string()).path(), Some("layers"));
    let mut w = v;
    w["input"] = serde_json::json!([2, 6]);
    assert_eq!(path(&w.to_string()).path(), Some("input"));
    // A file of a few hundred bytes announcing a vast input: refused before anything is
    // allocated for it (found by the model_file fuzz target, which then aborted on a 1.5 PB
    // allocation).
    let tiny = r#"{"format": "micrograd-sequential", "input": [1, 8, 8706091128006],
        "architecture": "conv(3,3) relu maxpool(2) flatten linear(5)",
        "layers": [{"layer": "conv(3,3)", "weight": [], "bias": []}]}"#;
    let e = path(tiny);
    assert_eq!(e.path(), Some("architecture"));
    assert!(
        e.to_string().contains("layer 5 (linear(5))")
            && e.to_string().contains("(the file's layers hold 0 numbers)"),
        "{e}"
    );
    assert!(matches!(
        path("{\"format\": "),
        micrograd::nn::ModelError::Syntax { .. }
    ));
}
