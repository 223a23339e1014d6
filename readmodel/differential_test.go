package readmodel_test

import (
	"testing"

	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/readmodel/storetest"
)

// TestReadModelDifferentialMemory: the read model on a MemoryStore agrees
// with guapocadotest after random writes and faulty webhook deliveries.
// (storetests/ runs the same on SQLite and PostgreSQL.)
func TestReadModelDifferentialMemory(t *testing.T) {
	storetest.RunDifferential(t, func(*testing.T) readmodel.Store { return readmodel.NewMemoryStore() })
}
