//! Pictures, written as PNG or SVG files.
//!
//! - this file: [`Figure`] (anything that draws itself on a plotters backend), [`save`] (renders a
//!   figure into a `.png` or `.svg` file, atomically), the embedded font and the class colours;
//! - `chart`: line and dot charts of training curves ([`Chart`], [`Charts`], [`Series`]);
//! - `regions`: a classifier's decision regions over 2-D data with the data points (like the contour
//!   plot of micrograd's demo notebook);
//! - `images`: grids of small pictures (a convolution's filters, misclassified images) and the
//!   confusion matrix.
//!
//! Every figure is written atomically: to a temporary file in the target folder, renamed into place
//! only when complete. The file name's extension picks the format: `.svg` gives SVG, `.png` PNG.
//! Text uses DejaVu Sans embedded in the binary, so no system fonts are needed.

mod chart;
mod images;
mod regions;

pub use chart::{Chart, Charts, Series};
pub use images::{Confusion, ImageGrid, Scale, Tile};
pub use regions::Regions;

use crate::output::write_atomic_path;
use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::fmt::Display;
use std::path::Path;
use std::sync::Once;

const FONT: &str = "sans-serif";

/// Class colours (ColorBrewer "Spectral"-like, as in the notebook): class 0 red, class 1 blue, then
/// more for multi-class data.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(213, 62, 79),
    RGBColor(50, 136, 189),
    RGBColor(102, 194, 165),
    RGBColor(253, 174, 97),
    RGBColor(94, 79, 162),
    RGBColor(230, 245, 152),
    RGBColor(158, 1, 66),
    RGBColor(171, 221, 164),
];

/// A neutral colour for reference data.
pub const GRAY: RGBColor = RGBColor(80, 80, 80);

/// The colour of class `c`.
pub fn class_color(c: usize) -> RGBColor {
    PALETTE[c % PALETTE.len()]
}

/// The colour a fraction `t` of the way from `a` to `b`.
pub fn lerp(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let m = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/DejaVuSans.ttf");
        // The font is a fixed, known-good file; failing to parse it would be a build defect.
        for style in [FontStyle::Normal, FontStyle::Bold] {
            plotters::style::register_font(FONT, style, bytes)
                .unwrap_or_else(|_| panic!("the embedded DejaVuSans.ttf does not parse"));
        }
    });
}

fn draw_err(e: impl Display) -> anyhow::Error {
    anyhow!("drawing failed: {e}")
}

/// Something that can draw itself on any plotters backend.
pub trait Figure {
    /// Draws the figure filling `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Whether a picture file name asks for SVG (`true`) or PNG (`false`).
///
/// # Errors
/// If the name ends in neither `.png` nor `.svg` (any case).
pub fn is_svg(path: &Path) -> Result<bool> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => Ok(true),
        Some(e) if e.eq_ignore_ascii_case("png") => Ok(false),
        _ => bail!(
            "{}: a picture's name must end in .png or .svg",
            path.display()
        ),
    }
}

/// Renders `figure` at `size` pixels into `path` (`.svg` or `.png`), atomically.
/// The file gets ordinary permissions (0644 on Unix).
pub fn save(path: &Path, size: (u32, u32), figure: &impl Figure) -> Result<()> {
    let svg = is_svg(path)?;
    register_font();
    if svg {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            figure.draw(&root)?;
            root.present().map_err(draw_err)?;
        }
        return write_atomic_path(path, ".svg", |tmp| {
            std::fs::write(tmp, svg.as_bytes()).map_err(Into::into)
        });
    }
    write_atomic_path(path, ".png", |tmp| {
        let root = BitMapBackend::new(tmp, size).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(draw_err)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_written_atomically_and_decode() {
        let dir = tempfile::tempdir().unwrap();
        let data = micrograd::data::moons(40, 0.1, 3);
        let fig = Regions {
            data: &data,
            outputs: |x: &[f64]| vec![x[1] - 0.25],
            title: "test".into(),
            resolution: 20,
            class_names: vec!["-1".into(), "+1".into()],
        };
        let png = dir.path().join("b.png");
        save(&png, (300, 260), &fig).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let svg = dir.path().join("c.svg");
        let chart = Chart {
            title: "loss".into(),
            series: vec![Series::line("a", &[3.0, 2.0, 1.0], PALETTE[0])],
            log_y: true,
            ..Chart::default()
        };
        save(&svg, (300, 200), &chart).unwrap();
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
        let err = save(&dir.path().join("c.jpg"), (300, 200), &chart).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("c.jpg: a picture's name must end in .png or .svg"));
        // only the two pictures: no temporary files left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        // a 3-feature data set is refused with a clear error, and nothing is written
        let d3 =
            micrograd::data::Dataset::new(vec![vec![0.0, 1.0, 2.0]; 2], vec![0, 1], 2).unwrap();
        let bad = Regions {
            data: &d3,
            outputs: |_: &[f64]| vec![0.0],
            title: String::new(),
            resolution: 4,
            class_names: vec!["0".into(), "1".into()],
        };
        let err = save(&dir.path().join("d.png"), (100, 100), &bad).unwrap_err();
        assert!(format!("{err:#}").contains("2 features"), "{err:#}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
