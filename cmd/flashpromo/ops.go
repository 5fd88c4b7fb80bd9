package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/service"
)

func migrateCommand() *cobra.Command {
	cfg := service.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the Postgres schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := service.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			if cfg.DatabaseURL == "" {
				return errors.New("no database: set FLASHPROMO_DATABASE_URL (the embedded store needs no migration)")
			}
			if err := postgres.Migrate(cmd.Context(), cfg.DatabaseURL); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "schema up to date")
			return nil
		},
	}
	cfg.StoreFlags(cmd.Flags())
	return cmd
}

// admin is how the operator commands reach a running server: with a JWT
// of the caller's own (an analyst's, say), or else the admin token.
type admin struct {
	server, token, jwt string
}

func (a *admin) flags(fs *pflag.FlagSet, server string) {
	fs.StringVar(&a.server, "server", server, "base URL of a running server, e.g. http://127.0.0.1:8080")
	fs.StringVar(&a.token, "admin-token", os.Getenv("FLASHPROMO_ADMIN_TOKEN"), "admin bearer token (FLASHPROMO_ADMIN_TOKEN)")
	fs.StringVar(&a.jwt, "token", os.Getenv("FLASHPROMO_TOKEN"), "a JWT to call with instead of the admin token (FLASHPROMO_TOKEN)")
}

// credential is the bearer credential the commands send.
func (a *admin) credential() string {
	if a.jwt != "" {
		return a.jwt
	}
	return a.token
}

func (a *admin) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(a.server, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.credential())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, body)
	}
	return json.Unmarshal(body, out)
}

func eventsCommand() *cobra.Command {
	events := &cobra.Command{Use: "events", Short: "Read the event log"}
	cfg := service.DefaultConfig()
	var q eventstore.Query
	var via admin
	replay := &cobra.Command{
		Use:   "replay",
		Short: "Print the event log as JSON lines, from Postgres or from a running server (--server)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := service.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			page, err := eventPager(cmd.Context(), cfg, via, q)
			if err != nil {
				return err
			}
			return replayEvents(cmd.Context(), page, q.After, cmd.OutOrStdout())
		},
	}
	fs := replay.Flags()
	fs.Int64Var(&q.After, "after", 0, "start after this position")
	fs.StringVar(&q.StreamID, "stream", "", "only this stream")
	fs.StringVar(&q.Type, "type", "", "only this event type")
	cfg.StoreFlags(fs)
	via.flags(fs, "")
	events.AddCommand(replay)
	return events
}

// pager reads one page of envelopes after a position.
type pager func(ctx context.Context, after int64) ([]eventstore.Envelope, error)

func eventPager(ctx context.Context, cfg service.Config, via admin, q eventstore.Query) (pager, error) {
	q.Limit = 1000
	if via.server != "" {
		return func(ctx context.Context, after int64) ([]eventstore.Envelope, error) {
			v := url.Values{"after": {strconv.FormatInt(after, 10)}, "limit": {"1000"}, "stream": {q.StreamID}, "type": {q.Type}}
			var page struct{ Events []eventstore.Envelope }
			return page.Events, via.do(ctx, http.MethodGet, "/v1/events?"+v.Encode(), &page)
		}, nil
	}
	if cfg.DatabaseURL == "" {
		return nil, errors.New("nothing to read: set FLASHPROMO_DATABASE_URL, or --server for a running server")
	}
	pool, err := postgres.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	store := postgres.New(pool)
	return func(ctx context.Context, after int64) ([]eventstore.Envelope, error) {
		q.After = after
		events, err := store.ReadAll(ctx, q)
		out := make([]eventstore.Envelope, len(events))
		for i, e := range events {
			out[i] = e.Envelope()
		}
		return out, err
	}, nil
}

