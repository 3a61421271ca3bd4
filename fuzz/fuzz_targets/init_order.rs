//! Fuzzes the files of `gpt train` besides the data: the `--order` file (documents encoded with the
//! data's vocabulary: a bad character is an error naming it) and the `--init` file (a saved model
//! or a state dict that must fit the configuration). The input is split at the first NUL byte:
//! the order text before it, the init text after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd::gpt::{GptConfig, Vocab};
use micrograd::Tape;
use micrograd_cli::cmd::gpt::{documents, init_from_text};

const DATA: &str = "emma\nolivia\nava\nisabella\nsophia\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (order, init) = text.split_once('\0').unwrap_or((text, ""));
    let vocab = Vocab::from_docs(documents(DATA).iter().map(|(_, d)| d));
    for (line, doc) in documents(order) {
        assert!(line >= 1);
        if let Ok(tokens) = vocab.encode(doc) {
            assert!(tokens.iter().all(|&t| t < vocab.size()));
        }
    }
    let config = GptConfig {
        n_layer: 1,
        n_embd: 4,
        n_head: 2,
        block_size: 4,
    };
    if let Err(e) = init_from_text(init, "init.json", config, vocab) {
        assert!(format!("{e:#}").starts_with("init.json"));
    }
    Tape::clear();
});
