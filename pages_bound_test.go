//go:build !(js && wasm)

package guapocado_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
)

// endlessListing is a platform whose /v1/customers always says more
// follow, with a fresh cursor of cursorLen bytes, and perPage customers a
// page.
func endlessListing(t *testing.T, perPage, cursorLen int) (*guapocado.APIClient, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		var items []string
		for j := range perPage {
			items = append(items, fmt.Sprintf(`{"id":"cus_%d_%d"}`, i, j))
		}
		cursor := fmt.Sprintf("%08d", i) + strings.Repeat("c", max(cursorLen-8, 0))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"customers":[%s],"hasMore":true,"nextCursor":%q}`, strings.Join(items, ","), cursor)
	}))
	t.Cleanup(srv.Close)
	api, err := guapocado.NewAPIClient("sk_test_pages", guapocado.WithAPIURL(srv.URL), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.CloseIdleConnections)
	return api, &n
}

// Issue 23 item 9: a listing of empty pages with ever fresh cursors ends
// after MaxEmptyPages pages with a *PageLimitError.
func TestIteratorStopsOnARunOfEmptyPages(t *testing.T) {
	t.Parallel()
	api, requests := endlessListing(t, 0, 64)
	var last error
	for _, err := range api.Customer.All(context.Background(), nil) {
		last = err
	}
	var pe *guapocado.PageLimitError
	if !errors.As(last, &pe) || !errors.Is(last, guapocado.ErrUnexpectedResponse) || pe.EmptyPages != guapocado.MaxEmptyPages ||
		pe.Path != "/v1/customers" || requests.Load() != guapocado.MaxEmptyPages {
		t.Fatalf("ended with %v after %d requests; want a *PageLimitError after %d", last, requests.Load(), guapocado.MaxEmptyPages)
	}
}

// Issue 23 item 9: a listing that never ends stops at MaxPages pages (the
// default, DefaultMaxPages, is the same bound; 10,000 requests are too
// many for a unit test), having yielded every item before.
func TestIteratorStopsAtMaxPages(t *testing.T) {
	t.Parallel()
	api, requests := endlessListing(t, 2, 16)
	items := 0
	var last error
	for _, err := range api.Customer.All(context.Background(), &guapocado.ListParams{MaxPages: 7}) {
		if err != nil {
			last = err
			continue
		}
		items++
	}
	var pe *guapocado.PageLimitError
	if !errors.As(last, &pe) || errors.Is(last, guapocado.ErrUnexpectedResponse) || pe.Pages != 7 || pe.MaxPages != 7 || items != 14 || requests.Load() != 7 {
		t.Fatalf("ended with %v after %d requests and %d items", last, requests.Load(), items)
	}
	if !strings.Contains(last.Error(), "MaxPages") {
		t.Errorf("the error does not say how to go further: %v", last)
	}
}

// Issue 23 item 9: the cursors seen are remembered by hash: 150 pages of
// 64 KiB cursors (9.4 MiB of cursors) leave the paused iteration holding
// far less than one cursor per page.
// Not parallel: the heap is measured.
func TestIteratorDoesNotKeepCursors(t *testing.T) {
	const pagesRead, cursorLen = 150, 64 << 10
	api, _ := endlessListing(t, 1, cursorLen)
	next, stop := iter.Pull2(api.Customer.All(context.Background(), nil))
	defer stop()
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	if _, err, ok := next(); !ok || err != nil {
		t.Fatal(err)
	}
	before := heap()
	for range pagesRead {
		if _, err, ok := next(); !ok || err != nil {
			t.Fatal(err)
		}
	}
	grown := int64(heap()) - int64(before)
	if grown > pagesRead*cursorLen/4 {
		t.Errorf("the heap grew %d KiB over %d pages of %d KiB cursors", grown>>10, pagesRead, cursorLen>>10)
	}
}
