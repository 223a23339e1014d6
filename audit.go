package guapocado

import (
	"context"
	"encoding/json"
	"iter"
	"time"
)

// AuditLog is one entry of the platform's append-only audit log.
type AuditLog struct {
	ID           string          `json:"id"`
	Action       string          `json:"action"`
	ActorType    string          `json:"actorType"`
	ActorID      string          `json:"actorId,omitempty"`
	ActorLabel   string          `json:"actorLabel,omitempty"`
	KeyType      string          `json:"keyType,omitempty"`
	Mode         string          `json:"mode,omitempty"`
	ResourceType string          `json:"resourceType,omitempty"`
	ResourceID   string          `json:"resourceId,omitempty"`
	RequestID    string          `json:"requestId,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	CreatedAt    time.Time       `json:"createdAt"`
}

// AuditListParams filter the audit log; empty fields do not filter.
type AuditListParams struct {
	Action       string `url:"action,omitempty"`
	ResourceType string `url:"resourceType,omitempty"`
	ResourceID   string `url:"resourceId,omitempty"`
	ActorID      string `url:"actorId,omitempty"`
	// Cursor continues after a page (AuditPage.NextCursor).
	Cursor string `url:"cursor,omitempty"`
	// Limit is the page size; 0 lets the platform choose.
	Limit int `url:"limit,omitempty"`
	// MaxPages bounds the pages All fetches (0: DefaultMaxPages); past it
	// the iteration ends with a *PageLimitError. List ignores it.
	MaxPages int `url:"-"`
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Logs       []AuditLog `json:"logs"`
	HasMore    bool       `json:"hasMore"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// AuditService reads the audit log. Get it as APIClient.Audit.
type AuditService struct{ c *core }

// List returns one page of the audit log
// (GET /v1/audit?action=&resourceType=&resourceId=&actorId=&cursor=&limit=).
// params may be nil. See All to walk every page.
func (s AuditService) List(ctx context.Context, params *AuditListParams) (*AuditPage, error) {
	p := AuditListParams{}
	if params != nil {
		p = *params
	}
	if err := checkLimit(p.Limit); err != nil {
		return nil, err
	}
	var page AuditPage
	if err := s.c.call(ctx, &actAuditList, &callArgs{query: p}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// All iterates over the audit log entries matching params, page after page
// from params.Cursor (one request per page, made as the loop reaches it):
//
//	for entry, err := range c.Audit.All(ctx, &guapocado.AuditListParams{Action: "usage.consume"}) {
//		if err != nil { … } // the loop ends after an error
//		…
//	}
//
// A failed page is yielded once as an error and ends the iteration; so does
// a page that says it has more without a new cursor, and a *PageLimitError
// at params.MaxPages pages (DefaultMaxPages) or MaxEmptyPages empty pages
// in a row. Breaking out of the loop fetches no more pages.
func (s AuditService) All(ctx context.Context, params *AuditListParams) iter.Seq2[AuditLog, error] {
	p := AuditListParams{}
	if params != nil {
		p = *params
	}
	return pages("/v1/audit", p.Cursor, p.MaxPages, func(cursor string) ([]AuditLog, bool, string, error) {
		q := p
		q.Cursor = cursor
		page, err := s.List(ctx, &q)
		if err != nil {
			return nil, false, "", err
		}
		return page.Logs, page.HasMore, page.NextCursor, nil
	})
}
