package journal

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// queue is the River queue the journal's jobs run in.
const queue = "guapocado_journal"

// UsageArgs is the River job of one intent of a meter that is not
// post-paid: written in the caller's transaction, delivered with Key as the
// platform idempotency key.
type UsageArgs struct {
	Usage
	RecordedAt time.Time `json:"recordedAt"`
	// Direct: written by Consume, whose own call may have reached the
	// platform before the job ran.
	Direct bool `json:"direct,omitempty"`
	// Compensate: a job of Consume that, if it runs, refunds what the call
	// consumed instead of leaving the charge.
	Compensate bool `json:"compensate,omitempty"`
}

// Kind is the job kind, stable across versions.
func (UsageArgs) Kind() string { return "guapocado.usage" }

// InsertOpts puts the job in the journal's queue.
func (UsageArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: queue} }

// BatchArgs is the River job of a sealed batch of a post-paid meter,
// written in the transaction that sealed its members.
type BatchArgs struct {
	BatchID    string    `json:"batchId"`
	CustomerID string    `json:"customerId"`
	Meter      string    `json:"meter"`
	Amount     int64     `json:"amount"`
	Members    int64     `json:"members"`
	SealedAt   time.Time `json:"sealedAt"`
}

// Kind is the job kind, stable across versions.
func (BatchArgs) Kind() string { return "guapocado.usage_batch" }

// InsertOpts puts the job in the journal's queue.
func (BatchArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: queue} }

// key is the batch's platform idempotency key.
func (a BatchArgs) key() string { return "gjb_" + a.BatchID }

// SealArgs is the periodic River job that seals the open intents of
// post-paid meters into batches.
type SealArgs struct{}

// Kind is the job kind, stable across versions.
func (SealArgs) Kind() string { return "guapocado.usage_seal" }

// InsertOpts: one seal job waiting or running at a time.
func (SealArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}
