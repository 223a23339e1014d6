// Package storetest is the contract suite of [readmodel.Store]: run it
// against a store of your own to check that it behaves as the shipped ones
// do, since the read model relies on exactly that behaviour.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) readmodel.Store {
//			return newEmptyStoreForTest(t) // a fresh, empty store each call
//		})
//	}
//
// Each subtest calls newStore once and expects an empty store; release what
// it holds with t.Cleanup. The suite sleeps only to let 1 ms claims expire,
// and runs in a few seconds against a local database.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/readmodel"
)

// Run runs the contract suite as subtests of t. newStore must return a new,
// empty store each time it is called.
func Run(t *testing.T, newStore func(t *testing.T) readmodel.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, readmodel.Store)
	}{
		{"GetMissing", testGetMissing},
		{"PutGet", testPutGet},
		{"WrittenAtDefault", testWrittenAtDefault},
		{"ValueIsCopied", testValueIsCopied},
		{"LastWriteWins", testLastWriteWins},
		{"EqualTimeWins", testEqualTimeWins},
		{"Tombstones", testTombstones},
		{"ListPrefix", testListPrefix},
		{"ListRawPrefixes", testListRawPrefixes},
		{"InvalidArguments", testInvalidArguments},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ConcurrentIdenticalPuts", testConcurrentIdenticalPuts},
		{"Claim", testClaim},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ClaimExpiry", testClaimExpiry},
		{"ClaimComplete", testClaimComplete},
		{"ClaimRelease", testClaimRelease},
		{"Rank", testRank},
		{"LargeValues", testLargeValues},
		{"ContextCanceled", testContextCanceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.fn(t, s)
		})
	}
	runSecrets(t, newStore)
}

// base is a SourceTime with nanoseconds, so a store that rounds times fails.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

func put(t *testing.T, s readmodel.Store, key, value string, src time.Time) bool {
	t.Helper()
	won, err := s.Put(context.Background(), readmodel.Record{Key: key, Value: []byte(value), SourceTime: src})
	if err != nil {
		t.Fatalf("Put(%q, %s, %s): %v", key, value, src.Format(time.RFC3339Nano), err)
	}
	return won
}

func del(t *testing.T, s readmodel.Store, key string, src time.Time) bool {
	t.Helper()
	won, err := s.Delete(context.Background(), key, src)
	if err != nil {
		t.Fatalf("Delete(%q, %s): %v", key, src.Format(time.RFC3339Nano), err)
	}
	return won
}

// want checks that key holds value written at src, or is absent when value
// is "".
func want(t *testing.T, s readmodel.Store, key, value string, src time.Time) {
	t.Helper()
	rec, found, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if value == "" {
		if found {
			t.Fatalf("Get(%q) found %s (source time %s), want no record", key, rec.Value, rec.SourceTime)
		}
		return
	}
	if !found {
		t.Fatalf("Get(%q) found nothing, want %s", key, value)
	}
	if rec.Key != key || string(rec.Value) != value || !rec.SourceTime.Equal(src) {
		t.Fatalf("Get(%q) = {Key %q, Value %s, SourceTime %s}, want {Key %q, Value %s, SourceTime %s}",
			key, rec.Key, rec.Value, rec.SourceTime.Format(time.RFC3339Nano),
			key, value, src.Format(time.RFC3339Nano))
	}
}

