//! Seeded data augmentation for the training split: random shifts of up to `k` pixels and small
//! rotations for images, Gaussian jitter for points ([`Augment`], parsed from
//! `shift=1,rotate=10,jitter=0.05`).
//!
//! Augment the training rows only, afresh every epoch (`Augment::dataset(.., seed + epoch)`) in a
//! loop of your own, or once into a larger set (`Augment::expand`) for `train::fit`; never the
//! validation or test rows.
//!
//! ```
//! use micrograd::augment::Augment;
//! use micrograd::nn::Chw;
//! use rand::SeedableRng;
//! let aug: Augment = "shift=1".parse().unwrap();
//! let mut rng = rand::rngs::StdRng::seed_from_u64(0);
//! let img = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];     // 1×3×3, a dot in the middle
//! let out = aug.image(&img, Chw::new(1, 3, 3), &mut rng);
//! assert_eq!(out.iter().sum::<f64>(), 1.0);                     // moved by at most one pixel
//! ```

use crate::data::Dataset;
use crate::nn::{standard_normal, Chw};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt;
use std::str::FromStr;

/// What to do to each training example. The default does nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Augment {
    /// Shift images by a whole number of pixels, drawn uniformly from `-shift..=shift` in each
    /// direction (pixels shifted in are 0).
    pub shift: usize,
    /// Rotate images about their centre by an angle drawn uniformly from `[-rotate, rotate]`
    /// degrees (bilinear sampling, 0 outside).
    pub rotate: f64,
    /// Add `N(0, jitter²)` to every feature of a point (non-image data).
    pub jitter: f64,
}

impl Augment {
    /// True if it changes nothing.
    pub fn is_identity(&self) -> bool {
        self.shift == 0 && self.rotate == 0.0 && self.jitter == 0.0
    }

    /// One augmented copy of image `x` (flat CHW of `shape`): shifted by `(dx, dy)`, then rotated
    /// by `θ`, the same for every channel. Draws `dx`, `dy` (if `shift > 0`) and `θ` (if
    /// `rotate > 0`), in that order, from `rng`. With no rotation the pixels are copied exactly.
    ///
    /// # Panics
    /// If `x.len() != shape.len()`.
    pub fn image(&self, x: &[f64], shape: Chw, rng: &mut impl Rng) -> Vec<f64> {
        let k = self.shift as i64;
        let (dx, dy) = if k > 0 {
            (
                rng.random_range(-k..=k) as f64,
                rng.random_range(-k..=k) as f64,
            )
        } else {
            (0.0, 0.0)
        };
        let degrees = if self.rotate > 0.0 {
            rng.random_range(-self.rotate..=self.rotate)
        } else {
            0.0
        };
        transform_image(x, shape, dx, dy, degrees)
    }

    /// One jittered copy of point `x` (draws one normal sample per feature if `jitter > 0`). A
    /// value the noise pushes past the largest `f64` (a jitter of `1e308`) saturates at `±f64::MAX`,
    /// and a non-finite jitter leaves the value as it is: the copy stays finite.
    pub fn point(&self, x: &[f64], rng: &mut impl Rng) -> Vec<f64> {
        if self.jitter == 0.0 {
            return x.to_vec();
        }
        x.iter()
            .map(|&v| {
                let y = v + self.jitter * standard_normal(rng);
                if y.is_nan() {
                    v
                } else {
                    y.clamp(-f64::MAX, f64::MAX)
                }
            })
            .collect()
    }

    /// An augmented copy of every row of `data` (the training rows), seeded by `seed`: images of
    /// `shape` get [`Augment::image`] (then [`Augment::point`] if `jitter > 0`), other rows
    /// [`Augment::point`]. Labels are kept. Use a new seed per epoch (`seed + epoch`).
    ///
    /// # Panics
    /// If `shape` is given and the rows do not have `shape.len()` values.
    pub fn dataset(&self, data: &Dataset, shape: Option<Chw>, seed: u64) -> Dataset {
        let mut rng = StdRng::seed_from_u64(seed);
        let rows = data
            .features()
            .iter()
            .map(|r| match shape {
                Some(s) if self.shift > 0 || self.rotate > 0.0 => {
                    let img = self.image(r, s, &mut rng);
                    self.point(&img, &mut rng)
                }
                _ => self.point(r, &mut rng),
            })
            .collect();
        Dataset::new(rows, data.labels().to_vec(), data.n_classes())
            .expect("augmenting keeps the numbers finite")
    }
}

