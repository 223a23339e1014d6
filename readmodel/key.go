package readmodel

import "strings"

// Key builds the key of one record: the customer id, the kind of record
// (such as "feature", "limit" or "subscription") and its name, each escaped
// and joined by ':'.
//
// Escaping writes every byte outside [A-Za-z0-9._~-] as %XX, so no escaped
// part contains ':' and every key of customer c starts with exactly
// [CustomerPrefix](c): customer "a" never lists the records of "ab" or of
// "a:b". The result is plain ASCII and always passes [ValidateKey] unless it
// is longer than [MaxKeyLen]. [SplitKey] reverses it.
func Key(customerID, kind, name string) string {
	var b strings.Builder
	b.Grow(len(customerID) + len(kind) + len(name) + 2)
	escapeTo(&b, customerID)
	b.WriteByte(':')
	escapeTo(&b, kind)
	b.WriteByte(':')
	escapeTo(&b, name)
	return b.String()
}

// CustomerPrefix is the prefix that every [Key] of customerID starts with
// and no key of another customer does; pass it to [Store.List].
func CustomerPrefix(customerID string) string {
	var b strings.Builder
	escapeTo(&b, customerID)
	b.WriteByte(':')
	return b.String()
}

// KindPrefix is the prefix of the keys of one customer's records of one
// kind, for listing, say, only a customer's features.
func KindPrefix(customerID, kind string) string {
	var b strings.Builder
	escapeTo(&b, customerID)
	b.WriteByte(':')
	escapeTo(&b, kind)
	b.WriteByte(':')
	return b.String()
}

// SplitKey returns the three parts of a key made by [Key]; ok is false for
// any other string.
func SplitKey(key string) (customerID, kind, name string, ok bool) {
	parts := strings.Split(key, ":")
	if len(parts) != 3 {
		return "", "", "", false
	}
	out := make([]string, 3)
	for i, p := range parts {
		s, good := unescape(p)
		if !good {
			return "", "", "", false
		}
		out[i] = s
	}
	return out[0], out[1], out[2], true
}

const hexDigits = "0123456789ABCDEF"

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func escapeTo(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
}

// unescape reverses escapeTo and accepts only its exact output, so one
// string has one key.
func unescape(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		if c != '%' || i+2 >= len(s) {
			return "", false
		}
		hi := strings.IndexByte(hexDigits, s[i+1])
		lo := strings.IndexByte(hexDigits, s[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		d := byte(hi<<4 | lo)
		if unreserved(d) {
			return "", false
		}
		b.WriteByte(d)
		i += 2
	}
	return b.String(), true
}
