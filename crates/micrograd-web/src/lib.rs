//! The micrograd playground: the engine compiled to WebAssembly, behind a static page (`www/`).
//!
//! * [`graph_expression`]: an expression in the calculator's language with its variables' values, as
//!   the graph the page draws (every value's data and grad, every operation, the backward pass step by
//!   step with local derivatives).
//! * [`Playground`]: the training view's state (data set, features, network, optimizer), trained a few
//!   steps per animation frame, with its decision boundary and per-neuron pictures.
//! * [`NamesGpt`]: the GPT tab, microgpt trained on names in the page.
//!
//! Results cross to JavaScript as JSON strings. Everything also compiles for the host, where the pure
//! parts ([`graph`], [`layout`], [`play`]) are tested; see the crate's README for the page itself.

pub mod graph;
pub mod layout;
pub mod names;
pub mod play;

use wasm_bindgen::prelude::*;
use wasm_bindgen::Clamped;

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|e| format!("{{\"kind\":\"error\",\"message\":\"{e}\"}}"))
}

/// Parses `bindings`, a JSON object of variable values (`{"x": 2, "y": -1}`); anything that is not a
/// finite number is left out (the variable then counts as 0).
fn parse_bindings(bindings: &str) -> Vec<(String, f64)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(bindings) else {
        return vec![];
    };
    map.into_iter()
        .filter_map(|(k, v)| v.as_f64().filter(|x| x.is_finite()).map(|x| (k, x)))
        .collect()
}

/// The graph of `source` with the variable values in `bindings` (a JSON object), as JSON: either
/// `{"kind": "ok", "value", "variables", "graph"}` or `{"kind": "error", "message", "column",
/// "caret", "variables"}` (see [`graph::ExprResult`]).
#[wasm_bindgen]
pub fn graph_expression(source: &str, bindings: &str) -> String {
    json(&graph::expression(source, &parse_bindings(bindings)))
}

/// The default training settings, as JSON (see [`play::Config`]).
#[wasm_bindgen]
pub fn default_config() -> String {
    json(&play::Config::default())
}

/// The picture grid's size (`GRID × GRID` cells) and the square's half-width.
#[wasm_bindgen]
pub fn grid_size() -> usize {
    play::GRID
}

#[wasm_bindgen]
pub fn domain() -> f64 {
    play::DOMAIN
}

/// The training view's state.
#[wasm_bindgen]
pub struct Playground {
    inner: play::Playground,
}

#[wasm_bindgen]
impl Playground {
    /// A new network and data set from a JSON [`play::Config`] (missing fields take their defaults).
    ///
    /// # Errors
    /// A message naming the first bad setting.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &str) -> Result<Playground, JsError> {
        let config: play::Config = serde_json::from_str(config)
            .map_err(|e| JsError::new(&format!("bad settings: {e}")))?;
        play::Playground::new(config)
            .map(|inner| Playground { inner })
            .map_err(|e| JsError::new(&e))
    }

    /// The settings in use, as JSON.
    pub fn config(&self) -> String {
        json(self.inner.config())
    }

    /// Trains `steps` steps; false once training has stopped (see `stats().stopped`).
    pub fn train(&mut self, steps: usize) -> bool {
        self.inner.train(steps)
    }

    /// Step, train and test loss, accuracy, and why training stopped, as JSON.
    pub fn stats(&self) -> String {
        json(&self.inner.stats())
    }

    /// The points (`[{x, y, label}]`, training points first) and how many are for training.
    pub fn points(&self) -> String {
        json(&self.inner.points())
    }

    pub fn train_len(&self) -> usize {
        self.inner.train_len()
    }

    /// The network's shape, weights and biases, as JSON.
    pub fn network(&self) -> String {
        json(&self.inner.network())
    }

    /// Sets a weight (`input` = the neuron's input count for its bias).
    ///
    /// # Errors
    /// If there is no such weight or the value is not finite.
    pub fn set_weight(
        &mut self,
        layer: usize,
        neuron: usize,
        input: usize,
        value: f64,
    ) -> Result<(), JsError> {
        self.inner
            .set_weight(layer, neuron, input, value)
            .map_err(|e| JsError::new(&e))
    }

    /// Recomputes the pictures.
    pub fn render(&mut self) {
        self.inner.render();
    }

    /// The number of pictures: the output's, then one per input feature, then one per hidden neuron.
    pub fn map_count(&self) -> usize {
        self.inner.maps().len()
    }

    /// Paints picture `map` into `ctx` at its top-left corner, one pixel per grid cell.
    ///
    /// # Errors
    /// If there is no such picture, or the canvas refuses the image.
    pub fn paint(
        &self,
        ctx: &web_sys::CanvasRenderingContext2d,
        map: usize,
    ) -> Result<(), JsValue> {
        let px = self
            .inner
            .maps()
            .get(map)
            .ok_or_else(|| JsValue::from_str("no such picture"))?;
        let side = play::GRID as u32;
        let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(px.as_slice()),
            side,
            side,
        )?;
        ctx.put_image_data(&image, 0.0, 0.0)
    }

    /// The forward graph of the network at `(x, y)` with the gradients of its score, or of the loss
    /// for class `label` when `label` is 0 or 1, as JSON ([`graph::GraphData`]).
    pub fn point_graph(&self, x: f64, y: f64, label: i32) -> String {
        let label = usize::try_from(label).ok().filter(|&l| l < 2);
        json(&self.inner.point_graph(x, y, label))
    }
}

/// The GPT tab's state: microgpt on names.
#[wasm_bindgen]
pub struct NamesGpt {
    inner: names::NamesGpt,
}

#[wasm_bindgen]
impl NamesGpt {
    /// microgpt on the names in `text`, one a line.
    ///
    /// # Errors
    /// If there are no names.
    #[wasm_bindgen(constructor)]
    pub fn new(text: &str, seed: u64) -> Result<NamesGpt, JsError> {
        names::NamesGpt::new(text, seed)
            .map(|inner| NamesGpt { inner })
            .map_err(|e| JsError::new(&e))
    }

    /// Trains up to `steps` steps; false once training is over or stopped.
    pub fn train(&mut self, steps: usize) -> bool {
        self.inner.train(steps)
    }

    /// Step, steps in all, last loss, parameter and name counts, why training stopped, as JSON.
    pub fn stats(&self) -> String {
        json(&self.inner.stats())
    }

    /// `n` sampled names at `temperature`, as a JSON list.
    ///
    /// # Errors
    /// If the temperature is not a positive number or the model diverged.
    pub fn samples(&mut self, n: usize, temperature: f64) -> Result<String, JsError> {
        self.inner
            .samples(n, temperature)
            .map(|s| json(&s))
            .map_err(|e| JsError::new(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_keep_finite_numbers_only() {
        let b = parse_bindings(r#"{"x": 2, "y": "a", "z": null, "w": -0.5}"#);
        assert_eq!(b, vec![("w".to_string(), -0.5), ("x".to_string(), 2.0)]);
        assert!(parse_bindings("not json").is_empty());
    }

    #[test]
    fn the_expression_json_has_kind() {
        let out = graph_expression("x*2", r#"{"x": 3}"#);
        assert!(out.starts_with(r#"{"kind":"ok","value":"6.0000""#), "{out}");
        let err = graph_expression("x*", "{}");
        assert!(err.contains(r#""kind":"error""#) && err.contains(r#""column":3"#));
    }
}
