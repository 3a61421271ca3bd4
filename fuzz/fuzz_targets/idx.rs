//! Fuzzes the IDX (MNIST) reader: any bytes are an array or an error naming the file, never a panic
//! or an allocation the header asks for but the bytes do not hold; a pair of files (images, labels)
//! is a data set or an error.
//!
//! Input: one byte of mode (bit 0: MNIST's 10 classes, bit 1: 0 classes), two bytes (big-endian)
//! for the length of the images file, the images file, then the labels file. The whole input is
//! also read as one IDX file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd::datasets::{parse_idx, parse_idx_pair};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let f = Path::new("f.idx");
    match parse_idx(data, f) {
        Ok(a) => {
            assert!(!a.dims.is_empty());
            assert_eq!(a.dims.iter().product::<usize>(), a.data.len());
            assert!(a.data.len() <= data.len());
        }
        Err(e) => assert!(e.to_string().starts_with("f.idx: "), "{e}"),
    }
    if data.len() < 3 {
        return;
    }
    let mode = data[0];
    let n = usize::from(u16::from_be_bytes([data[1], data[2]])).min(data.len() - 3);
    let (images, labels) = data[3..].split_at(n);
    let classes = match mode & 3 {
        0 => None,
        1 => Some(10),
        2 => Some(0),
        _ => Some(usize::from(mode >> 2)),
    };
    let (pi, pl) = (Path::new("images"), Path::new("labels"));
    match parse_idx_pair((images, pi), (labels, pl), classes) {
        Ok(d) => {
            assert!(d.len() >= 1);
            assert_eq!(d.data().labels().len(), d.len());
            assert_eq!(d.class_names().len(), d.data().n_classes());
            assert!(d.data().labels().iter().all(|&l| l < d.data().n_classes()));
            if let Some(k) = classes {
                assert_eq!(d.data().n_classes(), k);
            }
            assert_eq!(d.image(0).len(), d.shape().len());
            assert!(d.image(0).iter().all(|v| (0.0..=1.0).contains(v)));
        }
        Err(e) => {
            let s = e.to_string();
            assert!(
                s.starts_with("images: ") || s.starts_with("labels: "),
                "{s}"
            );
        }
    }
});
