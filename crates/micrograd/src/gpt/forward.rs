//! The forward pass (microgpt's `gpt`), op for op, with a key/value cache; the document loss; and
//! sampling.

use super::model::Gpt;
use super::{GptError, RMSNORM_EPS};
use crate::engine::{Tape, Value};
use rand::Rng;

impl Gpt {
    /// A fresh key/value cache for one sequence.
    pub fn cache(&self) -> KvCache {
        KvCache {
            keys: vec![Vec::new(); self.config.n_layer],
            values: vec![Vec::new(); self.config.n_layer],
        }
    }

    /// microgpt's `gpt(token_id, pos_id, keys, values)`: the logits over the next token after
    /// `token` at position `pos`, appending this position's keys and values to `cache`.
    ///
    /// Op for op as microgpt: `x = rmsnorm(wte[token] + wpe[pos])`; per block
    /// `x = linear(attn(rmsnorm(x)), Wo) + x` with `attn` attending to every cached position and
    /// `x = linear(relu(linear(rmsnorm(x), fc1)), fc2) + x`; then `linear(x, lm_head)`.
    ///
    /// # Errors
    /// [`GptError::Tokens`] if `token` is not a token id, `pos` is not below `block_size`, or `pos` is
    /// not the number of positions already in `cache`.
    pub fn logits(
        &self,
        token: usize,
        pos: usize,
        cache: &mut KvCache,
    ) -> Result<Vec<Value>, GptError> {
        if token >= self.vocab.size() {
            return Err(GptError::Tokens(format!(
                "token {token} is not below the vocabulary size {}",
                self.vocab.size()
            )));
        }
        if pos >= self.config.block_size {
            return Err(GptError::Tokens(format!(
                "position {pos} is not below block_size {}",
                self.config.block_size
            )));
        }
        if cache.keys.len() != self.blocks.len() || cache.keys.iter().any(|k| k.len() != pos) {
            return Err(GptError::Tokens(format!(
                "position {pos} does not follow the {} positions in the cache",
                cache.keys.first().map_or(0, |k| k.len())
            )));
        }
        let mut s = Scratch::default();
        Ok(self.forward(token, pos, cache, &mut s))
    }

    /// An upper bound on the tape entries (nodes plus n-ary inputs) of a forward pass over `n`
    /// positions; the tape addresses at most 2^32, so refuse well before that.
    fn check_graph_size(&self, n: usize) -> Result<(), GptError> {
        let (e, v, l) = (
            self.config.n_embd as u128,
            self.vocab.size() as u128,
            self.config.n_layer as u128,
        );
        let n = n as u128;
        let per_pos = l * (30 * e * e + 12 * e * n + 16 * e) + 6 * v * e + 8 * e + 8 * v + 16;
        let total = n * per_pos + Tape::len() as u128;
        if total > 1 << 31 {
            return Err(GptError::Tokens(format!(
                "{n} positions of this model need about {total} graph entries, more than the tape \
                 holds; use a smaller model or block_size"
            )));
        }
        Ok(())
    }

    fn forward(
        &self,
        token: usize,
        pos: usize,
        cache: &mut KvCache,
        s: &mut Scratch,
    ) -> Vec<Value> {
        let (n_embd, hd) = (self.config.n_embd, self.config.head_dim());
        // `sum(...) / head_dim**0.5` is `sum(...) * (head_dim**0.5)**-1` in microgpt's Value.
        let attn_scale = (hd as f64).powf(0.5).powf(-1.0);
        let mut x: Vec<Value> = self
            .wte
            .row(token)
            .iter()
            .zip(self.wpe.row(pos))
            .map(|(&t, &p)| t + p)
            .collect();
        rmsnorm(&mut x);
        for (block, (keys, values)) in self
            .blocks
            .iter()
            .zip(cache.keys.iter_mut().zip(cache.values.iter_mut()))
        {
            // 1) multi-head attention
            let residual = x.clone();
            rmsnorm(&mut x);
            block.wq.apply_into(&x, &mut s.q);
            let mut k = Vec::with_capacity(n_embd);
            block.wk.apply_into(&x, &mut k);
            let mut v = Vec::with_capacity(n_embd);
            block.wv.apply_into(&x, &mut v);
            keys.push(k);
            values.push(v);
            s.attn.clear();
            for h in 0..self.config.n_head {
                let hs = h * hd;
                let q_h = &s.q[hs..hs + hd];
                s.logits.clear();
                s.logits.extend(
                    keys.iter()
                        .map(|k_t| Value::dot(q_h, &k_t[hs..hs + hd]) * attn_scale),
                );
                softmax_into(&s.logits, &mut s.weights);
                for j in 0..hd {
                    s.column.clear();
                    s.column.extend(values.iter().map(|v_t| v_t[hs + j]));
                    s.attn.push(Value::dot(&s.weights, &s.column));
                }
            }
            block.wo.apply_into(&s.attn, &mut x);
            for (xi, &ri) in x.iter_mut().zip(&residual) {
                *xi += ri;
            }
            // 2) MLP
            let residual = x.clone();
            rmsnorm(&mut x);
            block.fc1.apply_into(&x, &mut s.hidden);
            for hi in s.hidden.iter_mut() {
                *hi = hi.relu();
            }
            block.fc2.apply_into(&s.hidden, &mut x);
            for (xi, &ri) in x.iter_mut().zip(&residual) {
                *xi += ri;
            }
        }
        let mut logits = Vec::with_capacity(self.vocab.size());
        self.lm_head.apply_into(&x, &mut logits);
        logits
    }

