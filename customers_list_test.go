package guapocado

import (
	"context"
	"fmt"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestCustomerListOnFake pages the platform's customers, the endpoint added
// as one action entry (actions.go) with its page type and method.
func TestCustomerListOnFake(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	c := newFakeAPIClient(t, srv)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := c.Customer.Create(ctx, &CustomerParams{ID: fmt.Sprintf("org_%d", i), Name: fmt.Sprintf("Org %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	p := &ListParams{Limit: 2}
	for pages := 0; ; pages++ {
		page, err := c.Customer.List(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, cu := range page.Customers {
			ids = append(ids, cu.ID)
		}
		if !page.HasMore {
			break
		}
		if pages > 5 {
			t.Fatal("no end")
		}
		p.Cursor = page.NextCursor
	}
	if fmt.Sprint(ids) != "[org_0 org_1 org_2 org_3 org_4]" {
		t.Errorf("customers %v", ids)
	}
	if _, err := c.Customer.List(ctx, &ListParams{Limit: -1}); err == nil {
		t.Error("a negative limit was sent")
	}
}
