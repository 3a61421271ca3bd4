//! microgpt on this engine: Andrej Karpathy's single-file scalar-autograd GPT, generalized.
//!
//! A decoder-only transformer in the style of GPT-2 with microgpt's simplifications (RMSNorm without
//! gain, no biases, ReLU MLP), trained one document per step with Adam and linear learning-rate decay,
//! exactly as microgpt does it: the same operations in the same order, so that from the same initial
//! weights the per-step loss agrees with Python microgpt's to about 1e-12 relative (see
//! `tests/gpt.rs` and `examples/microgpt.rs`).
//!
//! * [`Vocab`]: the sorted distinct characters of the data, then the BOS token.
//! * [`GptConfig`]: `n_layer`, `n_embd`, `n_head`, `block_size`.
//! * [`Gpt`]: the parameters (one [`Value`] each, keyed by microgpt's `state_dict` names), the forward
//!   pass with a key/value cache ([`Gpt::logits`]), the document loss ([`Gpt::loss`]) and sampling
//!   ([`Gpt::sample`]).
//! * [`Adam`] and [`Trainer`]: microgpt's optimizer and training step (forward, backward, update, zero
//!   grads, rewind the tape).
//!
//! ```
//! use micrograd::gpt::{Gpt, GptConfig, Trainer, Vocab};
//! use rand::SeedableRng;
//!
//! let docs = ["emma", "olivia", "ava"];
//! let vocab = Vocab::from_docs(docs);
//! let config = GptConfig { n_layer: 1, n_embd: 8, n_head: 2, block_size: 8 };
//! let mut rng = rand::rngs::StdRng::seed_from_u64(42);
//! let model = Gpt::new(config, vocab, &mut rng).unwrap();
//! let mut trainer = Trainer::new(model, 0.01, 30);
//! let mut losses = vec![];
//! for step in 0..30 {
//!     let tokens = trainer.model().vocab().encode(docs[step % 3]).unwrap();
//!     losses.push(trainer.step(&tokens).unwrap());
//! }
//! assert!(losses[29] < losses[0]);          // it learns
//! let name = trainer.model().sample(&mut rng, 0.5).unwrap();
//! assert!(name.chars().all(|c| "emaolivy".contains(c)));
//! ```

use crate::engine::{Mark, Tape, Value};
use rand::Rng;
use std::fmt;

/// The standard deviation of microgpt's initial weights (`random.gauss(0, 0.08)`).
pub const INIT_STD: f64 = 0.08;
/// Adam's β1 in microgpt.
pub const BETA1: f64 = 0.85;
/// Adam's β2 in microgpt.
pub const BETA2: f64 = 0.99;
/// Adam's ε in microgpt.
pub const EPS: f64 = 1e-8;
/// The ε inside RMSNorm: `x · (mean(x²) + 1e-5)^-0.5`.
pub const RMSNORM_EPS: f64 = 1e-5;

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

