package journal

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// ledgerReport compares what the application committed (app_work) with
// what the fake applied, per idempotency key: it returns a description of
// every difference ("" when there is none). Exactly-once: each committed
// intent of an ordinary meter applied once under its key; each committed
// post-paid intent a member of exactly one batch, each batch applied once
// under its key with the members' total; nothing else applied; per
// customer and meter, the totals equal.
func ledgerReport[TTx any](ctx context.Context, d *testDB[TTx], srv *guapocadotest.Server, complete bool) (string, error) {
	var b strings.Builder
	type work struct {
		customer, meter string
		amount          int64
	}
	committed := map[string]work{}
	rows, err := d.strings(ctx, `SELECT key || '|' || customer_id || '|' || meter || '|' || CAST(amount AS TEXT) FROM app_work`)
	if err != nil {
		return "", err
	}
	for _, r := range rows {
		f := strings.Split(r, "|")
		var n int64
		fmt.Sscan(f[3], &n)
		committed[f[0]] = work{f[1], f[2], n}
	}
	batchOf := map[string]string{}
	members, err := d.strings(ctx, `SELECT key || '|' || COALESCE(batch_id, '') FROM guapocado_journal_member`)
	if err != nil {
		return "", err
	}
	for _, r := range members {
		f := strings.SplitN(r, "|", 2)
		batchOf[f[0]] = f[1]
	}
	batchAmount := map[string]int64{}
	batches, err := d.strings(ctx, `SELECT 'gjb_' || id || '|' || CAST(amount AS TEXT) FROM guapocado_journal_batch`)
	if err != nil {
		return "", err
	}
	for _, r := range batches {
		f := strings.Split(r, "|")
		var n int64
		fmt.Sscan(f[1], &n)
		batchAmount[f[0]] = n
	}
	times, amount := map[string]int{}, map[string]float64{}
	total := map[string]float64{}
	for _, op := range srv.Ops() {
		if op.Op != "consume" {
			continue
		}
		times[op.IdempotencyKey]++
		amount[op.IdempotencyKey] += op.Amount
		total[op.CustomerID+"/"+op.Key] += op.Amount
	}
	want := map[string]float64{}
	memberSum := map[string]int64{}
	for key, w := range committed {
		want[w.customer+"/"+w.meter] += float64(w.amount)
		if batch, ok := batchOf[key]; ok {
			if times[key] != 0 {
				fmt.Fprintf(&b, "post-paid %s applied on its own %d times\n", key, times[key])
			}
			if batch == "" {
				if complete {
					fmt.Fprintf(&b, "post-paid %s never sealed\n", key)
				}
				continue
			}
			memberSum["gjb_"+batch] += w.amount
			continue
		}
		if times[key] > 1 || complete && times[key] != 1 {
			fmt.Fprintf(&b, "%s applied %d times\n", key, times[key])
		}
		if times[key] > 0 && amount[key] != float64(w.amount)*float64(times[key]) {
			fmt.Fprintf(&b, "%s applied %v, committed %d\n", key, amount[key], w.amount)
		}
	}
	for key := range batchOf {
		if _, ok := committed[key]; !ok {
			fmt.Fprintf(&b, "member %s of no committed work\n", key)
		}
	}
	for key, n := range batchAmount {
		if memberSum[key] != n {
			fmt.Fprintf(&b, "batch %s holds %d, its members %d\n", key, n, memberSum[key])
		}
		if times[key] > 1 || complete && times[key] != 1 {
			fmt.Fprintf(&b, "batch %s applied %d times\n", key, times[key])
		}
	}
	for key, n := range times {
		_, isWork := committed[key]
		_, isBatch := batchAmount[key]
		if !isWork && !isBatch {
			fmt.Fprintf(&b, "%s applied %d times, but no committed work or batch has that key\n", key, n)
		}
	}
	if complete {
		for cm, w := range want {
			if total[cm] != w {
				fmt.Fprintf(&b, "%s: applied %v, committed %v\n", cm, total[cm], w)
			}
		}
	}
	return b.String(), nil
}

func checkLedger[TTx any](tb testing.TB, d *testDB[TTx], srv *guapocadotest.Server) {
	tb.Helper()
	report, err := ledgerReport(context.Background(), d, srv, true)
	if err != nil {
		tb.Fatal(err)
	}
	if report != "" {
		tb.Fatalf("ledger differs from the committed work:\n%s", report)
	}
}
