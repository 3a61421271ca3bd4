//! The model file of a [`Sequential`] (feature `serde`): its input shape, its architecture in the
//! grammar of [`Architecture`], and every layer's weights and biases.
//!
//! ```json
//! {"format": "micrograd-sequential", "input": [1, 8, 8],
//!  "architecture": "conv(8,3,pad=1) relu maxpool(2) flatten linear(10)",
//!  "layers": [{"layer": "conv(8,3,pad=1)", "weight": [..], "bias": [..]}, {"layer": "relu"}, ..]}
//! ```
//!
//! Loading parses the architecture, builds it for the input shape (so shapes are checked by the same
//! code as when training) and then checks every layer's entry; errors name the field, like
//! `layers[4].weight`. A `"preprocess"` entry (see [`Preprocess`](crate::preprocess::Preprocess))
//! may sit beside them.

use super::json_fields::{array, count, each, get, number, object, parse};
use super::{AnyLayer, Architecture, Chw, Init, ModelError, Module, Sequential};
use serde_json::{json, Value as Json};

const FORMAT: &str = "micrograd-sequential";

impl Sequential {
    /// The model file, pretty-printed, every number in shortest round-trip form (loading gives back
    /// the same bits): the input shape, the architecture in [`Architecture`]'s grammar, and every
    /// layer's weights (PyTorch's layout) and biases:
    ///
    /// ```json
    /// {"format": "micrograd-sequential", "input": [1, 8, 8],
    ///  "architecture": "conv(8,3,pad=1) relu maxpool(2) flatten linear(10)",
    ///  "layers": [{"layer": "conv(8,3,pad=1)", "weight": [..], "bias": [..]}, {"layer": "relu"}, ..]}
    /// ```
    ///
    /// A `"preprocess"` entry may be added beside them
    /// ([`Preprocess::add_to_model_json`](crate::preprocess::Preprocess::add_to_model_json)).
    pub fn to_json(&self) -> String {
        let layers: Vec<Json> = self
            .layers()
            .iter()
            .map(|l| {
                let (w, b) = match l {
                    AnyLayer::Linear(x) => (x.weight(), x.bias()),
                    AnyLayer::Conv2d(x) => (x.weight(), x.bias()),
                    _ => return json!({"layer": l.describe()}),
                };
                let data = |vs: &[crate::Value]| vs.iter().map(|v| v.data()).collect::<Vec<_>>();
                json!({"layer": l.describe(), "weight": data(w), "bias": data(b)})
            })
            .collect();
        let s = self.input_shape();
        let root = json!({
            "format": FORMAT,
            "input": [s.channels, s.height, s.width],
            "architecture": self.to_string(),
            "layers": layers,
        });
        let mut text = serde_json::to_string_pretty(&root).expect("JSON of numbers and strings");
        text.push('\n');
        text
    }

    /// Loads a model file written by [`Sequential::to_json`].
    ///
    /// # Errors
    /// Invalid JSON (line and column); a missing or mistyped field; an architecture that does not
    /// parse or does not fit the input shape (the message has the column); a layer entry that does not
    /// match its layer or has the wrong number of weights; a non-finite number. Never panics.
    ///
    /// ```
    /// use micrograd::nn::{Architecture, Chw, Init, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let arch: Architecture = "conv(2,3) relu flatten linear(3)".parse().unwrap();
    /// let model = arch.build(Chw::new(1, 4, 5), Init::Kaiming, &mut rng).unwrap();
    /// let text = model.to_json();
    /// let back = Sequential::from_json(&text).unwrap();
    /// assert_eq!(back.to_json(), text);
    /// let bad = text.replace("\"linear(3)\"", "\"linear(4)\"");
    /// assert_eq!(Sequential::from_json(&bad).unwrap_err().path(), Some("layers[3].layer"));
    /// ```
    pub fn from_json(text: &str) -> Result<Sequential, ModelError> {
        let root: Json = parse(text)?;
        let top = object(&root, "")?;
        match get(top, "", "format")? {
            Json::String(s) if s == FORMAT => {}
            _ => {
                return Err(ModelError::field(
                    "format",
                    format!("expected \"{FORMAT}\" (this is not a Sequential model file)"),
                ))
            }
        }
        let dims = array(get(top, "", "input")?, "input")?;
        if dims.len() != 3 {
            return Err(ModelError::field(
                "input",
                format!(
                    "expected [channels, height, width], found {} numbers",
                    dims.len()
                ),
            ));
        }
        let d = each(dims, "input", count)?;
        let input = Chw::new(d[0], d[1], d[2]);
        let arch_text = match get(top, "", "architecture")? {
            Json::String(s) => s.as_str(),
            _ => return Err(ModelError::field("architecture", "expected a string")),
        };
        let arch = Architecture::parse(arch_text)
            .map_err(|e| ModelError::field("architecture", e.to_string()))?;
        let entries = array(get(top, "", "layers")?, "layers")?;
        // The model has as many parameters as the file has numbers in its layers; a budget of 16
        // times that (and 65,536 more) is checked before any is allocated, so that a few bytes
        // announcing a vast `input` are an error, not a huge allocation, while a file that is only
        // a little off still gets the precise error of the layer below.
        let held: usize = entries
            .iter()
            .filter_map(|e| match e {
                Json::Object(o) => Some(o),
                _ => None,
            })
            .flat_map(|o| ["weight", "bias"].map(|k| o.get(k)))
            .map(|v| match v {
                Some(Json::Array(xs)) => xs.len(),
                _ => 0,
            })
            .sum();
        // The weights are overwritten below; the generator only fills them meanwhile.
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
        let model = arch
            .build_within(
                input,
                Init::Uniform,
                &mut rng,
                held.saturating_mul(16) + (1 << 16),
            )
            .map_err(|e| {
                ModelError::field(
                    "architecture",
                    format!("{e} (the file's layers hold {held} numbers)"),
                )
            })?;
        if entries.len() != model.layers().len() {
            return Err(ModelError::field(
                "layers",
                format!(
                    "expected {} entries (one per layer of the architecture), found {}",
                    model.layers().len(),
                    entries.len()
                ),
            ));
        }
        for (i, (entry, layer)) in entries.iter().zip(model.layers()).enumerate() {
            let p = format!("layers[{i}]");
            let o = object(entry, &p)?;
            let want = layer.describe();
            match get(o, &p, "layer")? {
                Json::String(s) if *s == want => {}
                v => {
                    return Err(ModelError::field(
                        format!("{p}.layer"),
                        format!(
                            "expected \"{want}\" (layer {} of the architecture), found {v}",
                            i + 1
                        ),
                    ))
                }
            }
            let params = layer.parameters();
            if params.is_empty() {
                continue;
            }
            let n_bias = match layer {
                AnyLayer::Linear(l) => l.nout(),
                AnyLayer::Conv2d(c) => c.out_channels(),
                _ => 0,
            };
            let (w, b) = params.split_at(params.len() - n_bias);
            for (key, vals) in [("weight", w), ("bias", b)] {
                let kp = format!("{p}.{key}");
                let xs = array(get(o, &p, key)?, &kp)?;
                if xs.len() != vals.len() {
                    return Err(ModelError::field(
                        kp,
                        format!(
                            "expected {} numbers for {want}, found {}",
                            vals.len(),
                            xs.len()
                        ),
                    ));
                }
                for (x, v) in each(xs, &kp, number)?.into_iter().zip(vals) {
                    v.set_data(x);
                }
            }
        }
        Ok(model)
    }
}
