-- The language visitors read the page in when they ask for none of
-- Beacon's (a BCP 47 code of internal/i18n, such as "de"); empty for
-- English, Beacon's own, as every page was before.
ALTER TABLE pages ADD COLUMN language TEXT NOT NULL DEFAULT '';
