-- Branding of the public page: a logo and an accent colour.
ALTER TABLE pages ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN accent_color TEXT NOT NULL DEFAULT '';
