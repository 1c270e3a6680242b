//! Which category — and which department — a report's words most likely belong to, learned
//! from the district's own closed cases: naive Bayes over the Chinese characters and
//! character pairs of the text and the words of any Latin text, each counted once per report
//! (short texts say a thing once; counting repeats only adds noise).
//!
//! Naive Bayes because it trains in one pass (200,000 cases in seconds, so nightly and on
//! demand are cheap), needs no tuning, degrades gently with little history and explains
//! itself: the words that weighed most are the features whose weights favour the answer.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Characters that only hold a sentence together: a pair with one of them (的井, 了一) is
/// left out of the explanation, though it still counts.
const FUNCTION_CHARS: &str = "的了一是在和也都就把被着个这那么吗呢吧啊我你他她们很又还";

/// Smoothing added to every feature count: small, because reports are short.
const ALPHA: f32 = 0.5;

/// One feature of a text: its hash and where its word is in the text as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Feature {
    hash: u64,
    at: usize,
    len: usize,
}

/// A text as the classifier and the duplicate check read it: half-width, lower-case, its
/// features each once.
#[derive(Debug, Clone)]
pub struct Text {
    read: String,
    features: Vec<Feature>,
}

fn han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// FNV-1a: the features' own hash, stable across processes and versions (the standard
/// library's is neither), so two processes learn the same model from the same rows.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Text {
    /// Reads a text.
    pub fn new(text: &str) -> Text {
        let read: String = text
            .chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let mut features = Vec::new();
        let mut prev: Option<(usize, char)> = None;
        let mut word: Option<usize> = None;
        let end_word = |start: Option<usize>, end: usize, features: &mut Vec<Feature>| {
            if let Some(at) = start {
                let w = &read[at..end];
                // Bare numbers (house numbers, dates) say nothing about the kind of matter.
                if !w.bytes().all(|b| b.is_ascii_digit()) {
                    features.push(Feature {
                        hash: fnv(w.as_bytes()) ^ 0x5555,
                        at,
                        len: w.len(),
                    });
                }
            }
        };
        for (at, c) in read.char_indices() {
            if c.is_ascii_alphanumeric() {
                word.get_or_insert(at);
                prev = None;
                continue;
            }
            end_word(word.take(), at, &mut features);
            if han(c) {
                let len = c.len_utf8();
                features.push(Feature {
                    hash: fnv(&read.as_bytes()[at..at + len]),
                    at,
                    len,
                });
                if let Some((p, _)) = prev {
                    features.push(Feature {
                        hash: fnv(&read.as_bytes()[p..at + len]),
                        at: p,
                        len: at + len - p,
                    });
                }
                prev = Some((at, c));
            } else {
                prev = None;
            }
        }
        end_word(word, read.len(), &mut features);
        // Each once, the first place it occurs kept for the explanation.
        features.sort_by_key(|f| (f.hash, f.at));
        features.dedup_by_key(|f| f.hash);
        Text { read, features }
    }

    fn word(&self, f: &Feature) -> &str {
        &self.read[f.at..f.at + f.len]
    }

    /// The hashes of its character pairs and words, ascending (the features are kept sorted).
    fn pairs(&self) -> impl Iterator<Item = u64> + '_ {
        self.features
            .iter()
            .filter(|f| self.word(f).chars().nth(1).is_some())
            .map(|f| f.hash)
    }

    /// How alike two texts are, 0 to 1: the cosine of their sets of character pairs and
    /// words (single characters would make any two complaints look alike).
    pub fn similarity(&self, other: &Text) -> f64 {
        let (mut mine, mut theirs) = (self.pairs().peekable(), other.pairs().peekable());
        let (mut a, mut b, mut shared) = (0usize, 0usize, 0usize);
        // Both ascend: one merge counts each side and what they share.
        loop {
            match (mine.peek(), theirs.peek()) {
                (Some(x), Some(y)) if x == y => {
                    (a, b, shared) = (a + 1, b + 1, shared + 1);
                    mine.next();
                    theirs.next();
                }
                (Some(x), Some(y)) if x < y => {
                    a += 1;
                    mine.next();
                }
                (Some(_), Some(_)) => {
                    b += 1;
                    theirs.next();
                }
                (Some(_), None) => {
                    a += mine.by_ref().count();
                }
                (None, Some(_)) => {
                    b += theirs.by_ref().count();
                }
                (None, None) => break,
            }
        }
        if a == 0 || b == 0 {
            return 0.0;
        }
        shared as f64 / ((a * b) as f64).sqrt()
    }
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv(bytes);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type Rows<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

