package service

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// TestForeignTransactionDelaysNothing: a writing transaction in another
// database of the same server stays open while promos are created,
// reserved and fanned out (ADR 0013). Each promo must be readable and its
// user notified while it is still open; before, the read models stood
// still behind it and the promo answered 404. The test runs for 2 s;
// FLASHPROMO_FOREIGN_TX_SECONDS=60 runs it for a minute and then also
// holds every read-model lag under 1 s.
func TestForeignTransactionDelaysNothing(t *testing.T) {
	duration, strict := 2*time.Second, false
	if v := os.Getenv("FLASHPROMO_FOREIGN_TX_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("FLASHPROMO_FOREIGN_TX_SECONDS=%q: want a number of seconds", v)
		}
		duration, strict = time.Duration(n)*time.Second, true
	}
	s := startServer(t, newFakeClock(t0), onPostgres(pgtest.Schema(t)))
	foreign := openForeignWriter(t)

	var worstRead, worstNotified time.Duration
	start := time.Now()
	n := 0
	for ; n == 0 || time.Since(start) < duration; n++ {
		user, promo := fmt.Sprintf("u%d", n), fmt.Sprintf("p%d", n)
		s.newUser(user, near)
		created := time.Now()
		body := promoBody(s.clock.Now().Add(-time.Minute), s.clock.Now().Add(2*time.Hour), 5)
		body["id"], body["product"] = promo, map[string]any{"id": "item-" + promo, "name": "Item"}
		s.expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin)
		worstRead = max(worstRead, within(t, "promo "+promo+" is readable", func() bool {
			return s.reply("GET", "/v1/promos/"+promo, nil, ctAdmin).Status == http.StatusOK
		}).Sub(created))
		worstNotified = max(worstNotified, within(t, user+" is notified", func() bool {
			r := s.reply("GET", "/v1/users/"+user+"/notifications", nil, ctAdmin)
			return r.Status == http.StatusOK && len(r.Body["notifications"].([]any)) == 1
		}).Sub(created))
		s.expect(http.StatusCreated, "POST", "/v1/promos/"+promo+"/reservations", map[string]any{"user_id": user}, ctAdmin)
	}
	if foreign.PgConn().TxStatus() != 'T' {
		t.Fatal("the foreign transaction ended before the test did")
	}
	t.Logf("%d promos in %v with a foreign transaction open: worst lag %v to read a promo, %v to notify its user",
		n, time.Since(start).Round(time.Millisecond), worstRead, worstNotified)
	if strict && (worstRead >= time.Second || worstNotified >= time.Second) {
		t.Errorf("a read model lagged %v (promo) / %v (notification), want under 1 s", worstRead, worstNotified)
	}
}

// within polls cond for up to 10 s and returns when it first held; a read
// model behind a foreign transaction never gets there.
func within(t *testing.T, what string, cond func() bool) time.Time {
	t.Helper()
	return until(t, 10*time.Second, what+", with a foreign transaction open", cond)
}

// openForeignWriter opens, in the server's database "postgres", a
// transaction that writes a table and stays open until the test ends.
func openForeignWriter(t *testing.T) *pgx.Conn {
	u, err := url.Parse(pgtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/postgres"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) }) // rolls back
	_, err = conn.Exec(ctx, `BEGIN;
		CREATE TEMP TABLE bulk (n int) ON COMMIT DROP;
		INSERT INTO bulk SELECT generate_series(1, 1000)`)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
