//! A model's numbers without the tape ([`MlpWeights`]), checked by one validation pass
//! ([`MlpWeights::validate`]), and the JSON model file (micrograd's demo layout, with the `serde`
//! feature). Every error is a [`ModelError`] that names the offending field, like
//! `layers[1].neurons[3].w`.

use super::Activation;
use std::fmt;

/// The numbers of one neuron: weights `w` and bias `b`.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronWeights {
    /// The weights, one per input.
    pub w: Vec<f64>,
    /// The bias.
    pub b: f64,
}

/// The numbers of one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerWeights {
    /// The activation of every neuron in the layer.
    pub activation: Activation,
    /// The neurons, in order.
    pub neurons: Vec<NeuronWeights>,
}

/// A tape-free snapshot of an [`MLP`](super::MLP): its architecture and every parameter value. Plain data, so it
/// can be cloned, compared, sent to other threads and turned back into a model with
/// [`MLP::from_weights`](super::MLP::from_weights).
#[derive(Clone, Debug, PartialEq)]
pub struct MlpWeights {
    /// The number of inputs.
    pub nin: usize,
    /// The layers, in order.
    pub layers: Vec<LayerWeights>,
}

impl MlpWeights {
    /// The width of every layer.
    pub fn nouts(&self) -> Vec<usize> {
        self.layers.iter().map(|l| l.neurons.len()).collect()
    }

    /// Every parameter in micrograd's order (layer, neuron, weights then bias).
    pub fn flat(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for l in &self.layers {
            for n in &l.neurons {
                out.extend_from_slice(&n.w);
                out.push(n.b);
            }
        }
        out
    }

    /// Checks the shape and that every number is finite; errors name the field.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.nin == 0 {
            return Err(ModelError::field("nin", "must be at least 1"));
        }
        if self.layers.is_empty() {
            return Err(ModelError::field("layers", "needs at least one layer"));
        }
        let mut fan_in = self.nin;
        for (i, l) in self.layers.iter().enumerate() {
            if l.neurons.is_empty() {
                return Err(ModelError::field(
                    format!("layers[{i}].neurons"),
                    "needs at least one neuron",
                ));
            }
            for (j, n) in l.neurons.iter().enumerate() {
                check_weight_count(&format!("layers[{i}].neurons[{j}].w"), n.w.len(), fan_in)?;
                if let Some(k) = n.w.iter().position(|x| !x.is_finite()) {
                    return Err(ModelError::field(
                        format!("layers[{i}].neurons[{j}].w[{k}]"),
                        format!("must be a finite number, found {}", n.w[k]),
                    ));
                }
                if !n.b.is_finite() {
                    return Err(ModelError::field(
                        format!("layers[{i}].neurons[{j}].b"),
                        format!("must be a finite number, found {}", n.b),
                    ));
                }
            }
            fan_in = l.neurons.len();
        }
        Ok(())
    }
}

/// The shape rule of every model: each neuron of a layer has one weight per input of the layer (`nin`
/// for the first layer, the previous layer's width after it). [`MlpWeights::validate`] and the JSON
/// reader both check it here; the reader checks it as it reads, so that the first error in a file is
/// the one reported.
fn check_weight_count(path: &str, found: usize, fan_in: usize) -> Result<(), ModelError> {
    if found == fan_in {
        return Ok(());
    }
    Err(ModelError::field(
        path,
        format!("expected {fan_in} weights (the layer's inputs), found {found}"),
    ))
}

/// Why a model could not be built or loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelError {
    /// The text is not valid JSON.
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A field is missing, has the wrong type, or the wrong size.
    Field {
        /// The field, like `layers[1].neurons[3].w[0]`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ModelError {
    pub(crate) fn field(path: impl Into<String>, message: impl Into<String>) -> ModelError {
        ModelError::Field {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The field path for [`ModelError::Field`], `None` for syntax errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            ModelError::Field { path, .. } => Some(path),
            ModelError::Syntax { .. } => None,
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Syntax {
                line,
                column,
                message,
            } => write!(f, "invalid JSON at line {line}, column {column}: {message}"),
            ModelError::Field { path, message } => write!(f, "`{path}`: {message}"),
        }
    }
}

impl std::error::Error for ModelError {}

#[cfg(feature = "serde")]
pub(crate) mod json {
    //! The model file: micrograd's demo layout, read field by field so errors can name the field.
    use super::*;
    use crate::nn::MLP;
    use serde_json::{json, Map, Value as Json};

    pub(crate) fn kind(v: &Json) -> String {
        match v {
            Json::Null => "null".into(),
            Json::Bool(b) => format!("{b}"),
            Json::Number(n) => format!("the number {n}"),
            Json::String(s) if s.len() <= 40 => format!("the string \"{s}\""),
            Json::String(_) => "a string".into(),
            Json::Array(a) => format!("an array of {}", a.len()),
            Json::Object(_) => "an object".into(),
        }
    }

