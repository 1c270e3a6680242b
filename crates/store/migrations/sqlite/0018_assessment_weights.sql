-- Each district's assessment weights, entered by its command centre; the domain's defaults
-- until then.
CREATE TABLE assessment_weights (
    district_code TEXT PRIMARY KEY NOT NULL REFERENCES region_nodes (code),
    found DOUBLE PRECISION NOT NULL,
    on_time DOUBLE PRECISION NOT NULL,
    patrol DOUBLE PRECISION NOT NULL,
    visits DOUBLE PRECISION NOT NULL,
    satisfaction DOUBLE PRECISION NOT NULL,
    mass DOUBLE PRECISION NOT NULL,
    peer DOUBLE PRECISION NOT NULL,
    org DOUBLE PRECISION NOT NULL,
    found_target BIGINT NOT NULL,
    by_account BIGINT NOT NULL REFERENCES accounts (id),
    at BIGINT NOT NULL
);
