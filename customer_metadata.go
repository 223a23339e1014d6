package guapocado

import (
	"bytes"
	"encoding/json"
)

// customerJSON is Customer's JSON with metadata of any shape.
type customerJSON struct {
	ID       string          `json:"id"`
	Name     string          `json:"name,omitempty"`
	Email    string          `json:"email,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// UnmarshalJSON reads metadata leniently, never failing on its shape: an
// object, or a string holding one, fills Metadata; anything else is kept in
// MetadataRaw.
func (c *Customer) UnmarshalJSON(b []byte) error {
	var v customerJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Customer{ID: v.ID, Name: v.Name, Email: v.Email}
	c.Metadata, c.MetadataRaw = parseMetadata(v.Metadata)
	return nil
}

// MarshalJSON writes Metadata as an object, or else MetadataRaw as a
// string.
func (c Customer) MarshalJSON() ([]byte, error) {
	v := customerJSON{ID: c.ID, Name: c.Name, Email: c.Email}
	var err error
	switch {
	case len(c.Metadata) > 0:
		v.Metadata, err = json.Marshal(c.Metadata)
	case c.MetadataRaw != "":
		v.Metadata, err = json.Marshal(c.MetadataRaw)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// parseMetadata reads metadata sent as an object or as a JSON string
// (holding an object, or anything else, which is kept raw).
func parseMetadata(raw json.RawMessage) (map[string]any, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, string(raw)
		}
		if m, ok := metadataObject([]byte(s)); ok {
			return m, ""
		}
		return nil, s
	}
	if m, ok := metadataObject(raw); ok {
		return m, ""
	}
	return nil, string(raw)
}

// metadataObject decodes b when it is a JSON object.
func metadataObject(b []byte) (map[string]any, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, false
	}
	return m, true
}
