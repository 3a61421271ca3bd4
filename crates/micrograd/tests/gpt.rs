//! microgpt on this engine, checked against Python microgpt's own run (`tests/fixtures/microgpt_*`).

use micrograd::gpt::{Gpt, GptConfig, GptError, StateDict, Trainer, Vocab};
use micrograd::optim::{Adam, AdamFormula, Optimizer, Schedule, Span};
use micrograd::{Tape, Value};
use rand::SeedableRng;
use std::collections::BTreeMap;

const NAMES: &str = include_str!("fixtures/names.txt");
const INIT: &str = include_str!("fixtures/microgpt_init.json");
const ORDER: &str = include_str!("fixtures/microgpt_order.txt");
const TRACE: &str = include_str!("fixtures/microgpt_trace.json");

/// microgpt's document list: stripped non-empty lines.
fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

fn init_state_dict() -> StateDict {
    let map: BTreeMap<String, Vec<Vec<f64>>> = serde_json::from_str(INIT).unwrap();
    map.into_iter().collect()
}

fn microgpt() -> Gpt {
    let vocab = Vocab::from_docs(lines(NAMES));
    Gpt::from_state_dict(GptConfig::MICROGPT, vocab, &init_state_dict()).unwrap()
}

fn trace() -> Vec<f64> {
    let rows: Vec<BTreeMap<String, f64>> = serde_json::from_str(TRACE).unwrap();
    rows.iter()
        .enumerate()
        .map(|(k, r)| {
            assert_eq!(r["step"], k as f64);
            r["loss"]
        })
        .collect()
}

#[test]
fn vocabulary_and_parameter_count_are_microgpts() {
    let model = microgpt();
    let vocab = model.vocab();
    assert_eq!(vocab.size(), 27);
    assert_eq!(vocab.bos(), 26);
    assert_eq!(
        vocab.chars().iter().collect::<String>(),
        "abcdefghijklmnopqrstuvwxyz"
    );
    assert_eq!(model.num_parameters(), 4192);
    assert_eq!(model.parameters().len(), 4192);
    // The state dict comes back exactly as loaded, in microgpt's order.
    let sd = model.state_dict();
    let names: Vec<&str> = sd.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "wte",
            "wpe",
            "lm_head",
            "layer0.attn_wq",
            "layer0.attn_wk",
            "layer0.attn_wv",
            "layer0.attn_wo",
            "layer0.mlp_fc1",
            "layer0.mlp_fc2"
        ]
    );
    let init: BTreeMap<_, _> = init_state_dict().into_iter().collect();
    for (name, m) in &sd {
        assert_eq!(&init[name], m, "{name}");
    }
}

/// The acceptance test: the first 50 steps of microgpt's run, from its initial weights on its
/// documents, agree with its trace to 1e-9 relative.
#[test]
fn first_50_steps_match_microgpt() {
    let trace = trace();
    assert_eq!(trace.len(), 1000);
    let order = lines(ORDER);
    assert_eq!(order.len(), 1000);
    let mut trainer = Trainer::new(microgpt(), 0.01, 1000);
    let tape_len = Tape::len();
    let mut worst: f64 = 0.0;
    for (step, doc) in order.iter().take(50).enumerate() {
        let tokens = trainer.model().vocab().encode(doc).unwrap();
        let loss = trainer.step(&tokens).unwrap();
        let rel = ((loss - trace[step]) / trace[step]).abs();
        assert!(
            rel < 1e-9,
            "step {step} ({doc}): loss {loss} vs microgpt's {}, relative error {rel:e}",
            trace[step]
        );
        worst = worst.max(rel);
        assert_eq!(Tape::len(), tape_len, "the tape is rewound after each step");
    }
    // Step 0 uses the initial weights only: the forward pass is microgpt's op for op.
    eprintln!("max relative error over 50 steps: {worst:e}");
    Tape::clear();
}

#[test]
fn step_zero_loss_is_bit_exact() {
    let model = microgpt();
    let tokens = model.vocab().encode(lines(ORDER)[0]).unwrap();
    let loss = model.loss(&tokens).unwrap();
    assert_eq!(loss.data(), 3.3659669475848504);
    Tape::clear();
}

