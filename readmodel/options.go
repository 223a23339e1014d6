package readmodel

import "time"

// The options of the three constructors have three types, so that an
// option a constructor does not take does not compile there:
//
//	constructor       option type      options
//	New               Option           WithStore, WithMaxAge, WithKindMaxAge, WithCacheTTL, WithClock,
//	                                   WithHooks, WithOnChange, WithErrorHandler, WithClaimTTL, WithRegistration
//	NewMemoryStore    MemoryOption     WithClock
//	NewSQLStore       SQLOption        WithClock, WithTablePrefix
//
// WithClock is good for all three: it returns a [ClockOption], which
// implements each type.

// Option configures a [ReadModel] ([New]). Only this package implements
// it.
type Option interface{ applyModel(*modelConfig) }

// MemoryOption configures a [MemoryStore] ([NewMemoryStore]): only
// [WithClock].
type MemoryOption interface{ applyMemory(*memoryConfig) }

// SQLOption configures an [SQLStore] ([NewSQLStore]): [WithClock] and
// [WithTablePrefix].
type SQLOption interface{ applySQL(*sqlConfig) }

// modelOption is an Option for New only.
type modelOption func(*modelConfig)

func (o modelOption) applyModel(c *modelConfig) { o(c) }

// sqlOption is an SQLOption for NewSQLStore only.
type sqlOption func(*sqlConfig)

func (o sqlOption) applySQL(c *sqlConfig) { o(c) }

// ClockOption sets the clock of a read model or a store; [WithClock]
// returns it. It is an [Option], a [MemoryOption] and an [SQLOption].
type ClockOption struct{ now func() time.Time }

var (
	_ Option       = ClockOption{}
	_ MemoryOption = ClockOption{}
	_ SQLOption    = ClockOption{}
)

func (o ClockOption) applyModel(c *modelConfig) {
	if o.now != nil {
		c.now, c.clockSet = o.now, true
	}
}

func (o ClockOption) applyMemory(c *memoryConfig) {
	if o.now != nil {
		c.now = o.now
	}
}

func (o ClockOption) applySQL(c *sqlConfig) {
	if o.now != nil {
		c.now = o.now
	}
}

// WithClock replaces time.Now. On a store it decides when a claim expires
// and fills a zero [Record.WrittenAt]; on a read model it decides how old
// an answer is. Tests use it to move time without sleeping. A nil clock
// keeps time.Now.
func WithClock(now func() time.Time) ClockOption { return ClockOption{now: now} }

// modelConfig is what the options of New set.
type modelConfig struct {
	err         error
	now         func() time.Time
	clockSet    bool
	store       Store
	maxAge      time.Duration
	kindMaxAge  map[Kind]time.Duration
	cacheTTL    time.Duration
	cacheTTLSet bool
	onChange    func(Change)
	onError     func(error)
	claimTTL    time.Duration
	claimLease  time.Duration
	webhook     any // *webhookConfig when WithHooks or WithRegistration was given (webhookSide)
}

// webhookConfig is what the webhook-side options set: the options of the
// read model's webhook receiver, which a browser program never gives.
type webhookConfig struct {
	hooks        Hooks
	registration *registrationConfig
}

// webhookSide returns the webhook-side options, creating them; only those
// options call it. modelConfig holds them as any, not as a *webhookConfig:
// a modelConfig is reachable through Option, an interface, so the linker
// would keep the methods of every type its fields reach (the typed events
// of Hooks, the registration's endpoint service) in every program; behind
// any, only a program that sets a webhook-side option links them (about
// 10 KB gzipped of a browser build). New reads them with webhookOptions.
func (c *modelConfig) webhookSide() *webhookConfig {
	w, _ := c.webhook.(*webhookConfig)
	if w == nil {
		w = &webhookConfig{}
		c.webhook = w
	}
	return w
}

// webhookOptions returns the webhook-side options set, or zero ones.
func (c *modelConfig) webhookOptions() webhookConfig {
	if w, ok := c.webhook.(*webhookConfig); ok {
		return *w
	}
	return webhookConfig{}
}

func (c *modelConfig) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func newModelConfig(opts []Option) modelConfig {
	c := modelConfig{now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.applyModel(&c)
		}
	}
	return c
}

// memoryConfig is what the options of NewMemoryStore set.
type memoryConfig struct{ now func() time.Time }

func newMemoryConfig(opts []MemoryOption) memoryConfig {
	c := memoryConfig{now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.applyMemory(&c)
		}
	}
	return c
}