func keys(t *testing.T, s readmodel.Store, prefix string) []string {
	t.Helper()
	recs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

func sameKeys(t *testing.T, prefix string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != len(want) {
		t.Fatalf("List(%q) keys = %q, want %q (sorted by key)", prefix, got, want)
	}
}

func testGetMissing(t *testing.T, s readmodel.Store) {
	want(t, s, readmodel.Key("cus_1", "feature", "export"), "", time.Time{})
	sameKeys(t, "", keys(t, s, ""))
}

func testPutGet(t *testing.T, s readmodel.Store) {
	key := readmodel.Key("cus_1", "feature", "export")
	written := time.Date(2025, 3, 14, 15, 10, 0, 123456789, time.UTC)
	won, err := s.Put(context.Background(), readmodel.Record{
		Key: key, Value: []byte(`{"enabled":true}`), SourceTime: at(0), WrittenAt: written,
	})
	if err != nil || !won {
		t.Fatalf("Put on an empty key = (won %v, %v), want (true, nil)", won, err)
	}
	want(t, s, key, `{"enabled":true}`, at(0))
	rec, _, _ := s.Get(context.Background(), key)
	if !rec.WrittenAt.Equal(written) {
		t.Fatalf("WrittenAt = %s, want %s as given", rec.WrittenAt.Format(time.RFC3339Nano), written.Format(time.RFC3339Nano))
	}
	// Any JSON document is a value, scalars included.
	for i, v := range []string{`true`, `0`, `"text"`, `null`, `[1,2]`} {
		k := readmodel.Key("cus_1", "scalar", fmt.Sprint(i))
		put(t, s, k, v, at(0))
		want(t, s, k, v, at(0))
	}
}

func testWrittenAtDefault(t *testing.T, s readmodel.Store) {
	key := readmodel.Key("cus_1", "limit", "seats")
	put(t, s, key, `{"limit":5}`, at(0))
	rec, found, err := s.Get(context.Background(), key)
	if err != nil || !found {
		t.Fatalf("Get = (found %v, %v)", found, err)
	}
	if rec.WrittenAt.IsZero() {
		t.Fatal("WrittenAt is zero after a Put without one; the store should fill in its clock's time")
	}
}

func testValueIsCopied(t *testing.T, s readmodel.Store) {
	key := readmodel.Key("cus_1", "feature", "export")
	v := []byte(`{"n":1}`)
	if _, err := s.Put(context.Background(), readmodel.Record{Key: key, Value: v, SourceTime: at(0)}); err != nil {
		t.Fatal(err)
	}
	copy(v, `{"n":9}`)
	want(t, s, key, `{"n":1}`, at(0))
	rec, _, _ := s.Get(context.Background(), key)
	copy(rec.Value, `{"n":8}`)
	want(t, s, key, `{"n":1}`, at(0))
	recs, _ := s.List(context.Background(), "")
	if len(recs) == 1 {
		copy(recs[0].Value, `{"n":7}`)
	}
	want(t, s, key, `{"n":1}`, at(0))
}

func testLastWriteWins(t *testing.T, s readmodel.Store) {
	key := readmodel.Key("cus_1", "subscription", "current")
	if !put(t, s, key, `{"plan":"pro"}`, at(10)) {
		t.Fatal("first Put did not win")
	}
	if put(t, s, key, `{"plan":"free"}`, at(5)) {
		t.Fatal("an older Put won over a newer record")
	}
	want(t, s, key, `{"plan":"pro"}`, at(10))
	if put(t, s, key, `{"plan":"free"}`, at(10).Add(-time.Nanosecond)) {
		t.Fatal("a Put one nanosecond older won")
	}
	want(t, s, key, `{"plan":"pro"}`, at(10))
	if !put(t, s, key, `{"plan":"team"}`, at(10).Add(time.Nanosecond)) {
		t.Fatal("a Put one nanosecond newer lost")
	}
	want(t, s, key, `{"plan":"team"}`, at(10).Add(time.Nanosecond))
}

func testEqualTimeWins(t *testing.T, s readmodel.Store) {
	key := readmodel.Key("cus_1", "subscription", "current")
	put(t, s, key, `{"plan":"pro"}`, at(1))
	if !put(t, s, key, `{"plan":"pro"}`, at(1)) {
		t.Fatal("repeating the same Put lost; equal source times must win so redeliveries are idempotent")
	}
	want(t, s, key, `{"plan":"pro"}`, at(1))
	if !put(t, s, key, `{"plan":"team"}`, at(1)) {
		t.Fatal("a Put with an equal source time lost; the later arrival should win")
	}
	want(t, s, key, `{"plan":"team"}`, at(1))
}

func testTombstones(t *testing.T, s readmodel.Store) {
	ctx := context.Background()
	key := readmodel.Key("cus_1", "feature", "export")
	put(t, s, key, `true`, at(1))
	if !del(t, s, key, at(2)) {
		t.Fatal("a newer Delete lost")
	}
	want(t, s, key, "", time.Time{})
	sameKeys(t, "", keys(t, s, ""))

	if put(t, s, key, `true`, at(1)) {
		t.Fatal("a late Put older than the Delete won: it brought the deleted record back")
	}
	want(t, s, key, "", time.Time{})
	if !del(t, s, key, at(2)) {
		t.Fatal("repeating the same Delete lost")
	}
	if !put(t, s, key, `false`, at(3)) {
		t.Fatal("a Put newer than the Delete lost")
	}
	want(t, s, key, `false`, at(3))
	if del(t, s, key, at(2)) {
		t.Fatal("a Delete older than the record won")
	}
	want(t, s, key, `false`, at(3))

	// A delete that arrives before the record it deletes.
	early := readmodel.Key("cus_1", "feature", "early")
	if !del(t, s, early, at(5)) {
		t.Fatal("Delete of a never-written key lost")
	}
	if put(t, s, early, `true`, at(4)) {
		t.Fatal("a Put older than an earlier-arrived Delete won")
	}
	want(t, s, early, "", time.Time{})
	if _, found, err := s.Get(ctx, early); found || err != nil {
		t.Fatalf("Get of a tombstone = (found %v, %v)", found, err)
	}
}

func testListPrefix(t *testing.T, s readmodel.Store) {
	k := readmodel.Key
	for _, key := range []string{
		k("a", "feature", "x"), k("a", "limit", "seats"), k("a", "feature", "b"),
		k("ab", "feature", "x"), k("a:b", "feature", "x"), k("a%3A", "feature", "x"),
		k("b", "feature", "x"), k("A", "feature", "x"),
	} {
		put(t, s, key, `1`, at(0))
	}
	del(t, s, k("a", "limit", "gone"), at(0))
	pa := readmodel.CustomerPrefix("a")
	sameKeys(t, pa, keys(t, s, pa), k("a", "feature", "b"), k("a", "feature", "x"), k("a", "limit", "seats"))
	pab := readmodel.CustomerPrefix("ab")
	sameKeys(t, pab, keys(t, s, pab), k("ab", "feature", "x"))
	pcolon := readmodel.CustomerPrefix("a:b")
	sameKeys(t, pcolon, keys(t, s, pcolon), k("a:b", "feature", "x"))
	pf := readmodel.KindPrefix("a", "feature")
	sameKeys(t, pf, keys(t, s, pf), k("a", "feature", "b"), k("a", "feature", "x"))
	pnone := readmodel.CustomerPrefix("c")
	sameKeys(t, pnone, keys(t, s, pnone))
	if n := len(keys(t, s, "")); n != 8 {
		t.Fatalf("List(\"\") returned %d records, want the 8 live ones", n)
	}

	recs, err := s.List(context.Background(), pa)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if string(r.Value) != "1" || !r.SourceTime.Equal(at(0)) || r.WrittenAt.IsZero() {
			t.Fatalf("List returned %+v, want the full record", r)
		}
	}
}

