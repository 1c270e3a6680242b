-- 我也遇到了: residents who meet a problem already reported add themselves to it instead of
-- filing a duplicate. A phone (blind index only) keeps one person to one mark per case.
CREATE TABLE case_supporters (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    phone_index BLOB,
    at INTEGER NOT NULL
);
CREATE UNIQUE INDEX case_supporters_phone ON case_supporters (case_id, phone_index) WHERE phone_index IS NOT NULL;
CREATE INDEX case_supporters_case ON case_supporters (case_id);
