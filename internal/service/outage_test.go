package service

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// cable is a TCP proxy to Postgres that the test can cut and mend: an
// outage of the database for this service alone, without stopping the
// server the other tests use.
type cable struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	cut      bool
	conns    []net.Conn
}

func newCable(t *testing.T, upstream string) *cable {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cable{ln: ln, upstream: upstream}
	t.Cleanup(func() { ln.Close(); c.setCut(true) })
	go c.serve()
	return c
}

func (c *cable) serve() {
	for {
		in, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.cut {
			c.mu.Unlock()
			in.Close() // refused: the database is away
			continue
		}
		out, err := net.Dial("tcp", c.upstream)
		if err != nil {
			c.mu.Unlock()
			in.Close()
			continue
		}
		c.conns = append(c.conns, in, out)
		c.mu.Unlock()
		go func() { _, _ = io.Copy(out, in); out.Close() }()
		go func() { _, _ = io.Copy(in, out); in.Close() }()
	}
}

// setCut cuts every open connection and refuses new ones, or mends.
func (c *cable) setCut(cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = cut
	if cut {
		for _, conn := range c.conns {
			conn.Close()
		}
		c.conns = nil
	}
}

// through rewrites a database URL to go through the cable.
func (c *cable) through(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = c.ln.Addr().String()
	return u.String()
}

func TestDatabaseOutage(t *testing.T) {
	dbURL := pgtest.Schema(t)
	u, _ := url.Parse(dbURL)
	c := newCable(t, u.Host)
	s := startServer(t, newFakeClock(t0), onPostgres(c.through(t, dbURL)))
	s.newUser("ana", near)
	s.activePromo("p1", "audifonos-xyz", 5)
	http.DefaultClient.Timeout = 20 * time.Second // a hang fails the test instead of blocking it
	defer func() { http.DefaultClient.Timeout = 0 }()

	c.setCut(true)
	t.Run("commands answer 503 unavailable", func(t *testing.T) {
		s.t = t
		s.refuse(http.StatusServiceUnavailable, "unavailable", "PUT", "/v1/users/beto",
			map[string]any{"registered_at": t0.Add(-time.Hour).Format(time.RFC3339)}, ctAdmin)
		s.refuse(http.StatusServiceUnavailable, "unavailable", "POST", "/v1/promos/p1/reservations", map[string]any{"user_id": "ana"}, s.as("ana"))
	})
	t.Run("reads are served from memory", func(t *testing.T) {
		s.t = t
		r := s.expect(http.StatusOK, "GET", "/v1/users/ana/promos", nil, s.as("ana"))
		if len(r.Body["promos"].([]any)) != 1 {
			t.Errorf("ana sees %s during the outage", r.Raw)
		}
		s.expect(http.StatusOK, "GET", "/v1/promos/p1", nil, ctAdmin)
		s.expect(http.StatusOK, "GET", "/healthz", nil, ctAdmin)
	})

	c.setCut(false)
	s.t = t
	eventually(t, "commands work again without a restart", func() bool {
		return s.reply("POST", "/v1/promos/p1/reservations", map[string]any{"user_id": "ana"}, s.as("ana")).Status == http.StatusCreated
	})
	if stock := s.expect(http.StatusOK, "GET", "/v1/promos/p1", nil, ctAdmin).Body["stock"].(map[string]any); stock["held"] != 1.0 {
		t.Errorf("after the outage: stock %v, want the one hold", stock)
	}
}
