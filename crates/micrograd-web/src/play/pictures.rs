//! The pictures: the output and every input feature and hidden neuron evaluated over a `GRID × GRID`
//! grid on the square, as RGBA heatmaps in TensorFlow Playground's colours.

use super::config::LossKind;
use super::data::{features_of, DOMAIN};
use super::train::Playground;
use micrograd::{Tape, Value};

/// The picture grid: `GRID × GRID` cells over the square.
pub const GRID: usize = 40;

impl Playground {
    /// Recomputes the pictures: the output over the square, then every input feature's, then every
    /// hidden neuron's.
    pub fn render(&mut self) {
        let layers = self.model.layers();
        let hidden: usize = layers[..layers.len() - 1].iter().map(|l| l.nout()).sum();
        let nf = self.feature_ids.len();
        let mut outs = vec![vec![0.0f64; GRID * GRID]; 1 + nf + hidden];
        let mark = Tape::mark();
        for gy in 0..GRID {
            for gx in 0..GRID {
                let (x, y) = cell_centre(gx, gy);
                let row = features_of(&self.feature_ids, x, y);
                for (f, &v) in row.iter().enumerate() {
                    outs[1 + f][gy * GRID + gx] = v;
                }
                let mut h: Vec<Value> = row.iter().map(|&v| Value::new(v)).collect();
                let mut k = 1 + nf;
                for (l, layer) in layers.iter().enumerate() {
                    h = layer.forward(&h);
                    if l + 1 < layers.len() {
                        for v in &h {
                            outs[k][gy * GRID + gx] = v.data();
                            k += 1;
                        }
                    }
                }
                outs[0][gy * GRID + gx] = h[0].data();
            }
            Tape::rewind(mark);
        }
        let bce = self.loss == LossKind::Bce;
        self.maps = outs
            .iter()
            .enumerate()
            .map(|(m, vals)| {
                let scale = if m == 0 {
                    1.0
                } else {
                    vals.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1e-9)
                };
                let mut px = Vec::with_capacity(GRID * GRID * 4);
                for &v in vals {
                    // The output: its score as a class-1 margin (tanh(z/2) = 2σ(z) - 1 for logits).
                    let t = if m == 0 && bce {
                        (v / 2.0).tanh()
                    } else {
                        v / scale
                    };
                    px.extend_from_slice(&colour(t));
                }
                px
            })
            .collect();
    }

    /// The pictures (RGBA, `GRID × GRID`): 0 is the output, then the input features, then the hidden
    /// neurons layer by layer.
    pub fn maps(&self) -> &[Vec<u8>] {
        &self.maps
    }
}

/// The centre of grid cell `(gx, gy)` in the square (row 0 at the top: largest y).
pub fn cell_centre(gx: usize, gy: usize) -> (f64, f64) {
    let cell = 2.0 * DOMAIN / GRID as f64;
    (
        -DOMAIN + (gx as f64 + 0.5) * cell,
        DOMAIN - (gy as f64 + 0.5) * cell,
    )
}

/// TensorFlow Playground's colours: orange for -1 (class 0), white for 0, blue for +1 (class 1).
pub fn colour(t: f64) -> [u8; 4] {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (r, g, b) = if t >= 0.0 {
        lerp((245.0, 245.0, 245.0), (8.0, 119.0, 189.0), t)
    } else {
        lerp((245.0, 245.0, 245.0), (245.0, 147.0, 34.0), -t)
    };
    [r, g, b, 255]
}

fn lerp(a: (f64, f64, f64), b: (f64, f64, f64), t: f64) -> (u8, u8, u8) {
    let f = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    (f(a.0, b.0), f(a.1, b.1), f(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::play::Config;

    #[test]
    fn colours_run_from_orange_through_white_to_blue() {
        assert_eq!(colour(-1.0), [245, 147, 34, 255]);
        assert_eq!(colour(0.0), [245, 245, 245, 255]);
        assert_eq!(colour(1.0), [8, 119, 189, 255]);
        assert_eq!(colour(7.0), colour(1.0));
        assert_eq!(colour(f64::NAN), colour(0.0));
    }

    #[test]
    fn the_grid_covers_the_square_top_row_first() {
        let half = DOMAIN / GRID as f64;
        let near = |(x, y): (f64, f64), (u, v): (f64, f64)| (x - u).abs() + (y - v).abs() < 1e-12;
        assert!(near(cell_centre(0, 0), (-DOMAIN + half, DOMAIN - half)));
        assert!(near(
            cell_centre(GRID - 1, GRID - 1),
            (DOMAIN - half, -DOMAIN + half)
        ));
    }

    #[test]
    fn there_is_a_picture_per_output_feature_and_hidden_neuron() {
        let pg = Playground::new(Config::default()).unwrap();
        assert_eq!(pg.maps().len(), 1 + 2 + 8 + 8);
        assert!(pg.maps().iter().all(|m| m.len() == GRID * GRID * 4));
        // the x feature's picture: orange on the left, blue on the right
        let x = &pg.maps()[1];
        assert_eq!(&x[..4], &colour(-1.0)[..]);
        assert_eq!(&x[(GRID - 1) * 4..GRID * 4], &colour(1.0)[..]);
    }
}
