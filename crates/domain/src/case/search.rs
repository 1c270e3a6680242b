//! Search terms for Chinese text. Written Chinese has no spaces, so text is indexed by
//! overlapping two-character pairs (the CJK bigram analysis search engines use): every pair of
//! neighbouring characters is a term, so any query of two or more characters — 漏水, 消防通道 —
//! finds every text containing it, with no dictionary to load or keep up to date. Runs of
//! Latin letters and digits count as one unit (3栋 → "3栋"), and are also terms on their own.

/// Why a query cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing searchable, or a lone Chinese character.
    #[error("请输入至少两个汉字，或一个字母数字组合")]
    TooShort,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Splits text into runs of units: a unit is one Chinese character or a run of letters and
/// digits (lower-cased); anything else separates runs.
fn runs(text: &str) -> Vec<Vec<String>> {
    let mut runs = Vec::new();
    let (mut run, mut word) = (Vec::<String>::new(), String::new());
    let flush_word = |word: &mut String, run: &mut Vec<String>| {
        if !word.is_empty() {
            run.push(std::mem::take(word));
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut run);
            run.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else {
            flush_word(&mut word, &mut run);
            if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
    }
    flush_word(&mut word, &mut run);
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

fn is_word(unit: &str) -> bool {
    !unit.chars().any(is_cjk)
}

/// The terms a text is indexed under, sorted and without repeats.
pub fn index_terms(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for run in runs(text) {
        if run.len() == 1 {
            terms.push(run[0].clone());
            continue;
        }
        terms.extend(run.windows(2).map(|w| format!("{}{}", w[0], w[1])));
        terms.extend(run.iter().filter(|u| is_word(u)).cloned());
    }
    terms.sort();
    terms.dedup();
    terms
}

/// The terms a text must have to match the query (all of them).
pub fn query_terms(query: &str) -> Result<Vec<String>, QueryError> {
    let mut terms = Vec::new();
    for run in runs(query) {
        match run.as_slice() {
            [unit] if is_word(unit) => terms.push(unit.clone()),
            [_] => return Err(QueryError::TooShort),
            _ => terms.extend(run.windows(2).map(|w| format!("{}{}", w[0], w[1]))),
        }
    }
    if terms.is_empty() {
        return Err(QueryError::TooShort);
    }
    terms.sort();
    terms.dedup();
    Ok(terms)
}

/// Whether a text matches a query (the rule the database indexes implement).
pub fn matches(text: &str, query: &str) -> bool {
    let have = index_terms(text);
    query_terms(query).is_ok_and(|q| q.iter().all(|t| have.binary_search(t).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_character_query_finds_it_anywhere() {
        assert!(matches("楼上卫生间漏水渗到楼下", "漏水"));
        assert!(matches("漏水", "漏水"));
        assert!(!matches("楼上卫生间渗水", "漏水"));
        assert!(matches("3栋2单元楼道堆放纸箱，堵塞消防通道", "消防通道"));
        assert!(matches("3栋2单元楼道堆放纸箱", "3栋"));
        assert!(matches("小区WiFi故障", "wifi"));
        assert!(
            matches("小区WiFi故障", "WiFi 故障"),
            "several words: all must match"
        );
        assert!(!matches("小区WiFi故障", "WiFi 漏水"));
    }

    #[test]
    fn terms_are_bigrams_and_words() {
        assert_eq!(index_terms("3栋漏水"), ["3", "3栋", "栋漏", "漏水"]);
        assert_eq!(index_terms("水"), ["水"]);
    }

    #[test]
    fn lone_characters_and_punctuation_are_too_short() {
        assert_eq!(query_terms("水"), Err(QueryError::TooShort));
        assert_eq!(query_terms("，。 "), Err(QueryError::TooShort));
        assert_eq!(query_terms("110"), Ok(vec!["110".to_owned()]));
    }
}