/// What can go wrong building, loading, training or sampling a [`Gpt`]. Every message names the
/// offending field, parameter, character or step.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GptError {
    /// An invalid configuration value (`field` is `n_layer`, `n_embd`, `n_head`, `block_size`, ...).
    Config {
        /// The configuration field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// An invalid vocabulary.
    Vocab(String),
    /// A document holds a character that is not in the vocabulary.
    UnknownChar {
        /// The character.
        ch: char,
        /// The document.
        doc: String,
    },
    /// A token sequence that cannot be trained on or fed to the model.
    Tokens(String),
    /// A state dict entry is missing, unexpected or of the wrong shape (`field` is its name, such as
    /// `layer0.attn_wq`).
    StateDict {
        /// The state dict name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The loss of a training step was NaN or infinite; the parameters were not updated.
    NonFiniteLoss {
        /// The step (from 0).
        step: usize,
        /// The loss.
        loss: f64,
    },
    /// Sampling was asked with a temperature that is not a positive finite number, or the model's
    /// probabilities were not finite.
    Sampling(String),
    /// Training past the planned number of steps (the learning rate has decayed to 0).
    StepsExhausted {
        /// The planned number of steps.
        num_steps: usize,
    },
    /// A model or state dict file that is not valid JSON or lacks a field (the message is serde_json's,
    /// with the field, line and column).
    Json(String),
}

impl fmt::Display for GptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GptError::Config { field, message } => write!(f, "{field}: {message}"),
            GptError::Vocab(m) => write!(f, "vocabulary: {m}"),
            GptError::UnknownChar { ch, doc } => {
                write!(f, "character {ch:?} of {doc:?} is not in the vocabulary")
            }
            GptError::Tokens(m) => write!(f, "tokens: {m}"),
            GptError::StateDict { field, message } => write!(f, "{field}: {message}"),
            GptError::NonFiniteLoss { step, loss } => {
                write!(f, "the loss of step {step} is {loss}: training stopped")
            }
            GptError::Sampling(m) => write!(f, "sampling: {m}"),
            GptError::StepsExhausted { num_steps } => write!(
                f,
                "all {num_steps} planned steps are done (the learning rate has decayed to 0)"
            ),
            GptError::Json(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for GptError {}

// ---------------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------------

/// microgpt's character tokenizer: the sorted distinct characters of the data get ids `0..n`, and the
/// special BOS (beginning/end of sequence) token gets id `n`, so the vocabulary size is `n + 1`.
///
/// ```
/// use micrograd::gpt::Vocab;
/// let vocab = Vocab::from_docs(["bob", "abe"]);
/// assert_eq!(vocab.chars(), &['a', 'b', 'e', 'o']);
/// assert_eq!((vocab.bos(), vocab.size()), (4, 5));
/// assert_eq!(vocab.encode("abe").unwrap(), vec![4, 0, 1, 2, 4]);
/// assert_eq!(vocab.decode(&[1, 3, 1]), "bob");
/// assert!(vocab.encode("z").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
    chars: Vec<char>,
}

impl Vocab {
    /// The sorted (by code point, as Python's `sorted`) distinct characters of `docs`.
    pub fn from_docs<I, S>(docs: I) -> Vocab
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut chars = Vec::new();
        for d in docs {
            chars.extend(d.as_ref().chars());
        }
        chars.sort_unstable();
        chars.dedup();
        Vocab { chars }
    }

    /// A vocabulary from its characters, which must be strictly increasing (sorted and distinct).
    pub fn from_chars(chars: Vec<char>) -> Result<Vocab, GptError> {
        if let Some(w) = chars.windows(2).find(|w| w[0] >= w[1]) {
            return Err(GptError::Vocab(format!(
                "characters must be sorted and distinct, but {:?} comes before {:?}",
                w[0], w[1]
            )));
        }
        Ok(Vocab { chars })
    }

    /// The characters, in token-id order (BOS not included).
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The BOS token id (= the number of characters).
    pub fn bos(&self) -> usize {
        self.chars.len()
    }

    /// The number of tokens: the characters plus BOS.
    pub fn size(&self) -> usize {
        self.chars.len() + 1
    }

    /// The token id of a character, if it is in the vocabulary.
    pub fn id(&self, ch: char) -> Option<usize> {
        self.chars.binary_search(&ch).ok()
    }

    /// microgpt's tokenization of a document: `[BOS] + ids of its characters + [BOS]`.
    ///
    /// # Errors
    /// [`GptError::UnknownChar`] for a character outside the vocabulary.
    pub fn encode(&self, doc: &str) -> Result<Vec<usize>, GptError> {
        let mut tokens = Vec::with_capacity(doc.len() + 2);
        tokens.push(self.bos());
        for ch in doc.chars() {
            match self.id(ch) {
                Some(i) => tokens.push(i),
                None => {
                    return Err(GptError::UnknownChar {
                        ch,
                        doc: doc.to_string(),
                    })
                }
            }
        }
        tokens.push(self.bos());
        Ok(tokens)
    }

    /// The characters of `tokens`; BOS and out-of-range ids are skipped.
    pub fn decode(&self, tokens: &[usize]) -> String {
        tokens.iter().filter_map(|&t| self.chars.get(t)).collect()
    }
}

