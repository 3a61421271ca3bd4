//! Model files (the `serde` feature): micrograd's demo layout read exactly, saved and read back
//! bit for bit, and every kind of bad file refused with an error naming the field, never a panic.

use micrograd::nn::{Activation, MlpWeights, ModelError, Module, MLP};
use micrograd::Tape;
use rand::SeedableRng;
use serde_json::{json, Value as Json};

const INIT: &str = include_str!("fixtures/moons_demo_init.json");

fn init_json() -> Json {
    serde_json::from_str(INIT).unwrap()
}

fn field_error(j: &Json) -> (String, String) {
    match MLP::from_json(&j.to_string()) {
        Err(ModelError::Field { path, message }) => (path, message),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn loads_micrograds_initial_weights_exactly() {
    let model = MLP::from_json(INIT).unwrap();
    assert_eq!(model.nin(), 2);
    assert_eq!(model.nouts(), vec![16, 16, 1]);
    let acts: Vec<Activation> = model
        .layers()
        .iter()
        .map(|l| l.neurons()[0].activation())
        .collect();
    assert_eq!(
        acts,
        [Activation::Relu, Activation::Relu, Activation::Linear]
    );
    // micrograd's parameter order: layer, neuron, weights then bias; compare with the raw JSON
    let j = init_json();
    let mut expected = Vec::new();
    for l in j["layers"].as_array().unwrap() {
        for n in l["neurons"].as_array().unwrap() {
            for w in n["w"].as_array().unwrap() {
                expected.push(w.as_f64().unwrap());
            }
            expected.push(n["b"].as_f64().unwrap());
        }
    }
    let got: Vec<f64> = model.parameters().iter().map(|p| p.data()).collect();
    assert_eq!(got.len(), 337);
    assert_eq!(got, expected);
    assert_eq!(got[0], 0.23550571390294128);
    assert_eq!(got[1], 0.06653114721000164);
    assert_eq!(got[2], 0.0); // the first bias
    assert_eq!(model.to_weights().flat(), expected);
}

#[test]
fn save_and_load_round_trip_bit_for_bit() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let acts = [
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Relu,
        Activation::Linear,
    ];
    let model = MLP::with_activations(3, &[5, 4, 3, 2], &acts, &mut rng);
    // awkward numbers survive too
    model.parameters()[0].set_data(0.1 + 0.2);
    model.parameters()[1].set_data(-1e-300);
    model.parameters()[2].set_data(f64::MAX);
    let text = model.to_json();
    let back = MLP::from_json(&text).unwrap();
    assert_eq!(back.to_weights(), model.to_weights());
    let bits =
        |m: &MLP| -> Vec<u64> { m.parameters().iter().map(|p| p.data().to_bits()).collect() };
    assert_eq!(bits(&back), bits(&model));
    assert_eq!(back.to_json(), text);
    // micrograd's flag is written alongside the activation name
    let j: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(j["layers"][0]["nonlin"], true);
    assert_eq!(j["layers"][0]["activation"], "tanh");
    assert_eq!(j["layers"][3]["nonlin"], false);
    assert_eq!(j["nouts"], json!([5, 4, 3, 2]));
    // and the demo file itself round-trips to the same numbers
    let demo = MlpWeights::from_json(INIT).unwrap();
    assert_eq!(MlpWeights::from_json(&demo.to_json()).unwrap(), demo);
}

#[test]
fn errors_name_the_field() {
    let j = init_json();
    type Edit = Box<dyn Fn(&mut Json)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|j| j["layers"][1]["neurons"][3]["w"][0] = json!("0.5")),
            "layers[1].neurons[3].w[0]",
            "expected a finite number, found the string \"0.5\"",
        ),
        (
            Box::new(|j| j["layers"][1]["neurons"][3]["w"][15] = json!(null)),
            "layers[1].neurons[3].w[15]",
            "expected a finite number, found null",
        ),
        (
            Box::new(|j| {
                j["layers"][0]["neurons"][2]
                    .as_object_mut()
                    .unwrap()
                    .remove("b");
            }),
            "layers[0].neurons[2].b",
            "missing",
        ),
        (
            Box::new(|j| {
                j["layers"][2]["neurons"][0]["w"]
                    .as_array_mut()
                    .unwrap()
                    .pop();
            }),
            "layers[2].neurons[0].w",
            "expected 16 weights (the layer's inputs), found 15",
        ),
        (
            Box::new(|j| {
                j["layers"][1]["neurons"].as_array_mut().unwrap().pop();
            }),
            "layers[1].neurons",
            "expected 16 neurons (nouts[1]), found 15",
        ),
        (
            Box::new(|j| j["nouts"] = json!([16, 16])),
            "layers",
            "expected 2 layers (the length of `nouts`), found 3",
        ),
        (
            Box::new(|j| j["nouts"][2] = json!(0)),
            "nouts[2]",
            "expected a whole number of at least 1, found the number 0",
        ),
        (
            Box::new(|j| j["nin"] = json!(2.5)),
            "nin",
            "expected a whole number of at least 1, found the number 2.5",
        ),
        (
            Box::new(|j| {
                j.as_object_mut().unwrap().remove("nin");
            }),
            "nin",
            "missing",
        ),
        (
            Box::new(|j| j["layers"] = json!({})),
            "layers",
            "expected an array, found an object",
        ),
        (
            Box::new(|j| j["layers"][0] = json!([])),
            "layers[0]",
            "expected an object, found an array of 0",
        ),
        (
            Box::new(|j| j["layers"][0]["nonlin"] = json!("yes")),
            "layers[0].nonlin",
            "expected true or false, found the string \"yes\"",
        ),
        (
            Box::new(|j| {
                j["layers"][0].as_object_mut().unwrap().remove("nonlin");
            }),
            "layers[0].nonlin",
            "missing (give `nonlin` or `activation`)",
        ),
        (
            Box::new(|j| j["layers"][0]["activation"] = json!("gelu")),
            "layers[0].activation",
            "unknown activation `gelu` (expected relu, tanh, sigmoid or linear)",
        ),
        (
            Box::new(|j| j["layers"][2]["activation"] = json!("relu")),
            "layers[2].nonlin",
            "is false but `activation` is \"relu\"",
        ),
        (
            Box::new(|j| j["layers"][0]["neurons"][0] = json!(1)),
            "layers[0].neurons[0]",
            "expected an object, found the number 1",
        ),
    ];
    for (edit, path, message) in cases {
        let mut bad = j.clone();
        edit(&mut bad);
        assert_eq!(field_error(&bad), (path.to_string(), message.to_string()));
    }
    let err = MLP::from_json(&json!([1, 2]).to_string()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`(top level)`: expected an object, found an array of 2"
    );
}

