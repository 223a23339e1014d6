package billingconfig

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a billing config.
type Problem struct {
	// Path is where in the file: "entitlements.api-calls.type",
	// "products[1].entitlements.seats.included", or "" for the whole file.
	Path string
	// Message says what is wrong and what is expected.
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationError lists every problem found in a billing config.
type ValidationError struct {
	// File is the file's path when it was read by Load.
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	name := e.File
	if name == "" {
		name = "billing config"
	}
	if len(e.Problems) == 1 {
		fmt.Fprintf(&b, "billingconfig: %s: %s", name, e.Problems[0])
		return b.String()
	}
	fmt.Fprintf(&b, "billingconfig: %s: %d problems:", name, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.String())
	}
	return b.String()
}
