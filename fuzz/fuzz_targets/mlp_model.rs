//! Fuzzes the MLP model file (`train --save`, `--model-init`, `predict --model`): any text is a model
//! or an error, never a panic; a model read back is used (forward, saved again, read again).
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd::nn::{Module, MLP};
use micrograd::Tape;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = MLP::from_json(text) else {
        return;
    };
    // keep the work small: a fuzzer-made model may be wide
    if model.num_parameters() <= 10_000 {
        let x = vec![0.5; model.nin()];
        let y = model.predict(&x);
        assert_eq!(y.len(), model.nout());
        let again = MLP::from_json(&model.to_json()).expect("a saved model reads back");
        assert_eq!(again.nouts(), model.nouts());
        assert_eq!(again.predict(&x), y);
    }
    drop(model);
    Tape::clear();
});
