//! Fuzzes the GPT model file (`gpt train --save`, `gpt sample --model`) and the state dict of `gpt
//! train --init`: any text is a model or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd::gpt::{state_dict_from_json, Gpt};
use micrograd::Tape;
use rand::SeedableRng;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = Gpt::from_json(text) {
        if model.num_parameters() <= 20_000 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1);
            let _ = model.sample(&mut rng, 0.5);
            let again = Gpt::from_json(&model.to_json()).expect("a saved model reads back");
            assert_eq!(again.num_parameters(), model.num_parameters());
        }
    }
    let _ = state_dict_from_json(text);
    Tape::clear();
});
