package service

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// API.md v1.1: a batch body may be up to 8 MiB, so that 10,000 users always
// fit; any other body stays at 1 MiB.
func TestContractBatchOfTenThousandUsersFits(t *testing.T) {
	a := ctStart(t)
	users := make([]map[string]any, 10000)
	for i := range users {
		users[i] = map[string]any{
			"user_id":       fmt.Sprintf("marketplace-customer-%0100d", i), // long ids, as a marketplace's may be
			"registered_at": ctTime(a.now().Add(-72 * time.Hour)),
			"location":      map[string]any{"lat": 19.4326, "lng": -99.1332},
		}
	}
	body, err := json.Marshal(map[string]any{"users": users})
	if err != nil {
		t.Fatal(err)
	}
	if len(body) <= 1<<20 || len(body) > 8<<20 {
		t.Fatalf("the batch is %d bytes, want between 1 and 8 MiB", len(body))
	}
	r := a.expect(http.StatusOK, "POST", "/v1/users/batch", body, ctAdmin)
	if got := ctInt(t, r.Body["accepted"]); got != len(users) {
		t.Errorf("accepted %d, want %d", got, len(users))
	}

	over := `{"users": [` + strings.Repeat(" ", 8<<20) + `]}`
	a.refuse(http.StatusRequestEntityTooLarge, "payload_too_large", "POST", "/v1/users/batch", over, ctAdmin)
	a.refuse(http.StatusRequestEntityTooLarge, "payload_too_large", "PUT", "/v1/users/ana",
		`{"registered_at": "2026-11-01T00:00:00Z"}`+strings.Repeat(" ", 1<<20), ctAdmin)
}
