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
    entries.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.'))
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
/// decode (naming it), or, without [`FolderOptions::resize`], an image whose size differs from the
/// first one's (naming both files and sizes).
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
            let img = image::io::Reader::open(&file)
                .map_err(|e| LoadError::io(&file, &e))?
                .with_guessed_format()
                .map_err(|e| LoadError::io(&file, &e))?
                .decode()
                .map_err(|e| LoadError::new(&file, format!("not a readable PNG or JPEG: {e}")))?;
            let img = match options.resize {
                Some((w, h)) if (img.width(), img.height()) != (w, h) => {
                    img.resize_exact(w, h, FilterType::Triangle)
                }
                _ => img,
            };
            let (w, h) = (img.width(), img.height());
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
            let plane = (w * h) as usize;
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
