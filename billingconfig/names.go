package billingconfig

import (
	"fmt"
	"strings"
	"unicode"
)

// initialisms are written in capitals in Go names (api-calls -> APICalls),
// as the Go style guide asks.
var initialisms = map[string]bool{
	"ACL": true, "AI": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "CSV": true,
	"DNS": true, "EOF": true, "GPU": true, "GUID": true, "HTML": true, "HTTP": true, "HTTPS": true,
	"ID": true, "IP": true, "JSON": true, "LLM": true, "PDF": true, "QPS": true, "RAM": true,
	"RPC": true, "SDK": true, "SLA": true, "SMS": true, "SMTP": true, "SQL": true, "SSH": true,
	"SSO": true, "TCP": true, "TLS": true, "TTL": true, "UDP": true, "UI": true, "UID": true,
	"URI": true, "URL": true, "UTF8": true, "UUID": true, "VM": true, "XML": true,
}

// goName turns a key into the exported Go name that follows prefix:
// ("Meter", "api-calls") -> "MeterAPICalls". Every character that is not a
// letter or digit separates words.
func goName(prefix, key string) (string, error) {
	words := strings.FieldsFunc(key, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	})
	if len(words) == 0 {
		return "", fmt.Errorf("key %q has no letters or digits to make a Go name of", key)
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, w := range words {
		if up := strings.ToUpper(w); initialisms[up] {
			b.WriteString(up)
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]))
		b.WriteString(w[1:])
	}
	return b.String(), nil
}
