-- 现场照片: photos of a case, stored re-encoded (upright, without EXIF) with a thumbnail.
-- Public ones show on the reporter's tracking page; internal ones only to staff.
CREATE TABLE case_photos (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    stage TEXT NOT NULL,
    public INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    photo BLOB NOT NULL,
    thumb BLOB NOT NULL,
    added_by INTEGER REFERENCES accounts (id),
    added_label TEXT NOT NULL,
    added_at INTEGER NOT NULL
);
CREATE INDEX case_photos_case ON case_photos (case_id, id);
