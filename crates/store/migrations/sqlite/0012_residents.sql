-- 网格居民信息册: buildings → houses → households → persons, with tags for people who need
-- attention. node_code is the grid (or micro-grid) a building lies in, copied down so every
-- scope check is one range on an indexed code; community_code lets "name starts with … in
-- this community" be one index range.
CREATE TABLE buildings (
    id INTEGER PRIMARY KEY,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    floors INTEGER,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    created_at BIGINT NOT NULL,
    UNIQUE (node_code, name)
);

CREATE TABLE houses (
    id INTEGER PRIMARY KEY,
    building_id BIGINT NOT NULL REFERENCES buildings (id),
    unit TEXT NOT NULL,
    floor INTEGER,
    room TEXT NOT NULL,
    use_kind TEXT NOT NULL,
    UNIQUE (building_id, unit, room)
);

CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    house_id BIGINT NOT NULL REFERENCES houses (id),
    node_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX households_node ON households (node_code, id);
CREATE INDEX households_house ON households (house_id);

-- Moving a household keeps where it lived before.
CREATE TABLE household_moves (
    id INTEGER PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households (id),
    from_house_id BIGINT NOT NULL REFERENCES houses (id),
    to_house_id BIGINT NOT NULL REFERENCES houses (id),
    at BIGINT NOT NULL,
    actor_id BIGINT
);
CREATE INDEX household_moves_household ON household_moves (household_id, id);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households (id),
    node_code TEXT NOT NULL,
    community_code TEXT NOT NULL,
    name TEXT NOT NULL,
    id_sealed BLOB,
    id_index BLOB,
    id_masked TEXT,
    birth_date TEXT,
    sex TEXT,
    phone_sealed BLOB,
    phone_index BLOB,
    phone_masked TEXT,
    relation TEXT NOT NULL,
    status TEXT NOT NULL,
    moved_in TEXT,
    moved_out TEXT,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One person, one household: the same ID number cannot be registered twice.
CREATE UNIQUE INDEX persons_id_index ON persons (id_index) WHERE id_index IS NOT NULL;
CREATE INDEX persons_phone_index ON persons (phone_index) WHERE phone_index IS NOT NULL;
CREATE INDEX persons_community_name ON persons (community_code, name);
CREATE INDEX persons_node ON persons (node_code, id);
CREATE INDEX persons_household ON persons (household_id);

-- Kinds of attention (重点人群标签), configurable; visit_days is how often a tagged person is
-- due a visit.
CREATE TABLE tag_kinds (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    visit_days INTEGER,
    sort INTEGER NOT NULL
);

CREATE TABLE person_tags (
    person_id BIGINT NOT NULL REFERENCES persons (id),
    tag TEXT NOT NULL REFERENCES tag_kinds (code),
    level TEXT NOT NULL,
    carer_account_id BIGINT REFERENCES accounts (id),
    next_visit TEXT,
    note TEXT NOT NULL,
    PRIMARY KEY (person_id, tag)
);
CREATE INDEX person_tags_tag ON person_tags (tag, person_id);
