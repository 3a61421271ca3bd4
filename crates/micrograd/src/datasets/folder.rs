//! torchvision's `ImageFolder` layout: `DIR/CLASS/*.png|jpg|jpeg`, one sub-folder per class, the
//! classes in sorted order. Decoded with the `image` crate (feature `image`).

use super::{ImageDataset, LoadError};
use crate::data::Dataset;
use crate::nn::Chw;
use image::imageops::FilterType;
use std::path::{Path, PathBuf};

/// How [`load_image_folder`] turns files into images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FolderOptions {
    /// Resize every image to `(width, height)` (bilinear, the `image` crate's `Triangle` filter).
    /// Without it, every image must have the size of the first one.
    pub resize: Option<(u32, u32)>,
    /// One channel (luma, the `image` crate's `to_luma8`) instead of three (RGB; an alpha channel is
    /// dropped).
    pub grayscale: bool,
}

fn is_image(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| LoadError::io(dir, &e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| LoadError::io(dir, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    // Hidden entries are skipped; a name that is not UTF-8 is not (its class is named lossily).
    entries.retain(|p| {
        p.file_name()
            .is_some_and(|n| !n.as_encoded_bytes().starts_with(b"."))
    });
    entries.sort();
    Ok(entries)
}

/// Loads `dir/CLASS/FILE` for every sub-folder `CLASS` (sorted by name: label 0 is the first) and every
/// PNG or JPEG file in it (sorted by name; other files and hidden entries are skipped, as
/// torchvision's `ImageFolder` does). Pixels are CHW, scaled to `[0, 1]`.
///
/// # Errors
/// `dir` unreadable or without class folders, a class folder without images, a file that does not
/// decode or is too large ([`decode_image`], naming it), or, without [`FolderOptions::resize`], an
/// image whose size differs from the first one's (naming both files and sizes).
pub fn load_image_folder(dir: &Path, options: &FolderOptions) -> Result<ImageDataset, LoadError> {
    let classes: Vec<PathBuf> = sorted_entries(dir)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    if classes.is_empty() {
        return Err(LoadError::new(
            dir,
            "no class folders (expected one sub-folder of PNG or JPEG files per class)",
        ));
    }
    let channels = if options.grayscale { 1 } else { 3 };
    let mut size: Option<(u32, u32, PathBuf)> = None;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut names = Vec::with_capacity(classes.len());
    for (label, class_dir) in classes.iter().enumerate() {
        let files: Vec<PathBuf> = sorted_entries(class_dir)?
            .into_iter()
            .filter(|p| p.is_file() && is_image(p))
            .collect();
        if files.is_empty() {
            return Err(LoadError::new(
                class_dir,
                "no PNG or JPEG files in this class folder",
            ));
        }
        names.push(
            class_dir
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        );
        for file in files {
            let bytes = std::fs::read(&file).map_err(|e| LoadError::io(&file, &e))?;
            let (shape, px) = decode_image(&bytes, &file, options)?;
            let (w, h) = (shape.width as u32, shape.height as u32);
            match &size {
                None => size = Some((w, h, file.clone())),
                Some((w0, h0, first)) if (*w0, *h0) != (w, h) => {
                    return Err(LoadError::new(
                        &file,
                        format!(
                            "the image is {w}×{h} but {} is {w0}×{h0} (all images must have one \
                             size, or ask for a resize)",
                            first.display()
                        ),
                    ));
                }
                Some(_) => {}
            }
            features.push(px);
            labels.push(label);
        }
    }
    let (w, h, _) = size.expect("at least one image was read");
    let data = Dataset::new(features, labels, classes.len())
        .map_err(|e| LoadError::new(dir, e.to_string()))?;
    ImageDataset::new(data, Chw::new(channels, h as usize, w as usize), names)
        .map_err(|e| LoadError::new(dir, e.to_string()))
}

/// The most pixels an image may have, as stored in its file and after [`FolderOptions::resize`]
/// (`4096 × 4096`, about 16 megapixels): a larger file, or a larger size to resize to, is an error
/// before anything of its size is allocated. At the limit, one RGB image is 400 MB of `f64`s.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 24;

/// The most memory the `image` crate may allocate to decode one file.
const MAX_DECODER_BYTES: u64 = 256 << 20;

/// One file's bytes as [`load_image_folder`] reads them: decoded as PNG or JPEG (the format from the
/// content, else from `path`'s extension), resized if [`FolderOptions::resize`] asks, and returned
/// as its shape and its pixels, CHW in `[0, 1]`. `path` only names the file in errors.
///
/// # Errors
/// Bytes that do not decode as PNG or JPEG, an image of more than [`MAX_IMAGE_PIXELS`] pixels, or
/// a resize to a width or height of 0 or to more than [`MAX_IMAGE_PIXELS`] pixels; each names the
/// file.
pub fn decode_image(
    bytes: &[u8],
    path: &Path,
    options: &FolderOptions,
) -> Result<(Chw, Vec<f64>), LoadError> {
    if let Some((w, h)) = options.resize {
        if w == 0 || h == 0 || u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
            return Err(LoadError::new(
                path,
                format!(
                    "cannot resize to {w}×{h} (a width and height of at least 1, at most \
                     {MAX_IMAGE_PIXELS} pixels)"
                ),
            ));
        }
    }
    let reader = || {
        let mut reader = image::io::Reader::new(std::io::Cursor::new(bytes));
        if let Ok(format) = image::ImageFormat::from_path(path) {
            reader.set_format(format);
        }
        reader
            .with_guessed_format()
            .map_err(|e| LoadError::io(path, &e))
    };
    let unreadable =
        |e: image::ImageError| LoadError::new(path, format!("not a readable PNG or JPEG: {e}"));
    // The size from the header first, so that a file announcing a huge image is refused before
    // the decoder allocates for it.
    let (w, h) = reader()?.into_dimensions().map_err(unreadable)?;
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(LoadError::new(
            path,
            format!(
                "the image is {w}×{h}, more than {MAX_IMAGE_PIXELS} pixels (shrink the file first)"
            ),
        ));
    }
    let mut reader = reader()?;
    let mut limits = image::io::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(MAX_DECODER_BYTES);
    reader.limits(limits);
    let img = reader.decode().map_err(unreadable)?;
    let img = match options.resize {
        Some((w, h)) if (img.width(), img.height()) != (w, h) => {
            img.resize_exact(w, h, FilterType::Triangle)
        }
        _ => img,
    };
    let (w, h) = (img.width() as usize, img.height() as usize);
    let channels = if options.grayscale { 1 } else { 3 };
    let plane = w * h;
    let mut px = vec![0.0; channels * plane];
    if options.grayscale {
        for (dst, p) in px.iter_mut().zip(img.to_luma8().pixels()) {
            *dst = f64::from(p.0[0]) / 255.0;
        }
    } else {
        for (i, p) in img.to_rgb8().pixels().enumerate() {
            for c in 0..3 {
                px[c * plane + i] = f64::from(p.0[c]) / 255.0;
            }
        }
    }
    Ok((Chw::new(channels, h, w), px))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// The start of a PNG file announcing `w × h` gray pixels: the signature, the header chunk and
    /// an empty data chunk.
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        b.extend_from_slice(&13u32.to_be_bytes());
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 0, 0, 0, 0]);
        let crc = crc32(&b[12..]);
        b.extend_from_slice(&crc.to_be_bytes());
        // an empty data chunk: the decoder reads the header up to it
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(b"IDAT");
        b.extend_from_slice(&crc32(b"IDAT").to_be_bytes());
        b
    }

    fn tiny_png() -> Vec<u8> {
        let img = image::GrayImage::from_fn(3, 2, |x, y| image::Luma([(50 * x + y) as u8]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_file_announcing_a_huge_image_is_refused_before_decoding() {
        let path = Path::new("big.png");
        for (w, h) in [
            (100_000, 100_000),
            (i32::MAX as u32, i32::MAX as u32),
            (4097, 4096),
        ] {
            let err = decode_image(&png_header(w, h), path, &FolderOptions::default()).unwrap_err();
            // ours, or the `image` crate's own limit while reading the header
            let ours = err.message.contains(&format!("{w}×{h}, more than"));
            assert!(ours || err.message.contains("limit exceeded"), "{err}");
            assert!(ours || w > 100_000, "{err}");
        }
    }

    #[test]
    fn a_resize_to_nothing_or_to_too_much_is_an_error_not_a_panic() {
        let png = tiny_png();
        let path = Path::new("a.png");
        for size in [
            (0, 2),
            (2, 0),
            (0, 0),
            (70_000, 70_000),
            (u32::MAX, u32::MAX),
            (4097, 4096),
        ] {
            let options = FolderOptions {
                resize: Some(size),
                grayscale: true,
            };
            let err = decode_image(&png, path, &options).unwrap_err();
            assert!(
                err.to_string().starts_with("a.png: cannot resize to"),
                "{err}"
            );
        }
        let options = FolderOptions {
            resize: Some((4096, 4096)),
            grayscale: true,
        };
        let (shape, px) = decode_image(&png, path, &options).unwrap();
        assert_eq!((shape, px.len()), (Chw::new(1, 4096, 4096), 1 << 24));
    }

    #[test]
    fn decoded_pixels_are_chw_in_unit_range() {
        let png = tiny_png();
        let (shape, px) =
            decode_image(&png, Path::new("a.png"), &FolderOptions::default()).unwrap();
        assert_eq!(shape, Chw::new(3, 2, 3));
        // gray to RGB: three equal planes
        let plane: Vec<f64> = [0.0, 50.0, 100.0, 1.0, 51.0, 101.0]
            .iter()
            .map(|v| v / 255.0)
            .collect();
        assert_eq!(px, [plane.clone(), plane.clone(), plane].concat());
        // the content decides the format, whatever the name says
        assert!(decode_image(&png, Path::new("a.jpg"), &FolderOptions::default()).is_ok());
        let err = decode_image(
            b"not an image",
            Path::new("a.png"),
            &FolderOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.message.starts_with("not a readable PNG or JPEG"),
            "{err}"
        );
    }
}