// sqlConfig is what the options of NewSQLStore set.
type sqlConfig struct {
	now         func() time.Time
	tablePrefix string
}

func newSQLConfig(opts []SQLOption) sqlConfig {
	c := sqlConfig{now: time.Now, tablePrefix: "guapocado_"}
	for _, o := range opts {
		if o != nil {
			o.applySQL(&c)
		}
	}
	return c
}

// WithTablePrefix sets the prefix of the tables an [SQLStore] uses
// (default "guapocado_": guapocado_records, guapocado_claims and
// guapocado_secrets). It must be a plain SQL identifier of at most 40
// bytes (so every table and index name stays within PostgreSQL's 63):
// ASCII letters, digits and underscores, not starting with a digit;
// [NewSQLStore] refuses anything else.
func WithTablePrefix(prefix string) SQLOption {
	return sqlOption(func(c *sqlConfig) { c.tablePrefix = prefix })
}

// WithStore sets the store (default: a new [MemoryStore]).
func WithStore(s Store) Option {
	return modelOption(func(c *modelConfig) {
		if s == nil {
			c.fail(invalid("WithStore: nil store"))
		}
		c.store = s
	})
}

// WithMaxAge sets how long a stored answer of any kind is served without
// asking the server (default [DefaultMaxAge]); it must be positive.
func WithMaxAge(d time.Duration) Option {
	return modelOption(func(c *modelConfig) {
		if d <= 0 {
			c.fail(invalid("WithMaxAge: %s is not positive", d))
		}
		c.maxAge = d
	})
}

// WithKindMaxAge sets the MaxAge of one kind, over [WithMaxAge]: for
// example a short one for usage balances and a long one for plans.
func WithKindMaxAge(kind Kind, d time.Duration) Option {
	return modelOption(func(c *modelConfig) {
		if _, ok := kindIndex(kind); !ok {
			c.fail(invalid("WithKindMaxAge: unknown kind %q", kind))
			return
		}
		if d <= 0 {
			c.fail(invalid("WithKindMaxAge: %s is not positive", d))
		}
		if c.kindMaxAge == nil {
			c.kindMaxAge = map[Kind]time.Duration{}
		}
		c.kindMaxAge[kind] = d
	})
}

// WithCacheTTL sets how long a decoded answer is kept in process memory in
// front of the store before the store is read again. The default is for
// ever on a [MemoryStore] (only this process writes it) and 0 (read the
// store on every call) on any other store, so several instances sharing a
// database see one state. Give a positive d to trade that for speed on a
// shared store: another instance's writes are then seen up to d late. A
// negative d means for ever.
func WithCacheTTL(d time.Duration) Option {
	return modelOption(func(c *modelConfig) { c.cacheTTL, c.cacheTTLSet = d, true })
}

// WithHooks sets the webhook hooks (see [Hooks]).
func WithHooks(h Hooks) Option {
	return modelOption(func(c *modelConfig) { c.webhookSide().hooks = h })
}

// WithOnChange calls fn (synchronously, outside the read model's locks)
// whenever a stored answer changes value or is dropped: a browser page
// uses it to show live balances. fn must not block for long.
func WithOnChange(fn func(Change)) Option {
	return modelOption(func(c *modelConfig) { c.onChange = fn })
}

// WithErrorHandler receives the errors the read model cannot return: a
// store that fails a read (the answer then comes from the server), a
// failed write-back of a server answer (the answer is still returned), a
// stored value that does not decode, a failed webhook registration.
// Without it they are dropped. No error it receives contains a secret.
func WithErrorHandler(fn func(error)) Option {
	return modelOption(func(c *modelConfig) { c.onError = fn })
}

// WithClaimLease sets how long an instance may take to process a webhook
// event before a redelivery to another instance sharing the store may take
// it over (default [DefaultClaimLease]). Until then a redelivery answers 500
// ([ErrEventInProgress]) so the sender retries; make it longer than your
// slowest hooks take.
func WithClaimLease(d time.Duration) Option {
	return modelOption(func(c *modelConfig) {
		if d <= 0 {
			c.fail(invalid("WithClaimLease: %s is not positive", d))
		}
		c.claimLease = d
	})
}

// WithClaimTTL sets how long a processed webhook event id is remembered
// for deduplication (default [DefaultClaimTTL]).
func WithClaimTTL(d time.Duration) Option {
	return modelOption(func(c *modelConfig) {
		if d <= 0 {
			c.fail(invalid("WithClaimTTL: %s is not positive", d))
		}
		c.claimTTL = d
	})
}
