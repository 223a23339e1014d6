package readmodel_test

import (
	"context"
	"sync"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// Answers of one server second are ordered when this instance sent each
// request after it had the previous answer: a page that reads a balance,
// consumes and refunds within one second of the server's clock sees every
// step pushed by onChange and serves the last balance locally. (Two
// balances of one second that this instance cannot order are still
// dropped: TestEqualTime.)
func TestSequentialWriteBacksOfOneSecondAreOrdered(t *testing.T) {
	ctx := context.Background()
	second := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	srv := guapocadotest.NewServer(guapocadotest.WithClock(func() time.Time { return second }), guapocadotest.WithClockSkew(0))
	defer srv.Close()
	var mu sync.Mutex
	var seen []int64
	rm, _ := platformModelOn(t, srv, readmodel.WithOnChange(func(c readmodel.Change) {
		if u, ok := c.Value.(*guapocado.Usage); ok && c.Name == "api-calls" {
			mu.Lock()
			seen = append(seen, u.Balance)
			mu.Unlock()
		}
	}))
	const cust = "cus_seq"
	if _, _, err := rm.Balance(ctx, cust, "api-calls"); err != nil {
		t.Fatal(err)
	}
	if _, err := rm.Consume(ctx, cust, "api-calls", 5); err != nil {
		t.Fatal(err)
	}
	if _, err := rm.Refund(ctx, cust, "api-calls", 5); err != nil {
		t.Fatal(err)
	}
	if _, err := rm.Consume(ctx, cust, "api-calls", 2); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := append([]int64(nil), seen...)
	mu.Unlock()
	want := []int64{100, 95, 100, 98}
	if len(got) != len(want) {
		t.Fatalf("onChange saw balances %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("onChange saw balances %v, want %v", got, want)
		}
	}
	u, m, err := rm.Balance(ctx, cust, "api-calls")
	if err != nil || !m.Local || u.Balance != 98 {
		t.Fatalf("Balance = %+v, %+v, %v; want 98 served locally", u, m, err)
	}
}
