//! Fuzzes the CSV reader of `micrograd train` and `predict`: any text is a data set or a clear error
//! naming the file (and, for a bad row, the line), never a panic; an error shows at most a window of
//! the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd_cli::csv_data::{parse, Labels};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for labels in [Labels::Required, Labels::Optional] {
        match parse(text, "f.csv", labels) {
            Ok(rows) => {
                assert!(!rows.features.is_empty());
                let width = rows.feature_names.len();
                assert!(rows.features.iter().all(|r| r.len() == width));
                assert!(rows.features.iter().flatten().all(|x| x.is_finite()));
                if let Some(l) = &rows.labelled {
                    assert_eq!(l.dataset.len(), rows.features.len());
                    assert!(l.dataset.labels().iter().all(|&c| c < l.dataset.n_classes()));
                }
            }
            Err(e) => {
                let msg = format!("{e:#}");
                assert!(msg.starts_with("f.csv"), "{msg}");
                // a window around the fault, not the whole input (the csv crate's own messages
                // and the names of the file and the columns come on top)
                assert!(msg.chars().count() <= 600, "{} characters", msg.chars().count());
            }
        }
    }
});