impl Augment {
    /// The rows of `data` followed by `copies` augmented copies of them ([`Augment::dataset`] with
    /// seeds `seed + 1`, ..., `seed + copies`), labels kept: a fixed, seeded, larger training set for
    /// a loop that takes one data set for all its epochs (such as [`fit`](crate::train::fit)).
    /// Augment the training rows only: a validation split drawn from the result would hold copies of
    /// training rows.
    ///
    /// # Panics
    /// As [`Augment::dataset`].
    ///
    /// ```
    /// use micrograd::augment::Augment;
    /// use micrograd::data::Dataset;
    /// let data = Dataset::new(vec![vec![0.0, 1.0], vec![2.0, 3.0]], vec![0, 1], 2).unwrap();
    /// let aug: Augment = "jitter=0.1".parse().unwrap();
    /// let big = aug.expand(&data, None, 3, 7);
    /// assert_eq!((big.len(), big.row(1), big.labels()[5]), (8, &[2.0, 3.0][..], 1));
    /// assert_eq!(big, aug.expand(&data, None, 3, 7));
    /// ```
    pub fn expand(&self, data: &Dataset, shape: Option<Chw>, copies: usize, seed: u64) -> Dataset {
        let mut rows = data.features().to_vec();
        let mut labels = data.labels().to_vec();
        for c in 1..=copies as u64 {
            let copy = self.dataset(data, shape, seed.wrapping_add(c));
            rows.extend_from_slice(copy.features());
            labels.extend_from_slice(copy.labels());
        }
        Dataset::new(rows, labels, data.n_classes()).expect("augmenting keeps the numbers finite")
    }
}

/// Image `x` (flat CHW of `shape`) shifted by `(dx, dy)` pixels (right and down), then rotated by
/// `degrees` about its centre (clockwise on screen, where rows grow downwards), every channel alike:
/// bilinear sampling, 0 outside the picture. Without rotation and with whole-number shifts the
/// pixels are copied exactly.
///
/// # Panics
/// If `x.len() != shape.len()`.
pub fn transform_image(x: &[f64], shape: Chw, dx: f64, dy: f64, degrees: f64) -> Vec<f64> {
    assert_eq!(
        x.len(),
        shape.len(),
        "micrograd: an image of shape {shape} has {} values, got {}",
        shape.len(),
        x.len()
    );
    let theta = degrees.to_radians();
    let (h, w) = (shape.height, shape.width);
    let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let (sin, cos) = theta.sin_cos();
    let mut out = vec![0.0; x.len()];
    for oy in 0..h {
        for ox in 0..w {
            // The inverse map: undo the rotation about the centre, then the shift.
            let (u, v) = (ox as f64 - cx, oy as f64 - cy);
            let (sx, sy) = if theta == 0.0 {
                (ox as f64 - dx, oy as f64 - dy)
            } else {
                (cos * u + sin * v + cx - dx, -sin * u + cos * v + cy - dy)
            };
            for c in 0..shape.channels {
                let plane = &x[c * h * w..(c + 1) * h * w];
                out[shape.index(c, oy, ox)] = bilinear(plane, h, w, sy, sx);
            }
        }
    }
    out
}

/// `plane` (an `h × w` image) at the real position `(y, x)`, bilinearly interpolated; 0 outside.
/// At whole-number positions it is the pixel itself, exactly.
fn bilinear(plane: &[f64], h: usize, w: usize, y: f64, x: f64) -> f64 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = (y - y0, x - x0);
    let at = |yy: f64, xx: f64| -> f64 {
        if yy < 0.0 || xx < 0.0 || yy >= h as f64 || xx >= w as f64 {
            0.0
        } else {
            plane[yy as usize * w + xx as usize]
        }
    };
    let mut v = 0.0;
    for (yy, wy) in [(y0, 1.0 - fy), (y0 + 1.0, fy)] {
        for (xx, wx) in [(x0, 1.0 - fx), (x0 + 1.0, fx)] {
            if wy * wx != 0.0 {
                v += wy * wx * at(yy, xx);
            }
        }
    }
    v
}

impl fmt::Display for Augment {
    /// `shift=1,rotate=10,jitter=0.05`, the non-zero settings only (`none` if there are none).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.shift > 0 {
            parts.push(format!("shift={}", self.shift));
        }
        if self.rotate > 0.0 {
            parts.push(format!("rotate={}", self.rotate));
        }
        if self.jitter > 0.0 {
            parts.push(format!("jitter={}", self.jitter));
        }
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

impl FromStr for Augment {
    type Err = String;

    /// `shift=K` (whole pixels), `rotate=DEGREES` (at most 180), `jitter=STD`, comma-separated, in
    /// any order; `none` or an empty string for no augmentation.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut a = Augment::default();
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("none") {
            return Ok(a);
        }
        for part in s.split(',') {
            let part = part.trim();
            let Some((key, value)) = part.split_once('=') else {
                return Err(format!(
                    "`{part}`: expected KEY=VALUE (shift=1, rotate=10 or jitter=0.05)"
                ));
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            let number = || {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| format!("`{part}`: expected a number of at least 0"))
            };
            match key.as_str() {
                "shift" => {
                    a.shift = value
                        .parse::<usize>()
                        .map_err(|_| format!("`{part}`: the shift is a whole number of pixels"))?;
                }
                "rotate" => {
                    a.rotate = number()?;
                    if a.rotate > 180.0 {
                        return Err(format!("`{part}`: at most 180 degrees"));
                    }
                }
                "jitter" => a.jitter = number()?,
                _ => {
                    return Err(format!(
                        "`{part}`: unknown augmentation `{key}` (expected shift, rotate or jitter)"
                    ))
                }
            }
        }
        Ok(a)
    }
}
