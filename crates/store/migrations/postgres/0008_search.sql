-- Full-text search of cases: each case's search terms (Chinese bigrams and words, worked out
-- in Rust) as an array under a GIN index; a query matches when the array contains all terms.
ALTER TABLE cases ADD COLUMN search_terms TEXT[];
CREATE INDEX cases_search_terms ON cases USING GIN (search_terms);