// testListRawPrefixes lists by prefixes that are not from CustomerPrefix:
// multi-byte characters, case, and the highest code point, where a naive
// range scan goes wrong.
func testListRawPrefixes(t *testing.T, s readmodel.Store) {
	for _, key := range []string{"é1", "é2", "ê", "f", "E", "e", "z\U0010FFFF1", "z\U0010FFFF", "zz", "%x", "_x", "ax"} {
		put(t, s, key, `1`, at(0))
	}
	for prefix, wantKeys := range map[string][]string{
		"é":           {"é1", "é2"},
		"e":           {"e"},
		"E":           {"E"},
		"z\U0010FFFF": {"z\U0010FFFF", "z\U0010FFFF1"},
		"z":           {"zz", "z\U0010FFFF", "z\U0010FFFF1"},
		"%":           {"%x"},
		"_":           {"_x"},
		"\U0010FFFF":  nil,
	} {
		sameKeys(t, prefix, keys(t, s, prefix), wantKeys...)
	}
}

func testInvalidArguments(t *testing.T, s readmodel.Store) {
	ctx := context.Background()
	good := readmodel.Key("cus_1", "feature", "x")
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, readmodel.ErrInvalidArgument) {
			t.Errorf("%s: error %v, want one wrapping readmodel.ErrInvalidArgument", what, err)
		}
	}
	badKeys := map[string]string{
		"empty key": "",
		"bad UTF-8": "cus\xff",
		"NUL":       "cus\x00x",
		"too long":  strings.Repeat("k", readmodel.MaxKeyLen+1),
		"surrogate": "\xed\xa0\x80",
	}
	for name, key := range badKeys {
		_, _, err := s.Get(ctx, key)
		check("Get with "+name, err)
		_, err = s.Put(ctx, readmodel.Record{Key: key, Value: []byte(`1`), SourceTime: at(0)})
		check("Put with "+name, err)
		_, err = s.Delete(ctx, key, at(0))
		check("Delete with "+name, err)
		_, err = s.Claim(ctx, key, time.Hour)
		check("Claim with "+name, err)
		if key != "" {
			_, err = s.List(ctx, key)
			check("List with "+name, err)
		}
	}
	for name, v := range map[string]string{"empty value": "", "not JSON": "{", "two documents": "1 2"} {
		_, err := s.Put(ctx, readmodel.Record{Key: good, Value: []byte(v), SourceTime: at(0)})
		check("Put with "+name, err)
	}
	for name, tm := range map[string]time.Time{"zero time": {}, "year 3000": time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		_, err := s.Put(ctx, readmodel.Record{Key: good, Value: []byte(`1`), SourceTime: tm})
		check("Put with "+name, err)
		_, err = s.Delete(ctx, good, tm)
		check("Delete with "+name, err)
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := s.Claim(ctx, "evt_1", ttl)
		check(fmt.Sprintf("Claim with ttl %s", ttl), err)
	}
	want(t, s, good, "", time.Time{})
	if first, err := s.Claim(ctx, "evt_1", time.Hour); err != nil || !first {
		t.Fatalf("a refused Claim left a claim behind: Claim = (first %v, %v)", first, err)
	}
}