/// Counts what each label's texts contain; [`Trainer::finish`] turns the counts into a model.
#[derive(Default)]
pub struct Trainer {
    labels: Vec<String>,
    index: HashMap<String, usize>,
    texts: Vec<f64>,
    features: Vec<f64>,
    counts: Rows<Vec<f32>>,
}

impl Trainer {
    /// An empty trainer.
    pub fn new() -> Trainer {
        Trainer::default()
    }

    /// Learns that `text` is `label`, counted `weight` times (the seeded keywords count less
    /// than a real case).
    pub fn add(&mut self, text: &str, label: &str, weight: f32) {
        let label = match self.index.get(label) {
            Some(i) => *i,
            None => {
                let i = self.labels.len();
                self.labels.push(label.to_owned());
                self.index.insert(label.to_owned(), i);
                self.texts.push(0.0);
                self.features.push(0.0);
                for row in self.counts.values_mut() {
                    row.push(0.0);
                }
                i
            }
        };
        let n = self.labels.len();
        let text = Text::new(text);
        for f in &text.features {
            self.counts.entry(f.hash).or_insert_with(|| vec![0.0; n])[label] += weight;
        }
        self.texts[label] += f64::from(weight);
        self.features[label] += f64::from(weight) * text.features.len() as f64;
    }

    /// The model the counts make.
    pub fn finish(self) -> Model {
        let vocabulary = self.counts.len() as f64;
        let total: f64 = self.texts.iter().sum();
        let labels = self.labels.len() as f64;
        let denominators: Vec<f64> = self
            .features
            .iter()
            .map(|n| (n + f64::from(ALPHA) * vocabulary).max(f64::MIN_POSITIVE))
            .collect();
        let weights = self
            .counts
            .into_iter()
            .map(|(hash, row)| {
                let row: Box<[f32]> = row
                    .iter()
                    .zip(&denominators)
                    .map(|(n, d)| ((f64::from(*n + ALPHA)) / d).ln() as f32)
                    .collect();
                (hash, row)
            })
            .collect();
        Model {
            prior: self
                .texts
                .iter()
                .map(|n| ((n + 1.0) / (total + labels)).ln() as f32)
                .collect(),
            labels: self.labels,
            weights,
            learned_from: total,
        }
    }
}

/// A learned model: per feature, its log-likelihood under each label.
pub struct Model {
    labels: Vec<String>,
    prior: Vec<f32>,
    weights: Rows<Box<[f32]>>,
    learned_from: f64,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("labels", &self.labels.len())
            .field("features", &self.weights.len())
            .finish()
    }
}

/// One answer and how likely it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Guess {
    /// The label (a category code, or a department's kind).
    pub label: String,
    /// Its likelihood, 0 to 1.
    pub likelihood: f64,
}

/// The likeliest answers, best first, with the words that weighed most for the first.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// Up to the number asked for.
    pub guesses: Vec<Guess>,
    /// The text's words that weighed most for the first guess.
    pub words: Vec<String>,
}

impl Model {
    /// How many texts (by weight) it learned from.
    pub fn learned_from(&self) -> f64 {
        self.learned_from
    }

    /// Distinct features it knows.
    pub fn features(&self) -> usize {
        self.weights.len()
    }

    /// The `n` likeliest labels for `text`. The likelihoods are the model's posterior with
    /// the evidence tempered by the square root of the number of features, because naive
    /// Bayes counts overlapping pairs as independent and would otherwise say 0.999 to
    /// everything; BENCHMARKS.md measures how well they match the share of right answers.
    pub fn suggest(&self, text: &str, n: usize) -> Suggestion {
        let text = Text::new(text);
        let labels = self.labels.len();
        if labels == 0 {
            return Suggestion {
                guesses: Vec::new(),
                words: Vec::new(),
            };
        }
        let known: Vec<(&Feature, &[f32])> = text
            .features
            .iter()
            .filter_map(|f| self.weights.get(&f.hash).map(|w| (f, &**w)))
            .collect();
        let mut evidence = vec![0f32; labels];
        for (_, w) in &known {
            for (e, v) in evidence.iter_mut().zip(w.iter()) {
                *e += v;
            }
        }
        let temper = (known.len().max(1) as f32).sqrt();
        let scores: Vec<f32> = self
            .prior
            .iter()
            .zip(&evidence)
            .map(|(p, e)| p + e / temper)
            .collect();
        let top = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let odds: Vec<f64> = scores.iter().map(|s| f64::from(s - top).exp()).collect();
        let sum: f64 = odds.iter().sum();
        let mut order: Vec<usize> = (0..labels).collect();
        order.sort_by(|a, b| odds[*b].total_cmp(&odds[*a]).then(a.cmp(b)));
        let guesses: Vec<Guess> = order
            .iter()
            .take(n)
            .map(|i| Guess {
                label: self.labels[*i].clone(),
                likelihood: odds[*i] / sum,
            })
            .collect();
        let words = if known.is_empty() {
            Vec::new()
        } else {
            self.weighed_most(&text, &known, order[0])
        };
        Suggestion { guesses, words }
    }

