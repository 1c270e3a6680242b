-- Full-text search of cases: each case's search terms (Chinese bigrams and words, worked out
-- in Rust), space-separated, in an FTS5 index keyed by the case id. Queries only ask whether
-- every term occurs, so the index keeps no positions (detail=none) and no sizes: a smaller
-- index that is cheaper to write with every report.
CREATE VIRTUAL TABLE case_terms USING fts5 (terms, tokenize = 'unicode61', detail = 'none', columnsize = 0);
