-- The language a subscriber reads its messages in: the code of one of
-- Beacon's languages (internal/i18n), such as "de" or "pt-BR", set from the
-- page the visitor signed up on, the manage screen or the API. Empty
-- follows the page's default language, as every subscriber made before
-- this column does.
ALTER TABLE subscribers ADD COLUMN language TEXT NOT NULL DEFAULT '';
