-- Which tags are sensitive personal information (PIPL art. 28: health, criminal justice,
-- welfare, minors): listed by person only to the grid, the community and the departments whose
-- duty the tag is; everyone else counts them in figures.
ALTER TABLE tag_kinds ADD COLUMN sensitive BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE tag_kinds SET sensitive = TRUE
WHERE code IN ('disabled', 'low_income', 'left_behind_child', 'community_correction',
               'released', 'mental_illness', 'drug_rehab', 'pregnant');

-- The departments (by kind, as departments.kind names them) whose duty a tag is: they list the
-- people carrying it within their jurisdiction, and nobody else. The security administrator
-- changes these.
CREATE TABLE tag_duties (
    tag TEXT NOT NULL REFERENCES tag_kinds (code),
    department_kind TEXT NOT NULL,
    PRIMARY KEY (tag, department_kind)
);
INSERT INTO tag_duties (tag, department_kind) VALUES
    ('elderly_alone', '民政'),
    ('empty_nest', '民政'),
    ('disabled', '民政'),
    ('disabled', '残联'),
    ('low_income', '民政'),
    ('left_behind_child', '民政'),
    ('left_behind_child', '妇联'),
    ('veteran', '退役军人事务'),
    ('community_correction', '司法所'),
    ('community_correction', '派出所'),
    ('released', '司法所'),
    ('released', '派出所'),
    ('mental_illness', '卫健'),
    ('mental_illness', '派出所'),
    ('drug_rehab', '派出所'),
    ('drug_rehab', '卫健'),
    ('pregnant', '卫健');
