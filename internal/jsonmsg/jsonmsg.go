// Package jsonmsg describes JSON decoding errors to people: what was found
// and what was wanted, in JSON's words rather than Go's type names, and
// never the body itself.
package jsonmsg

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Describe says what a decoding error found, e.g. "data.amount is a JSON
// string, want a number" or "invalid JSON at byte 12".
func Describe(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s is a JSON %s, want %s", te.Field, te.Value, kindName(te.Type.Kind().String()))
		}
		return fmt.Sprintf("a JSON %s where %s was expected", te.Value, kindName(te.Type.Kind().String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	return err.Error() // e.g. a time that is not RFC 3339, from time.Time
}

func kindName(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return "a number"
}
