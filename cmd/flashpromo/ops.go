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
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
)

func migrateCommand() *cobra.Command {
	cfg := defaultConfig()
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the Postgres schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
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
	cfg.storeFlags(cmd.Flags())
	return cmd
}

// admin is how the operator commands reach a running server.
type admin struct {
	server, token string
}

func (a *admin) flags(fs *pflag.FlagSet, server string) {
	fs.StringVar(&a.server, "server", server, "base URL of a running server, e.g. http://127.0.0.1:8080")
	fs.StringVar(&a.token, "admin-token", os.Getenv("FLASHPROMO_ADMIN_TOKEN"), "admin bearer token (FLASHPROMO_ADMIN_TOKEN)")
}

func (a *admin) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(a.server, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
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
	cfg := defaultConfig()
	var q eventstore.Query
	var via admin
	replay := &cobra.Command{
		Use:   "replay",
		Short: "Print the event log as JSON lines, from Postgres or from a running server (--server)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
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
	cfg.storeFlags(fs)
	via.flags(fs, "")
	events.AddCommand(replay)
	return events
}

// pager reads one page of envelopes after a position.
type pager func(ctx context.Context, after int64) ([]eventstore.Envelope, error)

func eventPager(ctx context.Context, cfg config, via admin, q eventstore.Query) (pager, error) {
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
	rebuild := &cobra.Command{
		Use:   "rebuild NAME",
		Short: "Rebuild a read model from the start of the log and wait until it is live again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return rebuildProjection(cmd.Context(), via, args[0], cmd.OutOrStdout())
		},
	}
	via.flags(rebuild.Flags(), "http://127.0.0.1:8080")
	projections.AddCommand(rebuild)
	return projections
}

func rebuildProjection(ctx context.Context, via admin, name string, w io.Writer) error {
	var accepted map[string]string
	if err := via.do(ctx, http.MethodPost, "/v1/admin/projections/"+url.PathEscape(name)+"/rebuild", &accepted); err != nil {
		return err
	}
	for {
		var st struct {
			Projections []struct {
				Name     string
				Position int64
				Status   string
			}
		}
		if err := via.do(ctx, http.MethodGet, "/v1/admin/projections", &st); err != nil {
			return err
		}
		for _, p := range st.Projections {
			if p.Name != name {
				continue
			}
			fmt.Fprintf(w, "%s: %s at position %d\n", p.Name, p.Status, p.Position)
			if p.Status == "live" {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
