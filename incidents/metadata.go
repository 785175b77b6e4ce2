package incidents

import (
	"bytes"
	"encoding/json"
)

// maxMetadata bounds an incident's metadata, in bytes of compact JSON: it
// is for a few references to other systems, not for documents.
const maxMetadata = 16 << 10

// maxMetadataDepth bounds how deeply metadata nests. Go reads any depth,
// but other clients of the API do not (Ruby's JSON stops at 100 levels),
// and one key holder must not be able to break every other client.
const maxMetadataDepth = 32

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
	if jsonDepth(buf.Bytes()) > maxMetadataDepth {
		return nil, invalid("metadata", "is nested too deeply (maximum is %d levels)", maxMetadataDepth)
	}
	return json.RawMessage(buf.Bytes()), nil
}

// jsonDepth returns how deeply the objects and arrays of valid compact JSON
// nest, skipping brackets inside strings.
func jsonDepth(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++ // the escaped character cannot end the string
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
