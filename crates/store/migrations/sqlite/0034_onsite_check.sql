-- 就地处置: whether a matter of the category that a grid worker dealt with on the spot still
-- goes to the community's 核查 (the default), or waits only to be closed.
ALTER TABLE categories ADD COLUMN onsite_check BOOLEAN NOT NULL DEFAULT TRUE;
