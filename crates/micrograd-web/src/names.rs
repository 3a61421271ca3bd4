//! The GPT tab: microgpt (`micrograd::gpt`) trained on names in the page, one name per step, with
//! samples drawn as the loss falls.
//!
//! The training step is microgpt's (the document's mean next-token loss, backward, Adam with
//! microgpt's betas and a linearly decaying learning rate), written against the engine's public API
//! rather than `gpt::Trainer`, whose rewind to the mark taken at its creation would drop anything the
//! page created on the tape after it (the training view's network).

use micrograd::gpt::{Gpt, GptConfig, Vocab, BETA1, BETA2, EPS};
use micrograd::optim::{Adam, Optimizer};
use micrograd::{Tape, Value};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

/// microgpt's learning rate and number of steps.
pub const LR: f64 = 0.01;
pub const STEPS: usize = 1000;

/// The GPT tab's state.
pub struct NamesGpt {
    model: Gpt,
    params: Vec<Value>,
    adam: Adam,
    docs: Vec<Vec<usize>>,
    step: usize,
    rng: StdRng,
    last_loss: Option<f64>,
    /// The losses of the last [`MEAN_OF`] steps.
    recent: std::collections::VecDeque<f64>,
    stopped: Option<String>,
}

/// The loss readout's running mean is over this many steps (one name each: a single name's loss is
/// noisy).
pub const MEAN_OF: usize = 50;

/// How training stands.
#[derive(Clone, Debug, Serialize)]
pub struct GptStats {
    pub step: usize,
    pub steps: usize,
    pub loss: Option<f64>,
    /// The mean loss of the last [`MEAN_OF`] steps.
    pub mean_loss: Option<f64>,
    pub parameters: usize,
    pub names: usize,
    pub stopped: Option<String>,
}

impl NamesGpt {
    /// microgpt's model (1 layer, 16-wide embeddings, 4 heads, 16 positions) on the names in `text`
    /// (one a line), shuffled with `seed`.
    pub fn new(text: &str, seed: u64) -> Result<NamesGpt, String> {
        let mut names: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if names.is_empty() {
            return Err("no names to train on".into());
        }
        let mut rng = StdRng::seed_from_u64(seed);
        names.shuffle(&mut rng);
        let vocab = Vocab::from_docs(names.iter().copied());
        let docs = names
            .iter()
            .map(|n| vocab.encode(n).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let model = Gpt::new(GptConfig::MICROGPT, vocab, &mut rng).map_err(|e| e.to_string())?;
        let params = model.parameters();
        let adam = Adam::new(LR).betas(BETA1, BETA2).eps(EPS);
        Ok(NamesGpt {
            model,
            params,
            adam,
            docs,
            step: 0,
            rng,
            last_loss: None,
            recent: std::collections::VecDeque::new(),
            stopped: None,
        })
    }

    /// Trains up to `steps` steps (one name each); false once training is over or stopped.
    pub fn train(&mut self, steps: usize) -> bool {
        for _ in 0..steps {
            if self.stopped.is_some() || self.step >= STEPS {
                return false;
            }
            let tokens = &self.docs[self.step % self.docs.len()];
            let mark = Tape::mark();
            let loss = match self.model.loss(tokens) {
                Ok(l) => l,
                Err(e) => {
                    Tape::rewind(mark);
                    self.stopped = Some(e.to_string());
                    return false;
                }
            };
            let l = loss.data();
            if !l.is_finite() {
                Tape::rewind(mark);
                self.stopped = Some(format!("the loss became {l} at step {}", self.step));
                return false;
            }
            // microgpt: lr_t = lr · (1 - step / num_steps)
            self.adam
                .set_lr(LR * (1.0 - self.step as f64 / STEPS as f64));
            self.adam.zero_grad(&self.params);
            loss.backward();
            self.adam.step(&self.params);
            Tape::rewind(mark);
            Tape::zero_grads(&self.params);
            self.last_loss = Some(l);
            if self.recent.len() == MEAN_OF {
                self.recent.pop_front();
            }
            self.recent.push_back(l);
            self.step += 1;
        }
        self.stopped.is_none() && self.step < STEPS
    }

    pub fn stats(&self) -> GptStats {
        GptStats {
            step: self.step,
            steps: STEPS,
            loss: self.last_loss,
            mean_loss: (!self.recent.is_empty())
                .then(|| self.recent.iter().sum::<f64>() / self.recent.len() as f64),
            parameters: self.params.len(),
            names: self.docs.len(),
            stopped: self.stopped.clone(),
        }
    }

    /// `n` names sampled at `temperature`.
    pub fn samples(&mut self, n: usize, temperature: f64) -> Result<Vec<String>, String> {
        (0..n)
            .map(|_| {
                self.model
                    .sample(&mut self.rng, temperature)
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &str = "emma\nolivia\nava\nisabella\nsophia\nmia\namelia\nharper\n";

    #[test]
    fn it_learns_and_samples_names() {
        let mut g = NamesGpt::new(NAMES, 42).unwrap();
        assert!(g.train(5));
        let first = g.stats().loss.unwrap();
        for _ in 0..15 {
            g.train(10);
        }
        let s = g.stats();
        assert_eq!(s.step, 155);
        assert!(s.loss.unwrap() < first, "{} !< {first}", s.loss.unwrap());
        let names = g.samples(5, 0.5).unwrap();
        assert_eq!(names.len(), 5);
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| NAMES.contains(c) && c != '\n')));
        assert!(NamesGpt::new("\n\n", 1).is_err());
    }

    #[test]
    fn it_leaves_other_values_on_the_tape_alone() {
        let mut g = NamesGpt::new(NAMES, 1).unwrap();
        let other = Value::new(3.0); // created after the model, like the training view's network
        g.train(3);
        assert!(other.is_alive());
        assert_eq!(other.data(), 3.0);
    }
}