    /// The words whose weights most favour `best` over the other labels' average, pairs
    /// before the single characters in them.
    fn weighed_most(&self, text: &Text, known: &[(&Feature, &[f32])], best: usize) -> Vec<String> {
        let others = (self.labels.len() - 1).max(1) as f32;
        let mut lift: Vec<(f32, &str)> = known
            .iter()
            .map(|(f, w)| {
                let rest = (w.iter().sum::<f32>() - w[best]) / others;
                (w[best] - rest, text.word(f))
            })
            .filter(|(l, w)| *l > 0.0 && !w.chars().any(|c| FUNCTION_CHARS.contains(c)))
            .collect();
        let single = |w: &str| w.chars().nth(1).is_none();
        lift.sort_by(|a, b| single(a.1).cmp(&single(b.1)).then(b.0.total_cmp(&a.0)));
        let mut words: Vec<String> = Vec::new();
        for (_, w) in lift {
            if words.len() == 4 {
                break;
            }
            if !words
                .iter()
                .any(|k| k.contains(w) || w.contains(k.as_str()))
            {
                words.push(w.to_owned());
            }
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_characters_pairs_and_latin_words_once() {
        let t = Text::new("ＷＩＦＩ下水道堵塞，下水道 5 号");
        let words: Vec<&str> = t.features.iter().map(|f| t.word(f)).collect();
        for w in ["wifi", "下", "下水", "水道", "堵塞"] {
            assert!(words.contains(&w), "{w} in {words:?}");
        }
        assert!(!words.contains(&"5"), "bare numbers are left out");
        assert_eq!(words.iter().filter(|w| **w == "下水").count(), 1);
        assert!(!words.contains(&"塞下"), "punctuation breaks a run");
    }

    fn model() -> Model {
        let mut t = Trainer::new();
        for (text, label) in [
            ("下水道堵塞污水漫溢", "0401"),
            ("雨后下水道返水", "0401"),
            ("排水管堵了污水横流", "0401"),
            ("路灯不亮晚上很黑", "0402"),
            ("巷子路灯坏了一周", "0402"),
            ("楼上噪音扰民", "0101"),
            ("邻居半夜噪音", "0101"),
        ] {
            t.add(text, label, 1.0);
        }
        t.finish()
    }

    #[test]
    fn ranks_by_words_and_says_which() {
        let s = model().suggest("小区门口下水道又堵塞了", 3);
        assert_eq!(s.guesses.len(), 3);
        assert_eq!(s.guesses[0].label, "0401");
        let total: f64 = model()
            .suggest("小区门口下水道又堵塞了", 9)
            .guesses
            .iter()
            .map(|g| g.likelihood)
            .sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(s.guesses[0].likelihood > s.guesses[1].likelihood);
        assert!(s.words.iter().any(|w| w == "下水" || w == "堵塞"), "{s:?}");
        assert_eq!(model().suggest("路灯一直不亮", 1).guesses[0].label, "0402");
    }

    #[test]
    fn an_unknown_text_leans_on_the_prior_and_explains_nothing() {
        let s = model().suggest("ＸＹＺ", 1);
        assert_eq!(s.guesses[0].label, "0401", "the commonest label");
        assert!(s.words.is_empty());
        let empty = Trainer::new().finish().suggest("下水道", 3);
        assert!(empty.guesses.is_empty());
    }

    #[test]
    fn similarity_reads_pairs() {
        let a = Text::new("3栋楼下下水道堵塞，污水漫到路面");
        let b = Text::new("三栋楼下的下水道堵了，污水漫出来");
        let c = Text::new("路灯不亮");
        assert!(a.similarity(&b) > 0.3, "{}", a.similarity(&b));
        assert_eq!(a.similarity(&c), 0.0);
        assert!((a.similarity(&a) - 1.0).abs() < 1e-9);
    }
}
