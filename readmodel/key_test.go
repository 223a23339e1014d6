package readmodel_test

import (
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/readmodel"
)

func TestKeyPrefixIsolation(t *testing.T) {
	ids := []string{"a", "ab", "a:b", "a%3Ab", "a%", "", ":", "é", "A", "a b", "a/b"}
	for _, c := range ids {
		for _, other := range ids {
			k := readmodel.Key(other, "feature", "x")
			has := strings.HasPrefix(k, readmodel.CustomerPrefix(c))
			if has != (c == other) {
				t.Errorf("Key(%q, ...) = %q; HasPrefix(CustomerPrefix(%q) = %q) = %v", other, k, c, readmodel.CustomerPrefix(c), has)
			}
		}
	}
}

func TestKeyRoundTrip(t *testing.T) {
	for _, parts := range [][3]string{
		{"cus_1", "feature", "export"},
		{"a:b", "limit", "seats:max"},
		{"", "", ""},
		{"é\x00\xff", "%", "~._-"},
	} {
		k := readmodel.Key(parts[0], parts[1], parts[2])
		if err := readmodel.ValidateKey(k); err != nil {
			t.Errorf("Key(%q) = %q is not a valid key: %v", parts, k, err)
		}
		c, kind, name, ok := readmodel.SplitKey(k)
		if !ok || c != parts[0] || kind != parts[1] || name != parts[2] {
			t.Errorf("SplitKey(%q) = %q, %q, %q, %v; want %q", k, c, kind, name, ok, parts)
		}
		if !strings.HasPrefix(k, readmodel.KindPrefix(parts[0], parts[1])) {
			t.Errorf("Key %q lacks its KindPrefix %q", k, readmodel.KindPrefix(parts[0], parts[1]))
		}
	}
	if got := readmodel.Key("cus 1", "feature", "a:b"); got != "cus%201:feature:a%3Ab" {
		t.Errorf("Key = %q, want cus%%201:feature:a%%3Ab", got)
	}
}

func TestSplitKeyRefusesOtherStrings(t *testing.T) {
	for _, s := range []string{"", "a", "a:b", "a:b:c:d", "a%:b:c", "a%4:b:c", "a%zz:b:c", "%61:b:c", "a%3a:b:c", "a b:c:d"} {
		if c, k, n, ok := readmodel.SplitKey(s); ok {
			t.Errorf("SplitKey(%q) = %q, %q, %q, true; want false", s, c, k, n)
		}
	}
}
