//! The two kinds of model the commands train and score: micrograd's [`MLP`] (`--hidden`, and the
//! demo's model files) and a [`Sequential`] (`--arch`, CNNs), with the preprocessing a model file
//! may carry ([`Saved`]).

use crate::data_source::read_text;
use anyhow::{Context, Result};
use micrograd::nn::{AnyLayer, Chw, Conv2d, Module, Sequential, MLP};
use micrograd::preprocess::Preprocess;
use std::path::Path;

/// A model of either kind.
#[derive(Clone, Debug)]
pub enum Network {
    /// micrograd's MLP.
    Mlp(MLP),
    /// Layers in a chain.
    Sequential(Sequential),
}

/// A model file: the model and the transform `train --standardize`/`--minmax` fitted (applied to
/// every input before the model).
#[derive(Clone, Debug)]
pub struct Saved {
    /// The model.
    pub network: Network,
    /// The transform of the inputs, if the model was trained with one.
    pub preprocess: Option<Preprocess>,
}

impl Network {
    /// The number of inputs.
    pub fn input_len(&self) -> usize {
        match self {
            Network::Mlp(m) => m.nin(),
            Network::Sequential(s) => s.input_shape().len(),
        }
    }

    /// The number of outputs.
    pub fn output_len(&self) -> usize {
        match self {
            Network::Mlp(m) => m.nout(),
            Network::Sequential(s) => s.output_shape().len(),
        }
    }

    /// The input shape (an MLP's is flat).
    pub fn input_shape(&self) -> Chw {
        match self {
            Network::Mlp(m) => Chw::flat(m.nin()),
            Network::Sequential(s) => s.input_shape(),
        }
    }

    /// The outputs for a plain input, leaving the tape as it was.
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        match self {
            Network::Mlp(m) => m.predict(x),
            Network::Sequential(s) => s.predict(x),
        }
    }

    /// The number of parameters.
    pub fn num_parameters(&self) -> usize {
        match self {
            Network::Mlp(m) => m.num_parameters(),
            Network::Sequential(s) => s.num_parameters(),
        }
    }

    /// `MLP(2, [16, 16, 1])`, or the architecture and the input shape:
    /// `conv(8,3,pad=1) relu maxpool(2) flatten linear(10) for 1×8×8 inputs`.
    pub fn describe(&self) -> String {
        match self {
            Network::Mlp(m) => {
                let widths: Vec<String> = m.nouts().iter().map(|n| n.to_string()).collect();
                format!("MLP({}, [{}])", m.nin(), widths.join(", "))
            }
            Network::Sequential(s) => format!("{s} for {} inputs", s.input_shape()),
        }
    }

    /// The first convolution, whose filters `--filters` draws.
    pub fn first_conv(&self) -> Option<&Conv2d> {
        match self {
            Network::Sequential(s) => s.layers().iter().find_map(|l| match l {
                AnyLayer::Conv2d(c) => Some(c),
                _ => None,
            }),
            Network::Mlp(_) => None,
        }
    }

    /// The model file's text, with `preprocess` stored beside the weights.
    pub fn to_json(&self, preprocess: Option<&Preprocess>) -> String {
        let text = match self {
            Network::Mlp(m) => m.to_json(),
            Network::Sequential(s) => s.to_json(),
        };
        match preprocess {
            Some(p) => p.add_to_model_json(&text),
            None => text,
        }
    }
}

/// Loads a model file of either kind (a Sequential file says `"format": "micrograd-sequential"`,
/// an MLP file has no `format`)
/// with its preprocessing, naming the file in errors.
pub fn load(path: &Path) -> Result<Saved> {
    parse(&read_text(path)?, path)
}

/// Reads a model file's text (see [`load`]); `path` names the file in errors.
pub fn parse(text: &str, path: &Path) -> Result<Saved> {
    let bad = || format!("{}: not a valid model file", path.display());
    let preprocess = Preprocess::from_model_json(text).with_context(bad)?;
    // `from_model_json` above has checked that the text is a JSON object.
    let format = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("format").and_then(|f| f.as_str().map(str::to_owned)));
    let network = if format.as_deref() == Some("micrograd-sequential") {
        Network::Sequential(Sequential::from_json(text).with_context(bad)?)
    } else {
        Network::Mlp(MLP::from_json(text).with_context(bad)?)
    };
    if let Some(p) = &preprocess {
        if p.n_features() != network.input_len() {
            anyhow::bail!(
                "{}: preprocess: fitted on {} features, the model takes {} inputs",
                path.display(),
                p.n_features(),
                network.input_len()
            );
        }
    }
    Ok(Saved {
        network,
        preprocess,
    })
}