/// The analytic gradient of the document loss agrees with central finite differences.
#[test]
fn loss_gradients_match_finite_differences() {
    let vocab = Vocab::from_docs(["abc", "cab"]);
    let config = GptConfig {
        n_layer: 2,
        n_embd: 4,
        n_head: 2,
        block_size: 3, // shorter than "abc" + BOS: exercises truncation
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let model = Gpt::new(config, vocab, &mut rng).unwrap();
    let params = model.parameters();
    let tokens = model.vocab().encode("abc").unwrap();
    let mark = Tape::mark();
    model.loss(&tokens).unwrap().backward();
    let grads: Vec<f64> = params.iter().map(|p| p.grad()).collect();
    Tape::rewind(mark);
    assert!(grads.iter().filter(|g| g.abs() > 1e-6).count() > params.len() / 2);
    let h = 1e-6;
    for (i, p) in params.iter().enumerate().step_by(7) {
        let x = p.data();
        p.set_data(x + h);
        let up = model.loss(&tokens).unwrap().data();
        Tape::rewind(mark);
        p.set_data(x - h);
        let down = model.loss(&tokens).unwrap().data();
        Tape::rewind(mark);
        p.set_data(x);
        let fd = (up - down) / (2.0 * h);
        assert!(
            (fd - grads[i]).abs() < 1e-6 * (1.0 + fd.abs()),
            "parameter {i}: finite difference {fd} vs backward {}",
            grads[i]
        );
    }
    Tape::clear();
}

/// Adam by hand for two steps on f(p) = p², microgpt's formulas: the trainer's optimizer
/// (`AdamFormula::Microgpt`, microgpt's betas, the linear decay over 4 steps).
#[test]
fn adam_matches_hand_computation() {
    let p = Value::new(0.5);
    let mark = Tape::mark();
    let mut adam = Adam::new(0.01)
        .betas(micrograd::gpt::BETA1, micrograd::gpt::BETA2)
        .eps(micrograd::gpt::EPS)
        .formula(AdamFormula::Microgpt);
    let schedule = Schedule::Linear {
        start_factor: 1.0,
        end_factor: 0.0,
        over: Span::Steps(4),
    };
    let (mut m, mut v, mut x) = (0.0f64, 0.0f64, 0.5f64);
    for step in 0..2 {
        (p * p).backward();
        adam.set_lr(schedule.lr(0.01, step as usize));
        adam.step(&[p]);
        Tape::rewind(mark);
        assert_eq!(p.grad(), 2.0 * x, "the optimizer leaves the gradient alone");
        p.zero_grad();
        let g = 2.0 * x;
        m = 0.85 * m + 0.15000000000000002 * g;
        v = 0.99 * v + (1.0 - 0.99) * g * g;
        let m_hat = m / (1.0 - 0.85f64.powi(step + 1));
        let v_hat = v / (1.0 - 0.99f64.powi(step + 1));
        let lr_t = 0.01 * (1.0 - step as f64 / 4.0);
        x -= lr_t * m_hat / (v_hat.sqrt() + 1e-8);
        assert!(
            (p.data() - x).abs() < 1e-15,
            "step {step}: {} vs {x}",
            p.data()
        );
    }
    Tape::clear();
}

#[test]
fn training_stops_after_the_planned_steps() {
    let vocab = Vocab::from_docs(["ab"]);
    let config = GptConfig {
        n_layer: 1,
        n_embd: 2,
        n_head: 1,
        block_size: 4,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut trainer = Trainer::new(Gpt::new(config, vocab, &mut rng).unwrap(), 0.01, 2);
    let tokens = trainer.model().vocab().encode("ab").unwrap();
    trainer.step(&tokens).unwrap();
    trainer.step(&tokens).unwrap();
    assert_eq!(
        trainer.step(&tokens),
        Err(GptError::StepsExhausted { num_steps: 2 })
    );
    assert!(matches!(
        trainer.step(&[0]),
        Err(GptError::StepsExhausted { .. })
    ));
    Tape::clear();
}

#[test]
fn a_non_finite_loss_names_the_step_and_leaves_the_weights() {
    let vocab = Vocab::from_docs(["ab"]);
    let config = GptConfig {
        n_layer: 1,
        n_embd: 2,
        n_head: 1,
        block_size: 4,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let model = Gpt::new(config, vocab, &mut rng).unwrap();
    let mut trainer = Trainer::new(model, 0.01, 10);
    let tokens = trainer.model().vocab().encode("ab").unwrap();
    trainer.step(&tokens).unwrap();
    // A weight gone bad (the embedding of 'a'): the loss is NaN.
    trainer.model().parameters()[0].set_data(f64::NAN);
    let before = format!("{:?}", trainer.model().state_dict());
    let err = trainer.step(&tokens).unwrap_err();
    assert!(
        matches!(err, GptError::NonFiniteLoss { step: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("step 1"));
    assert_eq!(format!("{:?}", trainer.model().state_dict()), before);
    Tape::clear();
}

#[test]
fn bad_state_dicts_are_named() {
    let vocab = Vocab::from_docs(lines(NAMES));
    let mut sd = init_state_dict();
    let err = |sd: &StateDict| {
        Gpt::from_state_dict(GptConfig::MICROGPT, vocab.clone(), sd)
            .unwrap_err()
            .to_string()
    };
    let i = sd.iter().position(|(n, _)| n == "layer0.mlp_fc2").unwrap();
    sd[i].1[3].pop();
    assert_eq!(
        err(&sd),
        "layer0.mlp_fc2: row 3 has 63 numbers, expected 64 (4·n_embd)"
    );
    sd[i].1.pop();
    assert_eq!(
        err(&sd),
        "layer0.mlp_fc2: has 15 rows, expected 16 (n_embd)"
    );
    sd.remove(i);
    assert_eq!(err(&sd), "layer0.mlp_fc2: missing");
    sd.push(("layer1.attn_wq".into(), vec![]));
    assert_eq!(
        err(&sd),
        "layer1.attn_wq: not a parameter of this model (n_layer = 1)"
    );
    let mut sd = init_state_dict();
    sd[0].1[2][5] = f64::NAN;
    assert!(err(&sd).ends_with("row 2, column 5 is NaN"), "{}", err(&sd));
    let bad = GptConfig {
        n_head: 5,
        ..GptConfig::MICROGPT
    };
    assert!(Gpt::from_state_dict(bad, vocab.clone(), &sd).is_err());
    Tape::clear();
}

#[test]
fn sampling_is_seeded_and_stays_in_the_vocabulary() {
    let model = microgpt();
    let mut a = rand::rngs::StdRng::seed_from_u64(3);
    let mut b = rand::rngs::StdRng::seed_from_u64(3);
    let len = Tape::len();
    for _ in 0..5 {
        let s = model.sample(&mut a, 0.5).unwrap();
        assert_eq!(s, model.sample(&mut b, 0.5).unwrap());
        assert!(s.chars().count() <= 16);
        assert!(s.chars().all(|c| c.is_ascii_lowercase()));
    }
    assert_eq!(Tape::len(), len, "sampling rewinds its graph");
    assert!(model.sample(&mut a, 0.0).is_err());
    assert!(model.sample(&mut a, f64::NAN).is_err());
    Tape::clear();
}

#[cfg(feature = "serde")]
#[test]
fn save_and_load_round_trip_exactly() {
    let model = microgpt();
    let json = model.to_json();
    assert!(json.starts_with(r#"{"format":"micrograd-gpt","config":{"n_layer":1"#));
    let back = Gpt::from_json(&json).unwrap();
    assert_eq!(back.state_dict(), model.state_dict());
    assert_eq!(back.vocab(), model.vocab());
    assert_eq!(back.config(), model.config());
    // microgpt's own init file parses with the library's parser too.
    assert_eq!(
        micrograd::gpt::state_dict_from_json(INIT).unwrap(),
        init_state_dict()
    );
    let err = Gpt::from_json(r#"{"format":"micrograd-gpt","vocab":"ab"}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `config`"), "{err}");
    let err = Gpt::from_json(&json.replace("\"vocab\":\"abc", "\"vocab\":\"bac")).unwrap_err();
    assert!(err.to_string().starts_with("vocabulary:"), "{err}");
    Tape::clear();
}

#[test]
fn a_graph_too_large_for_the_tape_is_refused() {
    // A small model with a huge block size: 60,000 positions of attention would need ~10^11 tape
    // entries; the refusal comes before anything is built.
    let vocab = Vocab::from_docs(["ab"]);
    let small = GptConfig {
        n_layer: 1,
        n_embd: 4,
        n_head: 1,
        block_size: 60_000,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let model = Gpt::new(small, vocab, &mut rng).unwrap();
    let long = "ab".repeat(30_000);
    let tokens = model.vocab().encode(&long).unwrap();
    let err = model.loss(&tokens).unwrap_err();
    assert!(
        err.to_string().contains("more than the tape holds"),
        "{err}"
    );
    assert!(model.sample(&mut rng, 1.0).is_err());
    Tape::clear();
}

/// The initial weights load exactly: every number of `microgpt_init.json`, parsed on its own with
/// Rust's correctly rounded `f64::from_str`, is the weight the model holds (serde_json's default float
/// parser is not always correctly rounded; the crate enables its `float_roundtrip` feature).
#[test]
fn initial_weights_load_bit_for_bit() {
    let model = microgpt();
    let held: Vec<f64> = model
        .state_dict()
        .into_iter()
        .flat_map(|(_, m)| m.into_iter().flatten())
        .collect();
    // The file lists the matrices in state_dict order; its keys hold no digits but the layer index,
    // so drop the keys before picking out the numbers.
    let numbers: Vec<f64> = INIT
        .split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .flat_map(|(_, s)| {
            s.split(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
                .filter(|t| !t.is_empty())
                .map(|t| t.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(numbers.len(), 4192);
    for (i, (a, b)) in held.iter().zip(&numbers).enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "weight {i}");
    }
    Tape::clear();
}

#[cfg(feature = "serde")]
#[test]
fn a_malformed_state_dict_names_the_entry() {
    use micrograd::gpt::state_dict_from_json;
    let err = |json: &str| match state_dict_from_json(json) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted {json}"),
    };
    assert!(err(r#"{"wte": [[1, 2], [3, "x"]]}"#).contains("wte[1][1]: expected a number"));
    assert!(err(r#"{"wpe": [1, 2]}"#).contains("wpe[0]: expected a list of numbers"));
    assert!(err(r#"{"wpe": 3}"#).contains("wpe: expected a list of rows"));
    assert!(err("[1]").contains("expected an object"));
    assert!(err("{").contains("line 1"));
}