func replayEvents(ctx context.Context, page pager, after int64, w io.Writer) error {
	enc := json.NewEncoder(w)
	for {
		events, err := page(ctx, after)
		if err != nil || len(events) == 0 {
			return err
		}
		for _, e := range events {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		after = events[len(events)-1].Position
	}
}

func projectionsCommand() *cobra.Command {
	projections := &cobra.Command{Use: "projections", Short: "Operate the read models of a running server"}
	var via admin
	var every time.Duration
	rebuild := &cobra.Command{
		Use:   "rebuild NAME|all",
		Short: "Rebuild a read model (or all of them) from the start of the log and wait until it is live again",
		Long: "Rebuild a read model (promos, users, notifications), or all of them, from the start of the log, " +
			"and wait until each is live again. On a terminal a progress bar shows how far the rebuild is; " +
			"otherwise a line every --every.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return rebuildProjection(cmd.Context(), via, args[0], cmd.OutOrStdout(), every)
		},
	}
	via.flags(rebuild.Flags(), "http://127.0.0.1:8080")
	rebuild.Flags().DurationVar(&every, "every", 5*time.Second, "how often to print progress when not on a terminal")
	projections.AddCommand(rebuild)
	return projections
}

// projectionStatus is one entry of GET /v1/admin/projections.
type projectionStatus struct {
	Name     string
	Position int64
	Lag      int64
	Status   string
}

func (p projectionStatus) percent() float64 {
	if p.Status == "live" {
		return 100
	}
	return 100 * float64(p.Position) / float64(max(1, p.Position+p.Lag))
}

// rebuildProjection asks the server to rebuild name (every projection for
// "all"), then follows their status until each is live again.
func rebuildProjection(ctx context.Context, via admin, name string, w io.Writer, every time.Duration) error {
	status := func() ([]projectionStatus, error) {
		var st struct{ Projections []projectionStatus }
		err := via.do(ctx, http.MethodGet, "/v1/admin/projections", &st)
		return st.Projections, err
	}
	names := []string{name}
	if name == "all" {
		st, err := status()
		if err != nil {
			return err
		}
		names = names[:0]
		for _, p := range st {
			names = append(names, p.Name)
		}
	}
	// "all" is one request: the server rebuilds every copy with one reader.
	var accepted map[string]string
	if err := via.do(ctx, http.MethodPost, "/v1/admin/projections/"+url.PathEscape(name)+"/rebuild", &accepted); err != nil {
		return err
	}
	show := newProgress(w, every)
	for {
		st, err := status()
		if err != nil {
			return err
		}
		var mine []projectionStatus
		live := true
		for _, p := range st {
			if slices.Contains(names, p.Name) {
				mine = append(mine, p)
				live = live && p.Status == "live"
			}
		}
		if live {
			show.done(mine)
			return nil
		}
		show.update(mine)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// progress shows a rebuild: a bar redrawn in place on a terminal, or else a
// line per projection every so often.
type progress struct {
	w        io.Writer
	terminal bool
	every    time.Duration
	start    time.Time
	last     time.Time
}

func newProgress(w io.Writer, every time.Duration) *progress {
	p := &progress{w: w, every: every, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) update(st []projectionStatus) {
	if p.terminal {
		p.bar(st)
		return
	}
	if time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	for _, s := range st {
		fmt.Fprintf(p.w, "%s: %s at position %d, %d behind (%.0f%%, %s)\n", s.Name, s.Status, s.Position, s.Lag,
			s.percent(), time.Since(p.start).Round(time.Second))
	}
}

// bar draws one line: the projection furthest behind sets the bar.
func (p *progress) bar(st []projectionStatus) {
	const width = 30
	least := 100.0
	var parts []string
	for _, s := range st {
		least = min(least, s.percent())
		parts = append(parts, fmt.Sprintf("%s %.0f%%", s.Name, s.percent()))
	}
	n := int(least * width / 100)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %s  %s ", strings.Repeat("#", n), strings.Repeat(".", width-n), least,
		strings.Join(parts, ", "), time.Since(p.start).Round(time.Second))
}

func (p *progress) done(st []projectionStatus) {
	if p.terminal {
		p.bar(st)
		fmt.Fprintln(p.w)
	}
	for _, s := range st {
		fmt.Fprintf(p.w, "%s: %s at position %d\n", s.Name, s.Status, s.Position)
	}
}
