-- Road names with house-number ranges (门牌段), imported by an administrator, so an address
-- such as 中山路88号 finds its grid even where no building or place of the registers has it.
CREATE TABLE road_ranges (
    id INTEGER PRIMARY KEY,
    road TEXT NOT NULL,
    first_no INTEGER NOT NULL,
    last_no INTEGER NOT NULL,
    side TEXT NOT NULL,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    created_at BIGINT NOT NULL
);
CREATE INDEX road_ranges_road ON road_ranges (road);
