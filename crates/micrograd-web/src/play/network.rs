//! The network as the page shows it: its layers, links and biases ([`Network`], [`Link`]), one
//! weight edited by a click, and its forward graph at one point with the gradients.

use super::data::{features_of, FEATURES};
use super::train::Playground;
use crate::graph::{snapshot, GraphData};
use micrograd::nn::Module;
use micrograd::{Tape, Value};
use serde::Serialize;
use std::collections::HashMap;

/// One weight of the network, for the page's links.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    /// The layer (0: the first hidden layer, or the output layer if there is none), the neuron in
    /// it, and the input (a feature for layer 0, a neuron of the layer before otherwise).
    pub layer: usize,
    pub neuron: usize,
    pub input: usize,
    pub weight: f64,
}

/// The network for the page: layer sizes (features first, output last), links, biases.
#[derive(Clone, Debug, Serialize)]
pub struct Network {
    pub features: Vec<String>,
    pub sizes: Vec<usize>,
    pub links: Vec<Link>,
    pub biases: Vec<Vec<f64>>,
}

impl Playground {
    pub fn network(&self) -> Network {
        let mut sizes = vec![self.feature_ids.len()];
        let mut links = Vec::new();
        let mut biases = Vec::new();
        for (l, layer) in self.model.layers().iter().enumerate() {
            sizes.push(layer.nout());
            biases.push(layer.neurons().iter().map(|n| n.bias().data()).collect());
            for (j, neuron) in layer.neurons().iter().enumerate() {
                for (i, w) in neuron.weights().iter().enumerate() {
                    links.push(Link {
                        layer: l,
                        neuron: j,
                        input: i,
                        weight: w.data(),
                    });
                }
            }
        }
        Network {
            features: self
                .feature_ids
                .iter()
                .map(|&k| FEATURES[k].1.to_string())
                .collect(),
            sizes,
            links,
            biases,
        }
    }

    /// Sets one weight (see [`Link`]); `input == nin` sets the neuron's bias.
    pub fn set_weight(
        &mut self,
        layer: usize,
        neuron: usize,
        input: usize,
        value: f64,
    ) -> Result<(), String> {
        if !value.is_finite() {
            return Err(format!("a weight must be a finite number, got {value}"));
        }
        let n = self
            .model
            .layers()
            .get(layer)
            .and_then(|l| l.neurons().get(neuron))
            .ok_or_else(|| format!("no neuron {neuron} in layer {layer}"))?;
        let p = match n.weights().get(input) {
            Some(&w) => w,
            None if input == n.weights().len() => n.bias(),
            None => return Err(format!("neuron {neuron} has no input {input}")),
        };
        p.set_data(value);
        self.stopped = None;
        self.render();
        Ok(())
    }

    /// The network's forward graph for the point `(x, y)`, with the gradients of its score (and, when
    /// `label` is given, of that example's loss).
    pub fn point_graph(&self, x: f64, y: f64, label: Option<usize>) -> GraphData {
        let mark = Tape::mark();
        let mut names: HashMap<usize, String> = HashMap::new();
        for (l, layer) in self.model.layers().iter().enumerate() {
            for (j, n) in layer.neurons().iter().enumerate() {
                for (i, w) in n.weights().iter().enumerate() {
                    names.insert(w.id(), format!("w{}.{}.{}", l + 1, j + 1, i + 1));
                }
                names.insert(n.bias().id(), format!("b{}.{}", l + 1, j + 1));
            }
        }
        let row = features_of(&self.feature_ids, x, y);
        let xs: Vec<Value> = row.iter().map(|&v| Value::new(v)).collect();
        for (&k, v) in self.feature_ids.iter().zip(&xs) {
            names.insert(v.id(), FEATURES[k].1.to_string());
        }
        let score = self.model.forward(&xs)[0];
        names.insert(score.id(), "score".into());
        let root = match label {
            Some(c) => {
                let l = self.example_loss(score, c);
                names.insert(l.id(), "loss".into());
                l
            }
            None => score,
        };
        self.model.zero_grad();
        let graph = snapshot(root, &|v| names.get(&v.id()).cloned());
        self.model.zero_grad();
        Tape::rewind(mark);
        graph
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::play::Config;

    #[test]
    fn weights_can_be_set_and_the_point_graph_has_the_network() {
        let mut pg = Playground::new(Config::default()).unwrap();
        pg.set_weight(0, 0, 1, 0.25).unwrap();
        let net = pg.network();
        assert_eq!(net.sizes, vec![2, 8, 8, 1]);
        assert_eq!(net.links.len(), 2 * 8 + 8 * 8 + 8);
        assert_eq!(net.links[1].weight, 0.25);
        pg.set_weight(0, 0, 2, -0.5).unwrap();
        assert_eq!(pg.network().biases[0][0], -0.5);
        assert!(pg.set_weight(0, 0, 3, 1.0).is_err());
        assert!(pg.set_weight(5, 0, 0, 1.0).is_err());
        let before = Tape::len();
        let g = pg.point_graph(0.5, -0.5, Some(1));
        assert_eq!(Tape::len(), before);
        assert!(g.nodes.iter().any(|n| n.label.as_deref() == Some("w1.1.2")));
        assert_eq!(g.nodes.last().unwrap().label.as_deref(), Some("loss"));
        // Training afterwards is not disturbed by the graph's gradients.
        assert!(pg.train(3));
    }
}
