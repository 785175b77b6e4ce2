-- An address that follows incidents only (page_wide = 0) and has asked to
-- hear the whole page too: its page confirmation link may promote it.
-- Without the mark, an old confirmation link would bring back an address
-- that left the page and later followed an incident.
ALTER TABLE subscribers ADD COLUMN page_pending INTEGER NOT NULL DEFAULT 0;
