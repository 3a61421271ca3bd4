//! Grids of small pictures with a caption each: the learned filters of a convolution, and
//! misclassified images with their true and predicted classes ([`ImageGrid`]); and the confusion
//! matrix as a table of shaded cells ([`Confusion`]).

use super::{draw_err, lerp, Figure, FONT, PALETTE};
use anyhow::{bail, Result};
use micrograd::nn::{Chw, Conv2d};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One picture of a grid: its pixels, flat CHW of the grid's shape (1 channel: gray; 3: RGB; other
/// counts: the first channel, gray), and its caption.
#[derive(Clone, Debug)]
pub struct Tile {
    /// The pixels.
    pub pixels: Vec<f64>,
    /// The caption under it (may be empty).
    pub caption: String,
    /// Caption in red (a wrong prediction), else black.
    pub alert: bool,
}

/// How a tile's numbers become gray levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// `0` black, `1` white (images scaled to `[0, 1]`).
    Unit,
    /// Each tile's own range: its largest magnitude `m` maps `-m` to black and `+m` to white, 0 to
    /// mid gray (filters).
    Symmetric,
}

/// Tiles of one shape in rows of `columns`, under a title.
pub struct ImageGrid {
    /// The title.
    pub title: String,
    /// Every tile's shape.
    pub shape: Chw,
    /// The tiles, row by row.
    pub tiles: Vec<Tile>,
    /// Tiles per row (at least 1).
    pub columns: usize,
    /// How numbers become gray levels.
    pub scale: Scale,
}

/// Pixels of a tile's side, and of the caption under it.
const TILE: u32 = 64;
const CAPTION: u32 = 18;
const GAP: u32 = 10;
const TITLE: u32 = 34;

impl ImageGrid {
    /// The filters of `conv`: a row per output channel, a tile per input channel (`k × k`), each
    /// tile gray at 0, white at its largest positive weight, black at its most negative.
    pub fn filters(conv: &Conv2d) -> ImageGrid {
        let (k, cin) = (conv.kernel_size(), conv.in_channels());
        let tiles = conv
            .weight()
            .chunks(k * k)
            .enumerate()
            .map(|(i, w)| Tile {
                pixels: w.iter().map(|v| v.data()).collect(),
                caption: if cin == 1 {
                    format!("filter {}", i + 1)
                } else {
                    format!("{}, in {}", i / cin + 1, i % cin + 1)
                },
                alert: false,
            })
            .collect();
        ImageGrid {
            title: format!(
                "{}: {} filters of {k}×{k}",
                conv.describe(),
                conv.out_channels()
            ),
            shape: Chw::new(1, k, k),
            tiles,
            columns: if cin == 1 { 8 } else { cin },
            scale: Scale::Symmetric,
        }
    }

    /// The picture's size in pixels for these tiles.
    pub fn size(&self) -> (u32, u32) {
        let cols = self.columns.clamp(1, self.tiles.len().max(1)) as u32;
        let rows = self.tiles.len().div_ceil(self.columns.max(1)).max(1) as u32;
        let w = (cols * (TILE + GAP) + GAP).max(260);
        (w, TITLE + rows * (TILE + CAPTION + GAP) + GAP)
    }

    fn color(&self, tile: &Tile, y: usize, x: usize) -> RGBColor {
        let s = self.shape;
        let gray = |v: f64| {
            let v = match self.scale {
                Scale::Unit => v,
                Scale::Symmetric => {
                    let m = tile.pixels.iter().fold(0.0f64, |m, p| m.max(p.abs()));
                    if m > 0.0 {
                        0.5 + 0.5 * v / m
                    } else {
                        0.5
                    }
                }
            };
            (v.clamp(0.0, 1.0) * 255.0).round() as u8
        };
        let at = |c: usize| tile.pixels[s.index(c, y, x)];
        if s.channels == 3 {
            RGBColor(gray(at(0)), gray(at(1)), gray(at(2)))
        } else {
            let g = gray(at(0));
            RGBColor(g, g, g)
        }
    }
}