    pub(crate) fn get<'a>(
        obj: &'a Map<String, Json>,
        path: &str,
        key: &str,
    ) -> Result<&'a Json, ModelError> {
        obj.get(key)
            .ok_or_else(|| ModelError::field(join(path, key), "missing"))
    }

    pub(crate) fn join(path: &str, key: &str) -> String {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    }

    pub(crate) fn object<'a>(v: &'a Json, path: &str) -> Result<&'a Map<String, Json>, ModelError> {
        v.as_object().ok_or_else(|| {
            ModelError::field(
                if path.is_empty() { "(top level)" } else { path },
                format!("expected an object, found {}", kind(v)),
            )
        })
    }

    pub(crate) fn array<'a>(v: &'a Json, path: &str) -> Result<&'a [Json], ModelError> {
        v.as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| ModelError::field(path, format!("expected an array, found {}", kind(v))))
    }

    pub(crate) fn number(v: &Json, path: &str) -> Result<f64, ModelError> {
        match v.as_f64() {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(ModelError::field(
                path,
                format!("expected a finite number, found {}", kind(v)),
            )),
        }
    }

    pub(crate) fn count(v: &Json, path: &str) -> Result<usize, ModelError> {
        match v.as_u64() {
            Some(n) if n >= 1 => {
                usize::try_from(n).map_err(|_| ModelError::field(path, format!("{n} is too large")))
            }
            _ => Err(ModelError::field(
                path,
                format!("expected a whole number of at least 1, found {}", kind(v)),
            )),
        }
    }

    /// Parses JSON text, a syntax error becoming [`ModelError::Syntax`] with its line and column.
    pub(crate) fn parse(text: &str) -> Result<Json, ModelError> {
        serde_json::from_str(text).map_err(|e| ModelError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// Reads every item of an array with `read`, naming item `i` `{path}[i]` in errors.
    pub(crate) fn each<T>(
        items: &[Json],
        path: &str,
        read: impl Fn(&Json, &str) -> Result<T, ModelError>,
    ) -> Result<Vec<T>, ModelError> {
        items
            .iter()
            .enumerate()
            .map(|(i, v)| read(v, &format!("{path}[{i}]")))
            .collect()
    }

    impl MlpWeights {
        /// Parses the JSON model layout; see [`MLP::from_json`].
        pub fn from_json(text: &str) -> Result<MlpWeights, ModelError> {
            let root: Json = serde_json::from_str(text).map_err(|e| ModelError::Syntax {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
            let top = object(&root, "")?;
            let nin = count(get(top, "", "nin")?, "nin")?;
            let nouts_json = array(get(top, "", "nouts")?, "nouts")?;
            let nouts = nouts_json
                .iter()
                .enumerate()
                .map(|(i, v)| count(v, &format!("nouts[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            let layers_json = array(get(top, "", "layers")?, "layers")?;
            if layers_json.len() != nouts.len() {
                return Err(ModelError::field(
                    "layers",
                    format!(
                        "expected {} layers (the length of `nouts`), found {}",
                        nouts.len(),
                        layers_json.len()
                    ),
                ));
            }
            if nouts.is_empty() {
                return Err(ModelError::field("nouts", "needs at least one layer"));
            }
            let mut layers = Vec::with_capacity(nouts.len());
            let mut fan_in = nin;
            for (i, (lj, &nout)) in layers_json.iter().zip(&nouts).enumerate() {
                let lp = format!("layers[{i}]");
                let lo = object(lj, &lp)?;
                let activation = read_activation(lo, &lp)?;
                let np = format!("{lp}.neurons");
                let neurons_json = array(get(lo, &lp, "neurons")?, &np)?;
                if neurons_json.len() != nout {
                    return Err(ModelError::field(
                        np,
                        format!(
                            "expected {nout} neurons (nouts[{i}]), found {}",
                            neurons_json.len()
                        ),
                    ));
                }
                let mut neurons = Vec::with_capacity(nout);
                for (j, nj) in neurons_json.iter().enumerate() {
                    let p = format!("{lp}.neurons[{j}]");
                    let no = object(nj, &p)?;
                    let wp = format!("{p}.w");
                    let wj = array(get(no, &p, "w")?, &wp)?;
                    check_weight_count(&wp, wj.len(), fan_in)?;
                    let w = wj
                        .iter()
                        .enumerate()
                        .map(|(k, x)| number(x, &format!("{wp}[{k}]")))
                        .collect::<Result<Vec<_>, _>>()?;
                    let b = number(get(no, &p, "b")?, &format!("{p}.b"))?;
                    neurons.push(NeuronWeights { w, b });
                }
                layers.push(LayerWeights {
                    activation,
                    neurons,
                });
                fan_in = nout;
            }
            let weights = MlpWeights { nin, layers };
            weights.validate()?;
            Ok(weights)
        }

        /// The JSON model layout, pretty-printed; see [`MLP::to_json`].
        pub fn to_json(&self) -> String {
            let layers: Vec<Json> = self
                .layers
                .iter()
                .map(|l| {
                    let neurons: Vec<Json> = l
                        .neurons
                        .iter()
                        .map(|n| json!({"w": n.w, "b": n.b}))
                        .collect();
                    json!({
                        "nonlin": l.activation != Activation::Linear,
                        "activation": l.activation.name(),
                        "neurons": neurons,
                    })
                })
                .collect();
            let root = json!({"nin": self.nin, "nouts": self.nouts(), "layers": layers});
            let mut s = serde_json::to_string_pretty(&root).expect("JSON of numbers and strings");
            s.push('\n');
            s
        }
    }

    /// `activation` wins if present (and must agree with `nonlin` if both are given); otherwise
    /// `nonlin: true` means ReLU and `false` linear, micrograd's only two choices.
    fn read_activation(lo: &Map<String, Json>, lp: &str) -> Result<Activation, ModelError> {
        let nonlin = match lo.get("nonlin") {
            None => None,
            Some(Json::Bool(b)) => Some(*b),
            Some(v) => {
                return Err(ModelError::field(
                    format!("{lp}.nonlin"),
                    format!("expected true or false, found {}", kind(v)),
                ))
            }
        };
        let act = match lo.get("activation") {
            None => None,
            Some(Json::String(s)) => Some(
                s.parse::<Activation>()
                    .map_err(|e| ModelError::field(format!("{lp}.activation"), e))?,
            ),
            Some(v) => {
                return Err(ModelError::field(
                    format!("{lp}.activation"),
                    format!(
                        "expected \"relu\", \"tanh\", \"sigmoid\" or \"linear\", found {}",
                        kind(v)
                    ),
                ))
            }
        };
        match (act, nonlin) {
            (Some(a), Some(n)) if (a != Activation::Linear) != n => Err(ModelError::field(
                format!("{lp}.nonlin"),
                format!("is {n} but `activation` is \"{a}\""),
            )),
            (Some(a), _) => Ok(a),
            (None, Some(true)) => Ok(Activation::Relu),
            (None, Some(false)) => Ok(Activation::Linear),
            (None, None) => Err(ModelError::field(
                format!("{lp}.nonlin"),
                "missing (give `nonlin` or `activation`)",
            )),
        }
    }

    impl MLP {
        /// Loads a model from micrograd's demo weight layout:
        ///
        /// ```json
        /// {"nin": 2, "nouts": [16, 16, 1],
        ///  "layers": [{"nonlin": true, "neurons": [{"w": [0.23, 0.06], "b": 0.0}, ...]}, ...]}
        /// ```
        ///
        /// `nonlin: true` is ReLU, `false` linear; an optional `"activation"` (`relu`, `tanh`,
        /// `sigmoid`, `linear`) selects any activation. Unknown fields are ignored. Every number is read
        /// exactly (shortest round-trip decimals give back the same doubles).
        ///
        /// # Errors
        /// Invalid JSON (with line and column), a missing field, a field of the wrong type, a
        /// non-finite number, or a wrong shape; the error names the field, like
        /// `layers[1].neurons[3].w[0]`. Never panics.
        ///
        /// ```
        /// use micrograd::nn::MLP;
        /// let text = r#"{"nin": 1, "nouts": [1],
        ///     "layers": [{"nonlin": false, "neurons": [{"w": [2.0], "b": 1.0}]}]}"#;
        /// let model = MLP::from_json(text).unwrap();
        /// assert_eq!(model.predict(&[3.0]), vec![7.0]);
        ///
        /// let bad = text.replace("[2.0]", "[\"2\"]");
        /// let err = MLP::from_json(&bad).unwrap_err();
        /// assert_eq!(err.path(), Some("layers[0].neurons[0].w[0]"));
        /// ```
        pub fn from_json(text: &str) -> Result<MLP, ModelError> {
            MLP::from_weights(&MlpWeights::from_json(text)?)
        }

        /// Saves the model in the layout [`MLP::from_json`] reads, with every number in shortest
        /// round-trip form, so loading gives back exactly the same parameters. Each layer gets both
        /// micrograd's `nonlin` flag and an `activation` name.
        pub fn to_json(&self) -> String {
            self.to_weights().to_json()
        }
    }
}
