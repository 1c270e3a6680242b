-- 吹哨报到: departments summoned to a case, when they reported in, and what they did.
CREATE TABLE case_summons (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    summoned_by BIGINT REFERENCES accounts (id),
    summoned_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    reported_at BIGINT,
    reported_by BIGINT REFERENCES accounts (id),
    part TEXT,
    UNIQUE (case_id, department_id)
);
CREATE INDEX case_summons_department ON case_summons (department_id, summoned_at);
