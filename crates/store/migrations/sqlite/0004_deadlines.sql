-- 工作日历: exceptions to the Monday-to-Friday rule (public holidays, make-up working days).
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
) WITHOUT ROWID;

-- Which clock a category's deadlines run on (natural hours or working days only).
ALTER TABLE categories ADD COLUMN clock TEXT NOT NULL DEFAULT 'natural';
UPDATE categories SET clock = 'working'
WHERE code LIKE '01%' OR code LIKE '05%' OR code LIKE '07%';

-- A case keeps the clock it was reported under; a suspended case's clock stands still.
ALTER TABLE cases ADD COLUMN clock TEXT NOT NULL DEFAULT 'natural';
ALTER TABLE cases ADD COLUMN suspended_at BIGINT;
ALTER TABLE cases ADD COLUMN extensions SMALLINT NOT NULL DEFAULT 0;

-- 延期/挂起申请 and the level above's decision.
CREATE TABLE case_requests (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    hours BIGINT,
    reason TEXT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES accounts (id),
    requested_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES accounts (id),
    decided_at BIGINT,
    approved BOOLEAN,
    decision_note TEXT
);
-- One undecided request per case.
CREATE UNIQUE INDEX case_requests_pending ON case_requests (case_id) WHERE decided_at IS NULL;
