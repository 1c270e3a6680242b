-- The other three registers: grid facts (网格基础信息册), staff (网格长(员)信息册) and key
-- places (网格重点场所信息册), plus the attention tags every district starts with.

CREATE TABLE grid_facts (
    node_code TEXT PRIMARY KEY NOT NULL REFERENCES region_nodes (code),
    area_km2 DOUBLE PRECISION,
    party_branch TEXT NOT NULL,
    party_secretary TEXT NOT NULL,
    party_members INTEGER,
    note TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    account_id BIGINT UNIQUE REFERENCES accounts (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    phone_sealed BLOB,
    phone_index BLOB,
    phone_masked TEXT,
    party_member BOOLEAN NOT NULL,
    duties TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX staff_node ON staff (node_code, id);

-- One person may serve several grids.
CREATE TABLE staff_grids (
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    PRIMARY KEY (staff_id, node_code)
);
CREATE INDEX staff_grids_node ON staff_grids (node_code);

CREATE TABLE staff_trainings (
    id INTEGER PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    day TEXT NOT NULL,
    topic TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL
);
CREATE INDEX staff_trainings_staff ON staff_trainings (staff_id, day);

CREATE TABLE places (
    id INTEGER PRIMARY KEY,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    contact TEXT NOT NULL,
    contact_phone_sealed BLOB,
    contact_phone_index BLOB,
    contact_phone_masked TEXT,
    risk TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (node_code, name)
);
CREATE INDEX places_node ON places (node_code, kind);

CREATE TABLE place_inspections (
    id INTEGER PRIMARY KEY,
    place_id BIGINT NOT NULL REFERENCES places (id),
    day TEXT NOT NULL,
    inspector_id BIGINT REFERENCES accounts (id),
    inspector_label TEXT NOT NULL,
    result TEXT NOT NULL,
    hazards TEXT NOT NULL
);
CREATE INDEX place_inspections_place ON place_inspections (place_id, day);

INSERT INTO tag_kinds (code, name, visit_days, sort) VALUES
    ('elderly_alone', '独居老人', 7, 1),
    ('empty_nest', '空巢老人', 14, 2),
    ('disabled', '残疾人', 30, 3),
    ('low_income', '低保/困难家庭', 30, 4),
    ('left_behind_child', '留守儿童', 14, 5),
    ('veteran', '退役军人', 90, 6),
    ('community_correction', '社区矫正', 7, 7),
    ('released', '刑满释放', 30, 8),
    ('mental_illness', '严重精神障碍', 7, 9),
    ('drug_rehab', '社区戒毒康复', 14, 10),
    ('pregnant', '孕产妇', 30, 11);

-- The register's own household number (户编号), as the community's sheet writes it.
ALTER TABLE households ADD COLUMN ref TEXT NOT NULL DEFAULT '';
CREATE INDEX households_ref ON households (node_code, ref);
