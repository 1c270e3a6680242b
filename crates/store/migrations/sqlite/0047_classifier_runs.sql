-- Each time the category and department suggestions are retrained (nightly, or when an
-- administrator asks): they learn from the cases closed up to `cutoff`, so every process
-- that sees the run learns the same model from the same rows. `held_out` cases, the last
-- month's, were classified by a model that had not seen them: `top1` and `top3` of them right.
CREATE TABLE classifier_runs (
    id INTEGER PRIMARY KEY,
    cutoff BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    held_out BIGINT NOT NULL,
    top1 BIGINT NOT NULL,
    top3 BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A 12345 order that came without a category waits too when the suggestion was not sure
-- enough to file it: the suggested category and how likely it was, for a person to confirm.
ALTER TABLE hotline_pending ADD COLUMN category_likelihood DOUBLE PRECISION;
