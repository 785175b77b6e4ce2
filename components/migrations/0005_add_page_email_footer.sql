-- The footer every email ends with: plain text of a few lines, such as the
-- sender's postal address that mailing laws ask for. Empty for none.
ALTER TABLE pages ADD COLUMN email_footer TEXT NOT NULL DEFAULT '';
