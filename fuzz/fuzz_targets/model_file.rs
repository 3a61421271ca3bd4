//! Fuzzes the model file as `train --model-init` and `predict --model` read it: an MLP's or a
//! Sequential's (`"format": "micrograd-sequential"`, CNNs from `--arch`), with its preprocessing.
//! Any text is a model or an error naming the file, never a panic; a model read back is used
//! (forward on a preprocessed input, saved again, read again, the same prediction).
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd::Tape;
use micrograd_cli::network::parse;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("m.json");
    match parse(text, path) {
        Ok(saved) => {
            // keep the work small: a fuzzer-made model may be wide
            if saved.network.num_parameters() <= 10_000 && saved.network.input_len() <= 4_096 {
                let mut x = vec![0.5; saved.network.input_len()];
                if let Some(p) = &saved.preprocess {
                    p.apply(&mut x);
                }
                let y = saved.network.predict(&x);
                assert_eq!(y.len(), saved.network.output_len());
                let again = parse(&saved.network.to_json(saved.preprocess.as_ref()), path)
                    .expect("a saved model reads back");
                let y2 = again.network.predict(&x);
                assert_eq!(y.len(), y2.len());
                assert!(y.iter().zip(&y2).all(|(a, b)| a == b || (a.is_nan() && b.is_nan())));
            }
        }
        Err(e) => {
            let msg = format!("{e:#}");
            assert!(msg.starts_with("m.json"), "{msg}");
        }
    }
    Tape::clear();
});
