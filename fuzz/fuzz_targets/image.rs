//! Fuzzes one file of the image-folder loader (`train --data images:DIR`): any bytes decode (as
//! PNG or JPEG, through the `image` crate with the loader's limits) to pixels in `[0, 1]` of the
//! announced shape, or give an error naming the file; never a panic, a hang or a huge allocation.
//!
//! Input: one byte of options (bit 0: grayscale, bit 1: resize, bit 2: named `.jpg` rather than
//! `.png`), two bytes for the resize width and height (0..=255), then the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use micrograd::datasets::{decode_image, FolderOptions};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (head, bytes) = data.split_at(3);
    let options = FolderOptions {
        grayscale: head[0] & 1 != 0,
        resize: (head[0] & 2 != 0).then_some((u32::from(head[1]), u32::from(head[2]))),
    };
    let path = Path::new(if head[0] & 4 != 0 { "x.jpg" } else { "x.png" });
    match decode_image(bytes, path, &options) {
        Ok((shape, px)) => {
            assert_eq!(shape.channels, if options.grayscale { 1 } else { 3 });
            assert_eq!(px.len(), shape.len());
            assert!(!px.is_empty());
            if let Some((w, h)) = options.resize {
                assert_eq!((shape.width, shape.height), (w as usize, h as usize));
            }
            assert!(px.iter().all(|v| (0.0..=1.0).contains(v)));
        }
        Err(e) => assert!(e.to_string().starts_with("x."), "{e}"),
    }
});