#[test]
fn activation_field_selects_any_activation() {
    let mut j = init_json();
    j["layers"][0]["activation"] = json!("tanh");
    j["layers"][1]["activation"] = json!("sigmoid");
    j["layers"][0].as_object_mut().unwrap().remove("nonlin");
    let m = MLP::from_json(&j.to_string()).unwrap();
    assert_eq!(m.layers()[0].neurons()[0].activation(), Activation::Tanh);
    assert_eq!(m.layers()[1].neurons()[5].activation(), Activation::Sigmoid);
    assert_eq!(m.layers()[2].neurons()[0].activation(), Activation::Linear);
}

#[test]
fn syntax_errors_have_a_line_and_no_input_panics() {
    match MLP::from_json("{\n  \"nin\": 2,\n  oops\n}") {
        Err(ModelError::Syntax { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    // numbers too big for a double
    assert!(MLP::from_json(&INIT.replacen("0.0", "1e999", 1)).is_err());
    // every truncation of the file is an error, never a panic
    let before = Tape::len();
    for cut in (0..INIT.len()).step_by(37) {
        assert!(MLP::from_json(&INIT[..cut]).is_err(), "cut at {cut}");
    }
    assert_eq!(Tape::len(), before, "a failed load creates no Values");
    for junk in [
        "",
        "null",
        "[]",
        "{}",
        "{\"nin\": -1}",
        "\"model\"",
        "{\"nin\":2,\"nouts\":[],\"layers\":[]}",
    ] {
        assert!(MLP::from_json(junk).is_err(), "{junk}");
    }
}
