-- 12345 hotline work orders keep the hotline's order number; one case per order, so a file
-- imported twice adds nothing the second time.
ALTER TABLE cases ADD COLUMN hotline_order TEXT;
CREATE UNIQUE INDEX cases_hotline_order ON cases (hotline_order) WHERE hotline_order IS NOT NULL;
