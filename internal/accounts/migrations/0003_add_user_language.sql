-- The language the staff console speaks to a user (a BCP 47 code of
-- internal/i18n, such as "de"); empty to follow the page's language, as
-- every user did before.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
