//! The digits data set, built into the crate: scikit-learn's copy of the test set of UCI's optical
//! recognition of handwritten digits (1,797 images, 8×8, pixels 0..16, 10 classes).

use super::ImageDataset;
use crate::data::Dataset;
use crate::nn::Chw;

/// The packed images; the layout is in `scripts/export_sklearn_data.py`: per image 32 bytes of low
/// nibbles (two pixels a byte, high nibble first), an 8-byte little-endian mask of the pixels equal
/// to 16, and the label.
const DIGITS: &[u8] = include_bytes!("digits.bin");

const RECORD: usize = 41;
const COUNT: usize = 1797;
const _: () = assert!(DIGITS.len() == RECORD * COUNT);

/// The citation the data set's licence (CC BY 4.0) asks for.
pub const DIGITS_CITATION: &str = "E. Alpaydin and C. Kaynak, Optical Recognition of Handwritten \
Digits [Dataset], UCI Machine Learning Repository, 1998, https://doi.org/10.24432/C50P49 \
(CC BY 4.0); the 1,797-image test set as distributed with scikit-learn (sklearn.datasets.load_digits).";

/// The 1,797 digits in scikit-learn's order: shape `1 × 8 × 8`, pixels scaled to `[0, 1]` (the
/// original counts 0..16 divided by 16), labels 0..9 named `"0"`..`"9"`.
///
/// ```
/// let d = micrograd::datasets::digits();
/// assert_eq!(d.data().class_counts(), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
/// assert_eq!(d.image(0)[2] * 16.0, 5.0);             // scikit-learn's digits.data[0][2]
/// ```
pub fn digits() -> ImageDataset {
    let mut features = Vec::with_capacity(COUNT);
    let mut labels = Vec::with_capacity(COUNT);
    for rec in DIGITS.chunks_exact(RECORD) {
        let mask = u64::from_le_bytes(rec[32..40].try_into().expect("8 bytes"));
        let pixels = (0..64)
            .map(|i| {
                let byte = rec[i / 2];
                let low = if i % 2 == 0 { byte >> 4 } else { byte & 15 };
                let v = if mask >> i & 1 == 1 { 16 } else { low };
                f64::from(v) / 16.0
            })
            .collect();
        features.push(pixels);
        labels.push(usize::from(rec[40]));
    }
    let data = Dataset::new(features, labels, 10).expect("the built-in digits are well-formed");
    ImageDataset::new(
        data,
        Chw::new(1, 8, 8),
        (0..10).map(|d| d.to_string()).collect(),
    )
    .expect("64 pixels, 10 names")
}
