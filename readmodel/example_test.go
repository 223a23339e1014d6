package readmodel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/guapocado/guapocado-go/readmodel"
)

func ExampleMemoryStore() {
	ctx := context.Background()
	store := readmodel.NewMemoryStore()
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	key := readmodel.Key("cus_123", "feature", "export")

	// The event of 12:05 arrives first, the one of 12:00 late: the late,
	// older one loses.
	won, _ := store.Put(ctx, readmodel.Record{Key: key, Value: []byte(`{"enabled":true}`), SourceTime: t0.Add(5 * time.Minute)})
	fmt.Println("12:05 put won:", won)
	won, _ = store.Put(ctx, readmodel.Record{Key: key, Value: []byte(`{"enabled":false}`), SourceTime: t0})
	fmt.Println("12:00 put won:", won)

	rec, found, _ := store.Get(ctx, key)
	fmt.Println(found, string(rec.Value), rec.SourceTime.Format("15:04"))

	// Customer "cus_1234" is not listed under "cus_123".
	store.Put(ctx, readmodel.Record{Key: readmodel.Key("cus_1234", "feature", "export"), Value: []byte(`true`), SourceTime: t0})
	recs, _ := store.List(ctx, readmodel.CustomerPrefix("cus_123"))
	fmt.Println(len(recs), "record for cus_123")

	// The same webhook event delivered twice is processed once.
	first, _ := store.Claim(ctx, "evt_42", 24*time.Hour)
	again, _ := store.Claim(ctx, "evt_42", 24*time.Hour)
	fmt.Println("first:", first, "again:", again)

	// Output:
	// 12:05 put won: true
	// 12:00 put won: false
	// true {"enabled":true} 12:05
	// 1 record for cus_123
	// first: true again: false
}
