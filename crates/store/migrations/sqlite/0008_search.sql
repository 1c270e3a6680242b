-- Full-text search of cases: each case's search terms (Chinese bigrams and words, worked out
-- in Rust), space-separated, in an FTS5 index keyed by the case id.
CREATE VIRTUAL TABLE case_terms USING fts5 (terms, tokenize = 'unicode61');