func testConcurrentPuts(t *testing.T, s readmodel.Store) {
	const writers = 16
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 5; round++ {
		key := readmodel.Key("cus_1", "race", fmt.Sprint(round))
		order := rng.Perm(writers)
		won := make([]bool, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				n := order[i]
				won[n], errs[n] = s.Put(context.Background(), readmodel.Record{
					Key: key, Value: []byte(fmt.Sprint(n)), SourceTime: at(n),
				})
			}(i)
		}
		close(start)
		wg.Wait()
		for n, err := range errs {
			if err != nil {
				t.Fatalf("round %d: Put of time %d: %v", round, n, err)
			}
		}
		want(t, s, key, fmt.Sprint(writers-1), at(writers-1))
		if !won[writers-1] {
			t.Fatalf("round %d: the newest of %d concurrent Puts reported it lost", round, writers)
		}
	}
}

func testConcurrentIdenticalPuts(t *testing.T, s readmodel.Store) {
	const writers = 16
	key := readmodel.Key("cus_1", "subscription", "current")
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			won, err := s.Put(context.Background(), readmodel.Record{Key: key, Value: []byte(`{"plan":"pro"}`), SourceTime: at(3)})
			if err == nil && !won {
				err = errors.New("an identical concurrent Put reported it lost")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want(t, s, key, `{"plan":"pro"}`, at(3))
}

func claim(t *testing.T, s readmodel.Store, id string, ttl time.Duration) bool {
	t.Helper()
	first, err := s.Claim(context.Background(), id, ttl)
	if err != nil {
		t.Fatalf("Claim(%q, %s): %v", id, ttl, err)
	}
	return first
}

func testClaim(t *testing.T, s readmodel.Store) {
	if !claim(t, s, "evt_1", time.Hour) {
		t.Fatal("first Claim of evt_1 was not first")
	}
	if claim(t, s, "evt_1", time.Hour) {
		t.Fatal("second Claim of evt_1 within its ttl was first too")
	}
	if !claim(t, s, "evt_2", time.Hour) {
		t.Fatal("Claim of evt_2 was not first after evt_1 was claimed")
	}
	if !claim(t, s, "evt_1x", time.Hour) || !claim(t, s, "evt", time.Hour) {
		t.Fatal("claim ids that share a prefix were taken as the same")
	}
	// Claims and records do not share keys.
	key := readmodel.Key("cus_1", "feature", "x")
	put(t, s, key, `1`, at(0))
	if !claim(t, s, key, time.Hour) {
		t.Fatal("a record with the same key as a claim id made the claim not first")
	}
	want(t, s, key, `1`, at(0))
}

func testConcurrentClaims(t *testing.T, s readmodel.Store) {
	const claimers = 32
	for round := 0; round < 5; round++ {
		id := fmt.Sprintf("evt_race_%d", round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		firsts := 0
		var failed error
		start := make(chan struct{})
		for i := 0; i < claimers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				first, err := s.Claim(context.Background(), id, time.Hour)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed = err
				}
				if first {
					firsts++
				}
			}()
		}
		close(start)
		wg.Wait()
		if failed != nil {
			t.Fatalf("round %d: Claim: %v", round, failed)
		}
		if firsts != 1 {
			t.Fatalf("round %d: %d of %d concurrent Claims of one id were first, want exactly 1", round, firsts, claimers)
		}
	}
}