impl Figure for ImageGrid {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        if self
            .tiles
            .iter()
            .any(|t| t.pixels.len() != self.shape.len())
        {
            bail!(
                "every picture of the grid must have {} values",
                self.shape.len()
            );
        }
        root.fill(&WHITE).map_err(draw_err)?;
        let centre = Pos::new(HPos::Center, VPos::Top);
        root.draw(&Text::new(
            self.title.as_str(),
            (root.dim_in_pixel().0 as i32 / 2, 8),
            (FONT, 18).into_font().color(&BLACK).pos(centre),
        ))
        .map_err(draw_err)?;
        let (h, w) = (self.shape.height.max(1), self.shape.width.max(1));
        let cell = (TILE as usize / h.max(w)).max(1) as i32;
        for (i, tile) in self.tiles.iter().enumerate() {
            let (r, c) = (
                (i / self.columns.max(1)) as u32,
                (i % self.columns.max(1)) as u32,
            );
            let x0 = (GAP + c * (TILE + GAP)) as i32;
            let y0 = (TITLE + r * (TILE + CAPTION + GAP)) as i32;
            for y in 0..h {
                for x in 0..w {
                    let (px, py) = (x0 + x as i32 * cell, y0 + y as i32 * cell);
                    root.draw(&Rectangle::new(
                        [(px, py), (px + cell, py + cell)],
                        self.color(tile, y, x).filled(),
                    ))
                    .map_err(draw_err)?;
                }
            }
            let side = cell * h.max(w) as i32;
            root.draw(&Rectangle::new(
                [(x0 - 1, y0 - 1), (x0 + side, y0 + side)],
                RGBColor(160, 160, 160).stroke_width(1),
            ))
            .map_err(draw_err)?;
            let color = if tile.alert {
                RGBColor(200, 30, 30)
            } else {
                BLACK
            };
            root.draw(&Text::new(
                tile.caption.as_str(),
                (x0 + side / 2, y0 + side + 3),
                (FONT, 13).into_font().color(&color).pos(centre),
            ))
            .map_err(draw_err)?;
        }
        Ok(())
    }
}

/// A confusion matrix: rows the true classes, columns the predicted ones, each cell its count, shaded
/// by its share of its row (the diagonal in blue, mistakes in red).
pub struct Confusion {
    /// The title.
    pub title: String,
    /// `counts[true][predicted]`, square.
    pub counts: Vec<Vec<usize>>,
    /// A name per class.
    pub class_names: Vec<String>,
}

impl Confusion {
    /// The picture's size in pixels.
    pub fn size(&self) -> (u32, u32) {
        let n = self.counts.len() as u32;
        let side = 90 + n * 44 + 20;
        (side.max(300), side.max(300) + 30)
    }
}

impl Figure for Confusion {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let k = self.counts.len();
        if k == 0 || self.counts.iter().any(|r| r.len() != k) || self.class_names.len() != k {
            bail!("a confusion matrix needs k rows of k counts and k class names");
        }
        root.fill(&WHITE).map_err(draw_err)?;
        let top = Pos::new(HPos::Center, VPos::Top);
        let mid = Pos::new(HPos::Center, VPos::Center);
        let width = root.dim_in_pixel().0 as i32;
        root.draw(&Text::new(
            self.title.as_str(),
            (width / 2, 8),
            (FONT, 18).into_font().color(&BLACK).pos(top),
        ))
        .map_err(draw_err)?;
        let (x0, y0, cell) = (90, 90, 44);
        let label = |text: String, at: (i32, i32)| {
            Text::new(text, at, (FONT, 14).into_font().color(&BLACK).pos(mid))
        };
        let end = x0 + cell * k as i32;
        root.draw(&label("predicted".into(), ((x0 + end) / 2, 44)))
            .map_err(draw_err)?;
        root.draw(&Text::new(
            "true",
            (24, (y0 + end) / 2),
            (FONT, 14).into_font().color(&BLACK).pos(mid),
        ))
        .map_err(draw_err)?;
        for (i, name) in self.class_names.iter().enumerate() {
            let c = x0 + cell * i as i32 + cell / 2;
            root.draw(&label(name.clone(), (c, y0 - 14)))
                .map_err(draw_err)?;
            root.draw(&label(name.clone(), (x0 - 20, c - x0 + y0)))
                .map_err(draw_err)?;
        }
        for (t, row) in self.counts.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            for (p, &n) in row.iter().enumerate() {
                let share = n as f64 / total;
                let base = if t == p { PALETTE[1] } else { PALETTE[0] };
                let depth = if n == 0 { 0.0 } else { 0.15 + 0.85 * share };
                let color = lerp(WHITE, base, depth);
                let (cx, cy) = (x0 + cell * p as i32, y0 + cell * t as i32);
                root.draw(&Rectangle::new(
                    [(cx, cy), (cx + cell, cy + cell)],
                    color.filled(),
                ))
                .map_err(draw_err)?;
                root.draw(&Rectangle::new(
                    [(cx, cy), (cx + cell, cy + cell)],
                    RGBColor(200, 200, 200).stroke_width(1),
                ))
                .map_err(draw_err)?;
                let ink = if depth > 0.6 { WHITE } else { BLACK };
                root.draw(&Text::new(
                    n.to_string(),
                    (cx + cell / 2, cy + cell / 2),
                    (FONT, 14).into_font().color(&ink).pos(mid),
                ))
                .map_err(draw_err)?;
            }
        }
        Ok(())
    }
}
