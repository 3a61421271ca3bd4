//! microgpt's character tokenizer.

use super::GptError;

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