func testClaimExpiry(t *testing.T, s readmodel.Store) {
	if !claim(t, s, "evt_short", time.Millisecond) {
		t.Fatal("first Claim was not first")
	}
	time.Sleep(50 * time.Millisecond)
	if !claim(t, s, "evt_short", time.Hour) {
		t.Fatal("Claim after the 1ms ttl had passed was not first: the claim did not expire")
	}
	if claim(t, s, "evt_short", time.Hour) {
		t.Fatal("Claim right after a renewed 1h claim was first")
	}
	// Many expired claims do not stop new ones.
	for i := 0; i < 300; i++ {
		if !claim(t, s, fmt.Sprintf("evt_bulk_%d", i), time.Millisecond) {
			t.Fatalf("Claim of new id %d was not first", i)
		}
	}
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < 300; i += 37 {
		if !claim(t, s, fmt.Sprintf("evt_bulk_%d", i), time.Hour) {
			t.Fatalf("expired claim %d was not first again", i)
		}
	}
}

func testLargeValues(t *testing.T, s readmodel.Store) {
	big := `{"blob":"` + strings.Repeat("abcdefghij", 100_000) + `"}` // ~1 MB
	key := readmodel.Key("cus_big", "plans", "all")
	put(t, s, key, big, at(0))
	rec, found, err := s.Get(context.Background(), key)
	if err != nil || !found {
		t.Fatalf("Get of a 1 MB value = (found %v, %v)", found, err)
	}
	if !bytes.Equal(rec.Value, []byte(big)) {
		t.Fatalf("1 MB value came back as %d different bytes", len(rec.Value))
	}
	// Many records for one customer, all listed.
	for i := 0; i < 200; i++ {
		put(t, s, readmodel.Key("cus_many", "feature", fmt.Sprintf("f%03d", i)), fmt.Sprintf(`{"i":%d}`, i), at(i))
	}
	recs, err := s.List(context.Background(), readmodel.CustomerPrefix("cus_many"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 200 {
		t.Fatalf("List returned %d of 200 records", len(recs))
	}
	for i, r := range recs {
		if string(r.Value) != fmt.Sprintf(`{"i":%d}`, i) || !r.SourceTime.Equal(at(i)) {
			t.Fatalf("record %d listed as %s at %s", i, r.Value, r.SourceTime)
		}
	}
}

func testContextCanceled(t *testing.T, s readmodel.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	key := readmodel.Key("cus_1", "feature", "x")
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: error %v, want one wrapping context.Canceled", what, err)
		}
	}
	_, err := s.Put(ctx, readmodel.Record{Key: key, Value: []byte(`1`), SourceTime: at(0)})
	check("Put", err)
	_, _, err = s.Get(ctx, key)
	check("Get", err)
	_, err = s.Delete(ctx, key, at(0))
	check("Delete", err)
	_, err = s.List(ctx, "")
	check("List", err)
	_, err = s.Claim(ctx, "evt_1", time.Hour)
	check("Claim", err)

	want(t, s, key, "", time.Time{})
	if !claim(t, s, "evt_1", time.Hour) {
		t.Fatal("a Claim with a canceled context took the id")
	}
	dctx, dcancel := context.WithTimeout(context.Background(), -time.Second)
	defer dcancel()
	_, _, err = s.Get(dctx, key)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get past its deadline: error %v, want one wrapping context.DeadlineExceeded", err)
	}
}

