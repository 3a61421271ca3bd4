//! Saving and loading (JSON): a whole model (`config`, `vocab`, `state_dict`), and microgpt's own
//! `state_dict` files.

use super::model::{Gpt, GptConfig, StateDict};
use super::{GptError, Vocab};
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
            vocab: self.vocab.chars().iter().collect(),
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
        let saved: Saved = serde_json::from_str(json).map_err(|e| GptError::Json(e.to_string()))?;
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
