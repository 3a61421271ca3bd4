//! Weight initialization: micrograd's `uniform(-1, 1)`, Kaiming (He) and Xavier (Glorot).

use rand::Rng;
use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// How a layer draws its weights (biases always start at 0).
///
/// `fan_in` is the number of inputs one output reads (`in_features`, or `in_channels · k · k` for a
/// convolution) and `fan_out` the number of outputs one input feeds (`out_features`, or
/// `out_channels · k · k`), PyTorch's `_calculate_fan_in_and_fan_out`.
///
/// ```
/// use micrograd::nn::Init;
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// let bound = (6.0f64 / 50.0).sqrt();
/// assert!((0..1000).all(|_| Init::KaimingUniform.sample(50, 10, &mut rng).abs() <= bound));
/// assert_eq!("he".parse::<Init>().unwrap(), Init::Kaiming);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Init {
    /// micrograd's `random.uniform(-1, 1)`, whatever the fan.
    Uniform,
    /// Kaiming (He et al., 2015) normal: `N(0, 2 / fan_in)`, PyTorch's `kaiming_normal_` for ReLU.
    /// The default of [`Linear::new`](super::Linear::new) and [`Conv2d::new`](super::Conv2d::new).
    #[default]
    Kaiming,
    /// Kaiming uniform: `U(-√(6 / fan_in), √(6 / fan_in))`, the same variance.
    KaimingUniform,
    /// Xavier (Glorot & Bengio, 2010) uniform: `U(-a, a)`, `a = √(6 / (fan_in + fan_out))`.
    Xavier,
    /// Xavier normal: `N(0, 2 / (fan_in + fan_out))`.
    XavierNormal,
}

impl Init {
    /// Every initialization, in declaration order.
    pub const ALL: [Init; 5] = [
        Init::Uniform,
        Init::Kaiming,
        Init::KaimingUniform,
        Init::Xavier,
        Init::XavierNormal,
    ];

    /// One weight. A fan of 0 is taken as 1 (no division by zero).
    pub fn sample(self, fan_in: usize, fan_out: usize, rng: &mut impl Rng) -> f64 {
        let fi = fan_in.max(1) as f64;
        let fo = fan_out.max(1) as f64;
        match self {
            Init::Uniform => rng.random_range(-1.0..1.0),
            Init::Kaiming => (2.0 / fi).sqrt() * standard_normal(rng),
            Init::KaimingUniform => {
                let a = (6.0 / fi).sqrt();
                rng.random_range(-a..a)
            }
            Init::Xavier => {
                let a = (6.0 / (fi + fo)).sqrt();
                rng.random_range(-a..a)
            }
            Init::XavierNormal => (2.0 / (fi + fo)).sqrt() * standard_normal(rng),
        }
    }

    /// `n` weights, drawn in order.
    pub fn weights(self, n: usize, fan_in: usize, fan_out: usize, rng: &mut impl Rng) -> Vec<f64> {
        (0..n).map(|_| self.sample(fan_in, fan_out, rng)).collect()
    }

    /// The name [`FromStr`] reads back: `uniform`, `kaiming`, `kaiming-uniform`, `xavier`,
    /// `xavier-normal`.
    pub fn name(self) -> &'static str {
        match self {
            Init::Uniform => "uniform",
            Init::Kaiming => "kaiming",
            Init::KaimingUniform => "kaiming-uniform",
            Init::Xavier => "xavier",
            Init::XavierNormal => "xavier-normal",
        }
    }
}

/// A standard normal sample (Box–Muller), so the library needs no distribution crate.
pub(crate) fn standard_normal(rng: &mut impl Rng) -> f64 {
    // 1 - u is in (0, 1], so the log is finite.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Init {
    type Err = String;

    /// The names of [`Init::name`], case-insensitive, and `he`, `he-uniform`, `glorot`,
    /// `glorot-normal`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "uniform" => Ok(Init::Uniform),
            "kaiming" | "he" | "kaiming-normal" | "he-normal" => Ok(Init::Kaiming),
            "kaiming-uniform" | "he-uniform" => Ok(Init::KaimingUniform),
            "xavier" | "glorot" | "xavier-uniform" | "glorot-uniform" => Ok(Init::Xavier),
            "xavier-normal" | "glorot-normal" => Ok(Init::XavierNormal),
            other => Err(format!(
                "unknown initialization `{other}` (expected uniform, kaiming, kaiming-uniform, \
                 xavier or xavier-normal)"
            )),
        }
    }
}