// testClaimComplete: a claim that was not completed is neither first nor
// completed for others; once completed it is, for its own ttl.
func testClaimComplete(t *testing.T, s readmodel.Store) {
	ctx := context.Background()
	completed := func(id string) bool {
		t.Helper()
		done, err := s.Completed(ctx, id)
		if err != nil {
			t.Fatalf("Completed(%q): %v", id, err)
		}
		return done
	}
	if completed("evt_1") {
		t.Fatal("Completed of an id never claimed is true")
	}
	if first, err := s.Claim(ctx, "evt_1", time.Hour); err != nil || !first {
		t.Fatalf("Claim = (%v, %v), want first", first, err)
	}
	if completed("evt_1") {
		t.Fatal("Completed is true for a claim that was not completed")
	}
	if first, _ := s.Claim(ctx, "evt_1", time.Hour); first {
		t.Fatal("a held claim was taken by a second Claim")
	}
	if err := s.Complete(ctx, "evt_1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if !completed("evt_1") {
		t.Fatal("Completed is false after Complete")
	}
	if err := s.Release(ctx, "evt_1"); err != nil {
		t.Fatal(err)
	}
	if first, _ := s.Claim(ctx, "evt_1", time.Hour); first || !completed("evt_1") {
		t.Fatal("Release forgot a completed claim")
	}
	// A short lease completed with a long ttl lasts the ttl.
	if first, _ := s.Claim(ctx, "evt_2", time.Millisecond); !first {
		t.Fatal("Claim of evt_2 not first")
	}
	if err := s.Complete(ctx, "evt_2", time.Hour); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if first, _ := s.Claim(ctx, "evt_2", time.Hour); first || !completed("evt_2") {
		t.Fatal("a completed claim expired with its lease instead of its ttl")
	}
	// A completion expires with its ttl.
	if err := s.Complete(ctx, "evt_3", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if completed("evt_3") {
		t.Fatal("Completed is true after the ttl passed")
	}
	if first, _ := s.Claim(ctx, "evt_3", time.Hour); !first {
		t.Fatal("Claim after a completion's ttl passed was not first")
	}
	if completed("evt_3") {
		t.Fatal("a fresh claim after an expired completion reports completed")
	}
	if err := s.Complete(ctx, "", time.Hour); !errors.Is(err, readmodel.ErrInvalidArgument) {
		t.Errorf("Complete of an empty id: %v, want ErrInvalidArgument", err)
	}
	if err := s.Complete(ctx, "evt_4", 0); !errors.Is(err, readmodel.ErrInvalidArgument) {
		t.Errorf("Complete with ttl 0: %v, want ErrInvalidArgument", err)
	}
}

// testClaimRelease: a released lease may be claimed again at once, as
// after a failed projection.
func testClaimRelease(t *testing.T, s readmodel.Store) {
	ctx := context.Background()
	if first, _ := s.Claim(ctx, "evt_1", time.Hour); !first {
		t.Fatal("Claim not first")
	}
	if err := s.Release(ctx, "evt_1"); err != nil {
		t.Fatal(err)
	}
	if first, _ := s.Claim(ctx, "evt_1", time.Hour); !first {
		t.Fatal("Claim after Release was not first")
	}
	if err := s.Release(ctx, "evt_never"); err != nil {
		t.Fatalf("Release of an id never claimed: %v", err)
	}
	if err := s.Release(ctx, ""); !errors.Is(err, readmodel.ErrInvalidArgument) {
		t.Errorf("Release of an empty id: %v, want ErrInvalidArgument", err)
	}
}

// testRank: at an equal SourceTime the higher Rank wins, an equal Rank
// goes to the later arrival, and a Delete beats every Put of its time.
func testRank(t *testing.T, s readmodel.Store) {
	ctx := context.Background()
	key := readmodel.Key("cus_1", "usage", "api-calls")
	p := func(v string, src time.Time, rank int64) bool {
		t.Helper()
		won, err := s.Put(ctx, readmodel.Record{Key: key, Value: []byte(v), SourceTime: src, Rank: rank})
		if err != nil {
			t.Fatal(err)
		}
		return won
	}
	if !p(`80`, at(1), 80) {
		t.Fatal("first Put lost")
	}
	if p(`79`, at(1), 79) {
		t.Fatal("a Put of an equal time and a lower rank won")
	}
	rec, _, _ := s.Get(ctx, key)
	if string(rec.Value) != `80` || rec.Rank != 80 {
		t.Fatalf("Get = %s rank %d, want 80 rank 80", rec.Value, rec.Rank)
	}
	if !p(`81`, at(1), 81) || !p(`"81b"`, at(1), 81) {
		t.Fatal("a Put of an equal time and an equal or higher rank lost")
	}
	if !p(`0`, at(2), 0) {
		t.Fatal("a newer Put of a lower rank lost: the time comes first")
	}
	if !del(t, s, key, at(2)) {
		t.Fatal("a Delete of an equal time lost")
	}
	if p(`9`, at(2), 1<<62) {
		t.Fatal("a Put of the Delete's time won over the tombstone")
	}
	want(t, s, key, "", time.Time{})
}
