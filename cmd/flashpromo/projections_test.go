package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// `projections rebuild all` asks the server to rebuild every projection
// and prints each one's progress until all are live; not on a terminal, as
// lines.
func TestRebuildAllShowsProgress(t *testing.T) {
	var mu sync.Mutex
	var posted []string
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/admin/projections/"), "/rebuild")
			posted = append(posted, name)
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte(`{"status":"rebuilding"}`))
			return
		}
		st := []projectionStatus{{"notifications", 0, 0, "live"}, {"promos", 0, 0, "live"}, {"users", 0, 0, "live"}}
		if len(posted) > 0 { // rebuilding: users takes three polls, the others one
			polls++
			for i := range st {
				if st[i].Name == "users" && polls < 4 {
					st[i] = projectionStatus{"users", int64(polls * 250), int64(1000 - polls*250), "rebuilding"}
				} else {
					st[i].Position = 1000
				}
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"projections": st})
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := rebuildProjection(t.Context(), admin{server: srv.URL, token: "tok"}, "all", &out, 0); err != nil {
		t.Fatal(err)
	}
	if want := []string{"all"}; !slices.Equal(posted, want) {
		t.Errorf("rebuilt %v, want %v", posted, want)
	}
	got := out.String()
	for _, line := range []string{
		"users: rebuilding at position 250, 750 behind (25%",
		"users: rebuilding at position 750, 250 behind (75%",
		"notifications: live at position 1000\n",
		"users: live at position 1000\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("output lacks %q:\n%s", line, got)
		}
	}
}
