-- A maintenance's revision number in the maintenance calendar (iCalendar's
-- SEQUENCE): raised each time its window moves, or it is cancelled or that
-- is undone, so calendar applications replace the event they hold. Kept
-- rather than derived, because moving a window leaves no timeline entry.
ALTER TABLE incidents ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
