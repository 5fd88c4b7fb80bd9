package service

import (
	"net/http"
	"strings"
	"testing"
)

func TestContractHealth(t *testing.T) {
	a := ctStart(t)
	r := a.expect(http.StatusOK, "GET", "/healthz", nil, ctAdmin)
	if string(ctJSON(r.Body, "")) != `{"status":"ok"}` {
		t.Errorf("/healthz = %s, want {\"status\":\"ok\"}", r.Raw)
	}
	a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/promos/nothing", nil, ctAdmin) // a handler ran

	m := a.expect(http.StatusOK, "GET", "/metrics", nil, ctAdmin)
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("/metrics Content-Type = %q, want Prometheus text", ct)
	}
	for _, name := range []string{"flashpromo_http_request_duration_seconds", "flashpromo_handler_duration_seconds"} {
		if !strings.Contains(string(m.Raw), "# TYPE "+name+" histogram") || !strings.Contains(string(m.Raw), name+"_count{") {
			t.Errorf("/metrics lacks the histogram %s", name)
		}
	}
}
