-- Every delivery sent moved its entry in deliveries_event from 'pending'
-- to 'sent': an index deletion and insertion per message, and, with the
-- outcomes now committed in small groups, the same few index pages
-- written again by every group commit. The one query by event (the
-- incident's delivery progress) reads each delivery's row anyway (its
-- claim), and deliveries_once, which starts with event_id, finds them.
DROP INDEX deliveries_event;
