-- The dashboard reads a period's summonses first and their cases after: under a whole city the
-- case side is every case, the period side a few hundred rows.
CREATE INDEX case_summons_summoned ON case_summons (summoned_at);
