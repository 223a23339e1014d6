package readmodel_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/webhook"
)

// platformModel returns a read model over a platform client of a fresh
// guapocadotest server, with opts after WithStore(a new MemoryStore).
func platformModel(t *testing.T, opts ...readmodel.Option) (*readmodel.ReadModel, *guapocado.APIClient, *guapocadotest.Server) {
	t.Helper()
	srv := guapocadotest.NewServer()
	t.Cleanup(srv.Close)
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := readmodel.New(&api.Billing, append([]readmodel.Option{readmodel.WithStore(readmodel.NewMemoryStore())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return rm, api, srv
}

// event builds a verified-looking event (Project takes events the handler
// verified).
func event(t *testing.T, id string, typ webhook.EventType, createdAt time.Time, data any) *readmodel.Event {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return &readmodel.Event{ID: id, Type: typ, CreatedAt: createdAt, Data: raw}
}

func project(t *testing.T, rm *readmodel.ReadModel, ev *readmodel.Event) {
	t.Helper()
	if err := rm.Project(context.Background(), ev); err != nil {
		t.Fatalf("Project %s %s: %v", ev.Type, ev.ID, err)
	}
}

// testClock is a clock that only moves when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