    /// microgpt's document loss: with `n = min(block_size, tokens.len() - 1)`, the mean over positions
    /// `0..n` of `-log softmax(logits(tokens[pos], pos))[tokens[pos + 1]]`, as
    /// `(1/n) * sum(losses)`. `tokens` is a document as [`Vocab::encode`](super::Vocab::encode) gives it.
    ///
    /// The returned value's graph lives on the tape until rewound.
    ///
    /// # Errors
    /// [`GptError::Tokens`] for fewer than 2 tokens or a token id outside the vocabulary.
    pub fn loss(&self, tokens: &[usize]) -> Result<Value, GptError> {
        if tokens.len() < 2 {
            return Err(GptError::Tokens(format!(
                "a document needs at least 2 tokens, got {}",
                tokens.len()
            )));
        }
        if let Some(t) = tokens.iter().find(|&&t| t >= self.vocab.size()) {
            return Err(GptError::Tokens(format!(
                "token {t} is not below the vocabulary size {}",
                self.vocab.size()
            )));
        }
        let n = self.config.block_size.min(tokens.len() - 1);
        self.check_graph_size(n)?;
        let mut cache = self.cache();
        let mut s = Scratch::default();
        let mut losses = Vec::with_capacity(n);
        for pos in 0..n {
            let logits = self.forward(tokens[pos], pos, &mut cache, &mut s);
            losses.push(-softmax_at(&logits, tokens[pos + 1]).log());
        }
        Ok(Value::sum_slice(&losses) * (1.0 / n as f64))
    }

    /// Samples one document, as microgpt does: start from BOS, feed each sampled token back, draw the
    /// next token from `softmax(logits / temperature)`, stop at BOS or after `block_size` tokens.
    /// The graph built on the way is rewound before returning.
    ///
    /// Lower temperatures give likelier, less varied samples.
    ///
    /// # Errors
    /// [`GptError::Sampling`] if `temperature` is not a positive finite number or the probabilities
    /// are not finite (a diverged model).
    pub fn sample(&self, rng: &mut impl Rng, temperature: f64) -> Result<String, GptError> {
        if !(temperature > 0.0 && temperature.is_finite()) {
            return Err(GptError::Sampling(format!(
                "the temperature must be a positive number, not {temperature}"
            )));
        }
        // `l / temperature` is `l * temperature**-1` in microgpt's Value.
        let inv_t = temperature.powf(-1.0);
        self.check_graph_size(self.config.block_size)
            .map_err(|e| GptError::Sampling(e.to_string()))?;
        let mark = Tape::mark();
        let mut cache = self.cache();
        let mut s = Scratch::default();
        let mut token = self.vocab.bos();
        let mut out = Vec::new();
        let mut result = Ok(());
        for pos in 0..self.config.block_size {
            let logits = self.forward(token, pos, &mut cache, &mut s);
            let scaled: Vec<f64> = logits.iter().map(|l| l.data() * inv_t).collect();
            let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<f64> = scaled.iter().map(|z| (z - max).exp()).collect();
            let total_inv = exps.iter().sum::<f64>().powf(-1.0);
            let probs: Vec<f64> = exps.iter().map(|e| e * total_inv).collect();
            match rand::distr::weighted::WeightedIndex::new(&probs) {
                Ok(dist) => token = rng.sample(dist),
                Err(e) => {
                    result = Err(GptError::Sampling(format!(
                        "the model's probabilities are not usable ({e})"
                    )));
                    break;
                }
            }
            if token == self.vocab.bos() {
                break;
            }
            out.push(token);
        }
        Tape::rewind(mark);
        result.map(|()| self.vocab.decode(&out))
    }
}

/// The keys and values computed so far for one sequence, per layer and position (microgpt's `keys`,
/// `values`): attention at position `t` reads every earlier position's keys and values from here
/// instead of recomputing them.
#[derive(Clone, Debug, Default)]
pub struct KvCache {
    keys: Vec<Vec<Vec<Value>>>,
    values: Vec<Vec<Vec<Value>>>,
}

impl KvCache {
    /// The number of positions cached.
    pub fn len(&self) -> usize {
        self.keys.first().map_or(0, |k| k.len())
    }

    /// Whether no position is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Buffers reused across positions.
#[derive(Default)]
struct Scratch {
    q: Vec<Value>,
    attn: Vec<Value>,
    logits: Vec<Value>,
    weights: Vec<Value>,
    column: Vec<Value>,
    hidden: Vec<Value>,
}

/// microgpt's `rmsnorm`, in place: `x · (sum(x²) · len**-1 + 1e-5)^-0.5`.
fn rmsnorm(x: &mut [Value]) {
    let ms = Value::dot(x, x) * (x.len() as f64).powf(-1.0);
    let scale = (ms + RMSNORM_EPS).pow(-0.5);
    for xi in x.iter_mut() {
        *xi *= scale;
    }
}

/// `exp(z - max)` for each logit (the max as a constant), and `(Σ exp)**-1`.
fn softmax_parts(z: &[Value], exps: &mut Vec<Value>) -> Value {
    let max = z.iter().map(|v| v.data()).fold(f64::NEG_INFINITY, f64::max);
    exps.clear();
    exps.extend(z.iter().map(|&v| (v - max).exp()));
    Value::sum_slice(exps).pow(-1.0)
}

/// microgpt's `softmax`: `exp(z_i - m) * (Σ_j exp(z_j - m))**-1`, `m = max z` taken as a constant.
fn softmax_into(z: &[Value], out: &mut Vec<Value>) {
    let inv = softmax_parts(z, out);
    for e in out.iter_mut() {
        *e *= inv;
    }
}

/// `softmax(z)[i]` alone (the other probabilities do not reach the loss).
fn softmax_at(z: &[Value], i: usize) -> Value {
    let mut exps = Vec::with_capacity(z.len());
    let inv = softmax_parts(z, &mut exps);
    exps[i] * inv
}
