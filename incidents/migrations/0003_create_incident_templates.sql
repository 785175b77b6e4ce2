-- Incident templates: prepared text for the incidents staff post often.
-- component_ids is a JSON array; ids of components deleted since are
-- dropped when the template is read.
CREATE TABLE incident_templates (
    id                        TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    title                     TEXT NOT NULL,
    body                      TEXT NOT NULL,
    update_status             TEXT NOT NULL,
    should_send_notifications INTEGER NOT NULL,
    component_ids             TEXT NOT NULL DEFAULT '[]',
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
) STRICT;