// ---------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------

/// The shape of a [`Gpt`]. microgpt's is [`GptConfig::MICROGPT`]: 1 layer, 16-dim embeddings, 4 heads,
/// 16 positions. The MLP is `4·n_embd` wide and each head `n_embd / n_head`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct GptConfig {
    /// Number of transformer blocks (≥ 0; 0 gives a bigram-like model).
    pub n_layer: usize,
    /// Embedding width (≥ 1, a multiple of `n_head`).
    pub n_embd: usize,
    /// Number of attention heads (≥ 1).
    pub n_head: usize,
    /// Maximum sequence length: the number of position embeddings (≥ 1). Longer documents are
    /// truncated to their first `block_size` predictions.
    pub block_size: usize,
}

impl GptConfig {
    /// microgpt's published configuration.
    pub const MICROGPT: GptConfig = GptConfig {
        n_layer: 1,
        n_embd: 16,
        n_head: 4,
        block_size: 16,
    };

    /// The width of one attention head, `n_embd / n_head`.
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head.max(1)
    }

    /// Checks that the sizes are usable.
    ///
    /// ```
    /// use micrograd::gpt::GptConfig;
    /// assert!(GptConfig::MICROGPT.validate().is_ok());
    /// let bad = GptConfig { n_head: 3, ..GptConfig::MICROGPT };
    /// assert_eq!(bad.validate().unwrap_err().to_string(),
    ///            "n_head: n_embd (16) is not a multiple of n_head (3)");
    /// let long = GptConfig { block_size: 1 << 17, ..GptConfig::MICROGPT };
    /// assert_eq!(long.validate().unwrap_err().to_string(),
    ///            "block_size: 131072 is too large (at most 65536)");
    /// ```
    pub fn validate(&self) -> Result<(), GptError> {
        let err = |field, message: String| Err(GptError::Config { field, message });
        if self.n_embd == 0 {
            return err("n_embd", "must be at least 1".into());
        }
        if self.n_head == 0 {
            return err("n_head", "must be at least 1".into());
        }
        if self.block_size == 0 {
            return err("block_size", "must be at least 1".into());
        }
        if self.n_embd % self.n_head != 0 {
            return err(
                "n_head",
                format!(
                    "n_embd ({}) is not a multiple of n_head ({})",
                    self.n_embd, self.n_head
                ),
            );
        }
        // Keep every matrix well inside memory and the tape's u32 indices.
        for (field, value, max) in [
            ("n_embd", self.n_embd, 4096),
            ("n_layer", self.n_layer, 1024),
            ("block_size", self.block_size, 1 << 16),
        ] {
            if value > max {
                return err(field, format!("{value} is too large (at most {max})"));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------------

/// A weight matrix stored as its output rows: `y[o] = Σᵢ W[o][i]·x[i]` (microgpt's layout).
#[derive(Debug)]
struct Matrix {
    cols: usize,
    data: Vec<Value>,
}

impl Matrix {
    fn row(&self, o: usize) -> &[Value] {
        &self.data[o * self.cols..(o + 1) * self.cols]
    }

    /// `linear(x, W)`: one [`Value::dot`] node per row (via [`Value::matvec`]), which is Python's
    /// `sum(wi * xi for ...)` bit for bit.
    fn apply_into(&self, x: &[Value], out: &mut Vec<Value>) {
        debug_assert_eq!(x.len(), self.cols);
        Value::matvec(&self.data, x, out);
    }

    fn to_rows(&self) -> Vec<Vec<f64>> {
        self.data
            .chunks_exact(self.cols)
            .map(|r| r.iter().map(|v| v.data()).collect())
            .collect()
    }
}

/// The names and shapes `(name, rows, cols, what rows/cols are)` of a configuration's parameters, in
/// microgpt's `state_dict` order.
fn layout(
    config: &GptConfig,
    vocab_size: usize,
) -> Vec<(String, usize, usize, &'static str, &'static str)> {
    let (e, v) = (config.n_embd, vocab_size);
    let mut out = vec![
        ("wte".to_string(), v, e, "vocabulary size", "n_embd"),
        (
            "wpe".to_string(),
            config.block_size,
            e,
            "block_size",
            "n_embd",
        ),
        ("lm_head".to_string(), v, e, "vocabulary size", "n_embd"),
    ];
    for i in 0..config.n_layer {
        for name in ["attn_wq", "attn_wk", "attn_wv", "attn_wo"] {
            out.push((format!("layer{i}.{name}"), e, e, "n_embd", "n_embd"));
        }
        out.push((format!("layer{i}.mlp_fc1"), 4 * e, e, "4·n_embd", "n_embd"));
        out.push((format!("layer{i}.mlp_fc2"), e, 4 * e, "n_embd", "4·n_embd"));
    }
    out
}

/// A model's parameters by name, in microgpt's `state_dict` order: `wte`, `wpe`, `lm_head`, then per
/// layer `layer{i}.attn_wq`, `attn_wk`, `attn_wv`, `attn_wo`, `mlp_fc1`, `mlp_fc2`; each matrix a list
/// of output rows.
pub type StateDict = Vec<(String, Vec<Vec<f64>>)>;

#[derive(Debug)]
struct Block {
    wq: Matrix,
    wk: Matrix,
    wv: Matrix,
    wo: Matrix,
    fc1: Matrix,
    fc2: Matrix,
}

/// microgpt's GPT: token and position embeddings, `n_layer` blocks of (RMSNorm, multi-head causal
/// self-attention, residual; RMSNorm, ReLU MLP, residual) and a linear head, no biases.
///
/// Every parameter is a [`Value`] on the current thread's [`Tape`], created by [`Gpt::new`] or
/// [`Gpt::from_state_dict`]; the model is therefore tied to its thread, and must not be used after
/// a [`Tape::rewind`] to a mark taken before it was created (or a [`Tape::clear`]). It is not `Clone`:
/// a copy would share the same parameters; build an independent one from [`Gpt::state_dict`].
#[derive(Debug)]
pub struct Gpt {
    config: GptConfig,
    vocab: Vocab,
    wte: Matrix,
    wpe: Matrix,
    lm_head: Matrix,
    blocks: Vec<Block>,
}

/// One standard normal sample (Box–Muller, as Python's `random.gauss`).
fn gauss(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random();
    let u2: f64 = rng.random();
    (-2.0 * (1.0 - u2).ln()).sqrt() * (std::f64::consts::TAU * u1).cos()
}

impl Gpt {
    /// A model with microgpt's initialization: every weight drawn from N(0, 0.08²) ([`INIT_STD`]).
    ///
    /// # Errors
    /// [`GptError::Config`] if `config` is invalid.
    pub fn new(config: GptConfig, vocab: Vocab, rng: &mut impl Rng) -> Result<Gpt, GptError> {
        config.validate()?;
        let sd: StateDict = layout(&config, vocab.size())
            .into_iter()
            .map(|(name, rows, cols, _, _)| {
                let m = (0..rows)
                    .map(|_| (0..cols).map(|_| INIT_STD * gauss(rng)).collect())
                    .collect();
                (name, m)
            })
            .collect();
        Gpt::from_state_dict(config, vocab, &sd)
    }

    /// A model from a state dict (microgpt's `state_dict`, such as its `microgpt_init.json`).
    ///
    /// # Errors
    /// [`GptError::StateDict`] naming the entry if one is missing, repeated, unexpected, of the wrong
    /// shape (naming the row) or holds a non-finite number; [`GptError::Config`] for a bad `config`.
    pub fn from_state_dict(
        config: GptConfig,
        vocab: Vocab,
        state_dict: &[(String, Vec<Vec<f64>>)],
    ) -> Result<Gpt, GptError> {
        config.validate()?;
        let layout = layout(&config, vocab.size());
        for (i, (name, _)) in state_dict.iter().enumerate() {
            if !layout.iter().any(|l| &l.0 == name) {
                return Err(GptError::StateDict {
                    field: name.clone(),
                    message: format!(
                        "not a parameter of this model (n_layer = {})",
                        config.n_layer
                    ),
                });
            }
            if state_dict[..i].iter().any(|(n, _)| n == name) {
                return Err(GptError::StateDict {
                    field: name.clone(),
                    message: "given twice".into(),
                });
            }
        }
        let mut mats = Vec::with_capacity(layout.len());
        for (name, rows, cols, rows_are, cols_are) in &layout {
            let sd_err = |message: String| GptError::StateDict {
                field: name.clone(),
                message,
            };
            let m = state_dict
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, m)| m)
                .ok_or_else(|| sd_err("missing".into()))?;
            if m.len() != *rows {
                return Err(sd_err(format!(
                    "has {} rows, expected {rows} ({rows_are})",
                    m.len()
                )));
            }
            let mut data = Vec::with_capacity(rows * cols);
            for (r, row) in m.iter().enumerate() {
                if row.len() != *cols {
                    return Err(sd_err(format!(
                        "row {r} has {} numbers, expected {cols} ({cols_are})",
                        row.len()
                    )));
                }
                if let Some(c) = row.iter().position(|x| !x.is_finite()) {
                    return Err(sd_err(format!("row {r}, column {c} is {}", row[c])));
                }
                data.extend(row.iter().map(|&x| Value::new(x)));
            }
            mats.push(Matrix { cols: *cols, data });
        }
        let mut mats = mats.into_iter();
        let mut next = || mats.next().expect("layout and matrices agree");
        let (wte, wpe, lm_head) = (next(), next(), next());
        let blocks = (0..config.n_layer)
            .map(|_| Block {
                wq: next(),
                wk: next(),
                wv: next(),
                wo: next(),
                fc1: next(),
                fc2: next(),
            })
            .collect();
        Ok(Gpt {
            config,
            vocab,
            wte,
            wpe,
            lm_head,
            blocks,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &GptConfig {
        &self.config
    }

    /// The vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    fn matrices(&self) -> impl Iterator<Item = &Matrix> {
        [&self.wte, &self.wpe, &self.lm_head].into_iter().chain(
            self.blocks
                .iter()
                .flat_map(|b| [&b.wq, &b.wk, &b.wv, &b.wo, &b.fc1, &b.fc2]),
        )
    }

    /// Every parameter, in `state_dict` order (matrix by matrix, row by row): microgpt's `params`.
    pub fn parameters(&self) -> Vec<Value> {
        self.matrices()
            .flat_map(|m| m.data.iter().copied())
            .collect()
    }

    /// The number of parameters (4,192 for microgpt's configuration and 27 tokens).
    pub fn num_parameters(&self) -> usize {
        self.matrices().map(|m| m.data.len()).sum()
    }

    /// The current weights by name, in microgpt's `state_dict` order (see [`StateDict`]).
    pub fn state_dict(&self) -> StateDict {
        layout(&self.config, self.vocab.size())
            .into_iter()
            .zip(self.matrices())
            .map(|(l, m)| (l.0, m.to_rows()))
            .collect()
    }

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
    /// `(1/n) * sum(losses)`. `tokens` is a document as [`Vocab::encode`] gives it.
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

// ---------------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------------

/// microgpt's Adam with bias correction and a learning rate decaying linearly to 0 over `num_steps`:
///
/// ```text
/// lr_t = lr · (1 - step / num_steps)
/// m = β1·m + (1-β1)·g;   v = β2·v + (1-β2)·g²
/// m̂ = m / (1 - β1^(step+1));   v̂ = v / (1 - β2^(step+1))
/// p -= lr_t · m̂ / (√v̂ + ε)
/// ```
/// with β1 = 0.85, β2 = 0.99, ε = 1e-8 ([`BETA1`], [`BETA2`], [`EPS`]). The gradients are zeroed after
/// the update.
///
/// ```
/// use micrograd::{Value, gpt::Adam};
/// let p = Value::new(1.0);
/// let mut adam = Adam::new(1, 0.1, 10);
/// (p * p).backward();                 // g = 2
/// adam.step(&[p]);
/// assert!((p.data() - 0.9).abs() < 1e-9); // the first step moves by lr·sign(g)
/// assert_eq!(p.grad(), 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    /// The initial learning rate.
    pub lr: f64,
    /// β1 (0.85 in microgpt).
    pub beta1: f64,
    /// β2 (0.99 in microgpt).
    pub beta2: f64,
    /// ε (1e-8 in microgpt).
    pub eps: f64,
    num_steps: usize,
    step: usize,
    m: Vec<f64>,
    v: Vec<f64>,
    /// Scratch: the gradients, then the step sizes.
    delta: Vec<f64>,
    /// Scratch: the parameters' values.
    data: Vec<f64>,
}

impl Adam {
    /// Adam for `n_params` parameters with microgpt's β1, β2, ε, decaying `lr` to 0 over `num_steps`.
    pub fn new(n_params: usize, lr: f64, num_steps: usize) -> Adam {
        Adam {
            lr,
            beta1: BETA1,
            beta2: BETA2,
            eps: EPS,
            num_steps,
            step: 0,
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
            delta: Vec::with_capacity(n_params),
            data: Vec::with_capacity(n_params),
        }
    }

    /// The number of updates done so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The learning rate of the next update, `lr · (1 - step / num_steps)`.
    pub fn current_lr(&self) -> f64 {
        self.lr * (1.0 - self.step as f64 / self.num_steps as f64)
    }

    /// One update of `params` (the same parameters, in the same order, every time) from their
    /// gradients, which are then zeroed.
    ///
    /// # Panics
    /// If `params.len()` differs from the `n_params` given to [`Adam::new`].
    pub fn step(&mut self, params: &[Value]) {
        self.update(params, true);
    }

    /// The update, zeroing each parameter's gradient if `zero_grads` (the [`Trainer`] zeroes the
    /// whole tape's gradients in one sweep instead).
    fn update(&mut self, params: &[Value], zero_grads: bool) {
        assert_eq!(
            params.len(),
            self.m.len(),
            "Adam::step: {} parameters, but Adam was made for {}",
            params.len(),
            self.m.len()
        );
        let lr_t = self.current_lr();
        let t = (self.step + 1) as f64;
        // As microgpt computes them: `1 - beta**(step + 1)` with a floating-point power.
        let c1 = 1.0 - self.beta1.powf(t);
        let c2 = 1.0 - self.beta2.powf(t);
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        // Three passes: gather the gradients, compute every step size in a plain f64 loop (which
        // the compiler vectorizes: the divisions and square roots dominate), apply them.
        self.delta.clear();
        self.delta.resize(params.len(), 0.0);
        Tape::read_grads(params, &mut self.delta);
        for ((d, m), v) in self.delta.iter_mut().zip(&mut self.m).zip(&mut self.v) {
            let g = *d;
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * (g * g);
            let m_hat = *m / c1;
            let v_hat = *v / c2;
            *d = lr_t * m_hat / (v_hat.sqrt() + eps);
        }
        self.data.resize(params.len(), 0.0);
        Tape::read_data(params, &mut self.data);
        for (x, &d) in self.data.iter_mut().zip(&self.delta) {
            *x -= d;
        }
        Tape::write_data(params, &self.data);
        if zero_grads {
            Tape::zero_grads(params);
        }
        self.step += 1;
    }
}

/// microgpt's training loop, one document per [`Trainer::step`]: forward the document through the
/// model to its loss, backward, Adam update, zero the gradients, and rewind the tape to the mark taken
/// in [`Trainer::new`] so memory stays flat.
///
/// Create the trainer right after the model: everything created on the tape after
/// [`Trainer::new`] is dropped at the end of each step, and the gradient of every value on the tape
/// (the parameters, and anything created before the trainer) is zeroed.
pub struct Trainer {
    model: Gpt,
    params: Vec<Value>,
    adam: Adam,
    mark: Mark,
}

impl Trainer {
    /// A trainer for `model` with learning rate `lr` decaying linearly to 0 over `num_steps` steps.
    /// Takes a [`Tape::mark`].
    pub fn new(model: Gpt, lr: f64, num_steps: usize) -> Trainer {
        let params = model.parameters();
        let adam = Adam::new(params.len(), lr, num_steps);
        Trainer {
            model,
            params,
            adam,
            mark: Tape::mark(),
        }
    }

    /// The model being trained.
    pub fn model(&self) -> &Gpt {
        &self.model
    }

    /// The trained model.
    pub fn into_model(self) -> Gpt {
        self.model
    }

    /// The number of steps done so far.
    pub fn steps_done(&self) -> usize {
        self.adam.steps_done()
    }

    /// One training step on one document (`tokens` as [`Vocab::encode`] gives them); returns the loss
    /// before the update.
    ///
    /// # Errors
    /// [`GptError::NonFiniteLoss`] (naming the step; the parameters are left as they were),
    /// [`GptError::StepsExhausted`] after `num_steps` steps, [`GptError::Tokens`] for bad tokens.
    pub fn step(&mut self, tokens: &[usize]) -> Result<f64, GptError> {
        if self.adam.step >= self.adam.num_steps {
            return Err(GptError::StepsExhausted {
                num_steps: self.adam.num_steps,
            });
        }
        let result = self.model.loss(tokens).and_then(|loss| {
            let l = loss.data();
            if !l.is_finite() {
                return Err(GptError::NonFiniteLoss {
                    step: self.adam.step,
                    loss: l,
                });
            }
            loss.backward();
            self.adam.update(&self.params, false);
            Ok(l)
        });
        Tape::rewind(self.mark);
        // microgpt zeroes every gradient after the update; after the rewind the tape holds only the
        // parameters (and whatever was created before the trainer), so one sweep does it.
        Tape::zero_grad();
        result
    }
}

// ---------------------------------------------------------------------------------------------------
// Saving and loading (JSON)
// ---------------------------------------------------------------------------------------------------

#[cfg(feature = "serde")]
mod json {
    use super::*;
    use serde::ser::{SerializeMap, SerializeStruct};
    use serde::{Deserialize, Serialize, Serializer};
    use std::collections::BTreeMap;

    /// The format tag of a saved model.
    pub const FORMAT: &str = "micrograd-gpt";

    struct OrderedStateDict<'a>(&'a StateDict);

    impl Serialize for OrderedStateDict<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }

    struct SavedRef<'a> {
        config: &'a GptConfig,
        vocab: String,
        state_dict: StateDict,
    }

    impl Serialize for SavedRef<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("Saved", 4)?;
            st.serialize_field("format", FORMAT)?;
            st.serialize_field("config", self.config)?;
            st.serialize_field("vocab", &self.vocab)?;
            st.serialize_field("state_dict", &OrderedStateDict(&self.state_dict))?;
            st.end()
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Saved {
        format: String,
        config: GptConfig,
        vocab: String,
        state_dict: BTreeMap<String, Vec<Vec<f64>>>,
    }

    impl Gpt {
        /// The model as JSON: `{"format": "micrograd-gpt", "config": {"n_layer": .., "n_embd": ..,
        /// "n_head": .., "block_size": ..}, "vocab": "abc…", "state_dict": {"wte": [[..], ..], ..}}`,
        /// with the state dict in microgpt's layout and order and every number in shortest
        /// round-trip form (loading gives back the exact same weights). `vocab` holds the characters in
        /// token-id order; BOS is implied after them.
        ///
        /// ```
        /// use micrograd::gpt::{Gpt, GptConfig, Vocab};
        /// use rand::SeedableRng;
        /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        /// let config = GptConfig { n_layer: 1, n_embd: 4, n_head: 2, block_size: 4 };
        /// let model = Gpt::new(config, Vocab::from_docs(["ab"]), &mut rng).unwrap();
        /// let back = Gpt::from_json(&model.to_json()).unwrap();
        /// assert_eq!(back.state_dict(), model.state_dict());
        /// assert_eq!(back.vocab(), model.vocab());
        /// ```
        pub fn to_json(&self) -> String {
            let saved = SavedRef {
                config: &self.config,
                vocab: self.vocab.chars.iter().collect(),
                state_dict: self.state_dict(),
            };
            serde_json::to_string(&saved).expect("a model always serializes")
        }

        /// Loads a model saved by [`Gpt::to_json`], creating its parameters on the current tape.
        ///
        /// # Errors
        /// [`GptError::Json`] for invalid JSON or a missing or unknown field (naming it, with line and
        /// column), [`GptError::Vocab`], [`GptError::Config`] or [`GptError::StateDict`] (naming the
        /// entry and row) for content that does not fit together.
        pub fn from_json(json: &str) -> Result<Gpt, GptError> {
            let saved: Saved =
                serde_json::from_str(json).map_err(|e| GptError::Json(e.to_string()))?;
            if saved.format != FORMAT {
                return Err(GptError::Json(format!(
                    "format: expected {FORMAT:?}, found {:?}",
                    saved.format
                )));
            }
            let vocab = Vocab::from_chars(saved.vocab.chars().collect())?;
            let sd: StateDict = saved.state_dict.into_iter().collect();
            Gpt::from_state_dict(saved.config, vocab, &sd)
        }
    }

    /// Parses microgpt's `state_dict` as JSON: `{"wte": [[...], ...], "wpe": ..., "lm_head": ...,
    /// "layer0.attn_wq": ..., ...}`, each matrix a list of output rows (as `microgpt_init.json`).
    /// Entries come back in name order; [`Gpt::from_state_dict`] checks names and shapes.
    ///
    /// ```
    /// let sd = micrograd::gpt::state_dict_from_json(r#"{"wte": [[1.5, 2]], "wpe": []}"#).unwrap();
    /// assert_eq!(sd[0], ("wpe".to_string(), vec![]));
    /// assert_eq!(sd[1].1, vec![vec![1.5, 2.0]]);
    /// assert!(micrograd::gpt::state_dict_from_json(r#"{"wte": [1.5]}"#).is_err());
    /// ```
    ///
    /// # Errors
    /// [`GptError::Json`] with serde_json's message (line and column) if the text is not JSON, or
    /// naming the entry (`wte[3][5]`) that is not a matrix of numbers.
    pub fn state_dict_from_json(json: &str) -> Result<StateDict, GptError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| GptError::Json(e.to_string()))?;
        let bad = |what: String| GptError::Json(what);
        let object = value
            .as_object()
            .ok_or_else(|| bad("expected an object of matrices (name: [[numbers]])".into()))?;
        let mut map = BTreeMap::new();
        for (name, matrix) in object {
            let rows = matrix
                .as_array()
                .ok_or_else(|| bad(format!("{name}: expected a list of rows")))?;
            let mut out = Vec::with_capacity(rows.len());
            for (r, row) in rows.iter().enumerate() {
                let row = row
                    .as_array()
                    .ok_or_else(|| bad(format!("{name}[{r}]: expected a list of numbers")))?;
                let mut numbers = Vec::with_capacity(row.len());
                for (c, x) in row.iter().enumerate() {
                    numbers.push(x.as_f64().ok_or_else(|| {
                        bad(format!("{name}[{r}][{c}]: expected a number, found {x}"))
                    })?);
                }
                out.push(numbers);
            }
            map.insert(name.clone(), out);
        }
        Ok(map.into_iter().collect())
    }
}

#[cfg(feature = "serde")]
pub use json::state_dict_from_json;
