package incidents

import (
	"bytes"
	"encoding/json"
)

// maxMetadata bounds an incident's metadata, in bytes of compact JSON: it
// is for a few references to other systems, not for documents.
const maxMetadata = 16 << 10

// normalizeMetadata checks that raw is a JSON object of bounded size and
// returns it compacted; an empty object, null or nothing mean no metadata
// (nil).
func normalizeMetadata(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		return nil, invalid("metadata", "must be a JSON object")
	}
	if len(obj) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, invalid("metadata", "must be a JSON object")
	}
	if buf.Len() > maxMetadata {
		return nil, invalid("metadata", "is too large (maximum is %d bytes of JSON)", maxMetadata)
	}
	return json.RawMessage(buf.Bytes()), nil
}
