//! Fuzzes the architecture grammar (`train --arch`): any text parses or gives an error at a column
//! inside the text, never a panic; an architecture prints back to itself; its parameter bound is
//! computed for small input shapes and, when it is small, the model is built (or a shape error at a
//! layer's column) with at most that many parameters, and a small model runs forward.
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd::nn::{Architecture, Chw, Init, Module};
use micrograd::Tape;
use rand::SeedableRng;

/// Build only what the fuzzer can afford per input.
const MAX_BUILD: u128 = 200_000;
/// Run forward only when every activation is this small.
const MAX_ACTIVATION: usize = 20_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let chars = text.chars().count();
    let arch = match Architecture::parse(text) {
        Ok(a) => a,
        Err(e) => {
            assert!(
                e.column >= 1 && e.column <= chars + 1,
                "{e} in {chars} chars"
            );
            let _ = e.pointed(text);
            return;
        }
    };
    assert_eq!(arch.layers().len(), arch.columns().len());
    assert!(arch.columns().iter().all(|&c| c >= 1 && c <= chars));
    let printed = arch.to_string();
    let again = Architecture::parse(&printed).expect("the canonical spelling parses");
    assert_eq!(again.layers(), arch.layers(), "{printed}");

    for input in [Chw::new(1, 8, 8), Chw::new(3, 5, 4), Chw::flat(6)] {
        let bound = arch.parameter_bound(input);
        if bound > MAX_BUILD {
            continue;
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        match arch.build(input, Init::Kaiming, &mut rng) {
            Ok(model) => {
                let n = model.num_parameters();
                assert!(
                    n as u128 <= bound,
                    "{n} parameters, bound {bound}: {printed}"
                );
                assert_eq!(model.layers().len(), arch.layers().len());
                if model.shapes().iter().all(|s| s.len() <= MAX_ACTIVATION)
                    && n <= 20_000
                {
                    let x = vec![0.5; input.len()];
                    let y = model.predict(&x);
                    assert_eq!(y.len(), model.output_shape().len());
                }
            }
            Err(e) => {
                assert!(arch.columns().contains(&e.column), "{e}: {printed}");
            }
        }
        Tape::clear();
    }
});
