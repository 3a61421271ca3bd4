//! The built-in digits (against scikit-learn's numbers) and the IDX loader on small files the tests
//! write, including truncated and wrong-magic files.

use micrograd::datasets::{digits, load_idx, load_mnist, parse_idx, MnistSplit};
use micrograd::nn::Chw;
use std::path::{Path, PathBuf};

/// scikit-learn's `load_digits().data[0]` and `data[1796]` (pixels 0..16) and their targets.
const FIRST: [u8; 64] = [
    0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0,
    8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6,
    13, 10, 0, 0, 0,
];

#[test]
fn digits_match_scikit_learn() {
    let d = digits();
    assert_eq!(d.len(), 1797);
    assert_eq!(d.shape(), Chw::new(1, 8, 8));
    let px16 = |i: usize| -> Vec<u8> { d.image(i).iter().map(|&v| (v * 16.0) as u8).collect() };
    assert_eq!(px16(0), FIRST);
    assert_eq!(d.data().labels()[..10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(d.data().labels()[1796], 8);
    assert_eq!(
        d.data().class_counts(),
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    // Pixels equal to 16 survive the packing (sum and count of 16s over the whole set, from numpy:
    // digits.data.sum() == 561718, (digits.data == 16).sum() == 10456).
    let all: Vec<f64> = d.data().features().iter().flatten().copied().collect();
    let total: f64 = all.iter().map(|v| v * 16.0).sum();
    assert_eq!(total, 561_718.0);
    assert_eq!(all.iter().filter(|&&v| v == 1.0).count(), 10456);
    assert!(all.iter().all(|v| (0.0..=1.0).contains(v)));
}

fn idx(kind: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, kind, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend(data);
    b
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("micrograd-datasets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn idx_files_load_as_images() {
    let dir = temp_dir("ok");
    // Three 2×3 images.
    let pixels: Vec<u8> = (0..18).map(|i| (i * 15) as u8).collect();
    let im = write(
        &dir,
        "train-images-idx3-ubyte",
        &idx(8, &[3, 2, 3], &pixels),
    );
    let lb = write(&dir, "train-labels-idx1-ubyte", &idx(8, &[3], &[2, 0, 7]));
    let d = load_idx(&im, &lb).unwrap();
    assert_eq!(
        (d.len(), d.shape(), d.data().n_classes()),
        (3, Chw::new(1, 2, 3), 8)
    );
    assert_eq!(
        d.image(1),
        &[90.0, 105.0, 120.0, 135.0, 150.0, 165.0].map(|v| v / 255.0)
    );
    assert_eq!(d.data().labels(), &[2, 0, 7]);
    let m = load_mnist(&dir, MnistSplit::Train).unwrap();
    assert_eq!(m.data().n_classes(), 10);
    assert_eq!(m.image(2), d.image(2));
    // The other naming convention, with a dot.
    write(
        &dir,
        "t10k-images.idx3-ubyte",
        &idx(8, &[1, 2, 3], &pixels[..6]),
    );
    write(&dir, "t10k-labels.idx1-ubyte", &idx(8, &[1], &[9]));
    assert_eq!(load_mnist(&dir, MnistSplit::Test).unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_idx_files_are_clear_errors() {
    let p = Path::new("f.idx");
    let err = |bytes: &[u8]| parse_idx(bytes, p).unwrap_err().to_string();
    assert_eq!(
        err(&[0x1f, 0x8b, 8, 0, 1]),
        "f.idx: byte 0: wrong magic number 1f 8b 08 00 (an IDX file starts 00 00 08 NN) (the file \
         is gzipped: decompress it first, e.g. with gunzip)"
    );
    assert_eq!(
        err(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]),
        "f.idx: byte 2: data type 0x0d is not supported (only unsigned bytes, 0x08, as in MNIST)"
    );
    assert_eq!(
        err(&[0, 0]),
        "f.idx: byte 0: truncated: an IDX file starts with a 4-byte magic number, the file has 2 bytes"
    );
    assert_eq!(
        err(&[0, 0, 8, 3, 0, 0, 0, 2, 0, 0]),
        "f.idx: byte 4: truncated: the header of 3 dimensions needs 16 bytes, the file has 10"
    );
    let full = idx(8, &[2, 2, 2], &[1; 8]);
    assert_eq!(
        err(&full[..full.len() - 1]),
        "f.idx: byte 16: truncated: the header announces 8 bytes of data, the file has 7"
    );
    let mut long = full.clone();
    long.push(0);
    assert_eq!(
        err(&long),
        "f.idx: byte 24: 1 bytes after the 8 bytes of data the header announces"
    );
    assert_eq!(
        err(&[0, 0, 8, 0]),
        "f.idx: byte 3: an IDX array needs at least one dimension"
    );

    let dir = temp_dir("bad");
    let im = write(&dir, "train-images-idx3-ubyte", &full);
    let lb = write(&dir, "train-labels-idx1-ubyte", &idx(8, &[3], &[0, 1, 2]));
    let e = load_idx(&im, &lb).unwrap_err();
    assert_eq!(e.path, lb);
    assert!(e.message.contains("3 labels for the 2 images"), "{e}");
    let lb = write(&dir, "train-labels-idx1-ubyte", &idx(8, &[2], &[3, 12]));
    let e = load_mnist(&dir, MnistSplit::Train).unwrap_err();
    assert_eq!(e.place.as_deref(), Some("label 1"));
    assert!(e.message.contains("12 is not one of the 10 classes"), "{e}");
    let e = load_idx(&lb, &lb).unwrap_err();
    assert!(e.message.contains("expected 3 dimensions"), "{e}");
    std::fs::remove_file(&lb).unwrap();
    write(&dir, "train-labels-idx1-ubyte.gz", &[0x1f, 0x8b]);
    let e = load_mnist(&dir, MnistSplit::Train).unwrap_err();
    assert!(e.message.contains("only the .gz is there"), "{e}");
    let e = load_idx(&dir.join("missing"), &im).unwrap_err();
    assert!(e.to_string().contains("missing: cannot read"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
