//! The image-folder loader (feature `image`) on PNG and JPEG files the test writes: classes from
//! sorted sub-folders, CHW pixels, resizing, and clear errors for a size mismatch and a corrupt file.

use micrograd::datasets::{load_image_folder, FolderOptions};
use micrograd::nn::Chw;
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("micrograd-folder-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `w × h` RGB PNG whose pixel (x, y) is (10x + y, 100, 200 + seed).
fn png(path: &Path, w: u32, h: u32, seed: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(10 * x + y) as u8, 100, 200 + seed])
    });
    img.save(path).unwrap();
}

#[test]
fn folders_are_classes_and_pixels_are_chw() {
    let dir = temp_dir("ok");
    png(&dir.join("cat/b.png"), 3, 2, 1);
    png(&dir.join("cat/a.PNG"), 3, 2, 0);
    png(&dir.join("dog/x.png"), 3, 2, 2);
    std::fs::write(dir.join("dog/notes.txt"), "skipped").unwrap();
    std::fs::create_dir_all(dir.join(".hidden")).unwrap();
    let d = load_image_folder(&dir, &FolderOptions::default()).unwrap();
    assert_eq!(d.class_names(), &["cat", "dog"]);
    assert_eq!(d.shape(), Chw::new(3, 2, 3));
    assert_eq!(d.data().labels(), &[0, 0, 1]);
    // a.PNG first (sorted), red plane then green then blue.
    let red: Vec<f64> = [0.0, 10.0, 20.0, 1.0, 11.0, 21.0]
        .iter()
        .map(|v| v / 255.0)
        .collect();
    assert_eq!(&d.image(0)[..6], red.as_slice());
    assert!(d.image(0)[6..12].iter().all(|&v| v == 100.0 / 255.0));
    assert!(d.image(1)[12..].iter().all(|&v| v == 201.0 / 255.0));

    let gray = load_image_folder(
        &dir,
        &FolderOptions {
            grayscale: true,
            resize: None,
        },
    )
    .unwrap();
    assert_eq!(gray.shape(), Chw::new(1, 2, 3));

    // A JPEG of another size: rejected, naming both files, unless resized.
    let jpg = dir.join("dog/y.jpg");
    image::RgbImage::from_pixel(5, 4, image::Rgb([50, 50, 50]))
        .save(&jpg)
        .unwrap();
    let e = load_image_folder(&dir, &FolderOptions::default()).unwrap_err();
    assert_eq!(e.path, jpg);
    assert!(e.message.contains("the image is 5×4 but"), "{e}");
    assert!(e.message.contains("a.PNG is 3×2"), "{e}");
    let r = load_image_folder(
        &dir,
        &FolderOptions {
            resize: Some((4, 4)),
            grayscale: true,
        },
    )
    .unwrap();
    assert_eq!((r.shape(), r.len()), (Chw::new(1, 4, 4), 4));
    // A uniform image stays uniform when resized (up to JPEG's rounding).
    assert!(
        r.image(3)
            .iter()
            .all(|&v| (v - 50.0 / 255.0).abs() < 3.0 / 255.0),
        "{:?}",
        r.image(3)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_folders_are_clear_errors() {
    let dir = temp_dir("bad");
    let e = load_image_folder(&dir, &FolderOptions::default()).unwrap_err();
    assert!(e.message.contains("no class folders"), "{e}");
    png(&dir.join("one/a.png"), 2, 2, 0);
    std::fs::create_dir_all(dir.join("two")).unwrap();
    let e = load_image_folder(&dir, &FolderOptions::default()).unwrap_err();
    assert_eq!(e.path, dir.join("two"));
    assert!(e.message.contains("no PNG or JPEG files"), "{e}");
    let bad = dir.join("two/broken.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let e = load_image_folder(&dir, &FolderOptions::default()).unwrap_err();
    assert_eq!(e.path, bad);
    assert!(
        e.to_string()
            .starts_with(&format!("{}: not a readable PNG or JPEG", bad.display())),
        "{e}"
    );
    assert!(load_image_folder(&dir.join("nope"), &FolderOptions::default()).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A class folder (or a file) whose name is not UTF-8 was skipped silently, as if hidden: its
/// images were lost and the classes renumbered.
#[cfg(unix)]
#[test]
fn a_name_that_is_not_utf8_is_a_class_not_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let dir = temp_dir("not-utf8");
    png(&dir.join("cat/a.png"), 2, 2, 0);
    let odd = dir.join(std::ffi::OsStr::from_bytes(b"d\xffg"));
    png(&odd.join("a.png"), 2, 2, 1);
    png(&odd.join(std::ffi::OsStr::from_bytes(b"\xfe.png")), 2, 2, 2);
    std::fs::create_dir_all(dir.join(".hidden")).unwrap();
    png(&dir.join("cat/.b.png"), 2, 2, 3);
    let d = load_image_folder(&dir, &FolderOptions::default()).unwrap();
    assert_eq!(d.class_names(), &["cat", "d\u{fffd}g"]);
    assert_eq!(d.data().labels(), &[0, 1, 1]);
    std::fs::remove_dir_all(&dir).unwrap();
}
