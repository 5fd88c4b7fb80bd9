package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestShutdownFinishesRequestsInFlight cancels serve's context (what SIGTERM
// does) while a large batch is being registered: the batch is answered, new
// connections are refused, and serve returns cleanly.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := defaultConfig()
	cfg.HTTPAddr, cfg.AdminToken = addr, testToken
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	base := "http://" + addr
	eventually(t, "the server is ready", func() bool {
		r, err := http.Get(base + "/readyz")
		if err == nil {
			r.Body.Close()
		}
		return err == nil && r.StatusCode == http.StatusOK
	})

	var users []map[string]any
	for i := range 5000 {
		users = append(users, map[string]any{"user_id": fmt.Sprintf("u%05d", i), "registered_at": "2026-11-01T00:00:00Z"})
	}
	body, _ := json.Marshal(map[string]any{"users": users})
	req, _ := http.NewRequest("POST", base+"/v1/users/batch", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	answered := make(chan int, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		res.Body.Close()
		answered <- res.StatusCode
	}()
	time.Sleep(20 * time.Millisecond) // the batch is on its way
	stop()

	if code := <-answered; code != http.StatusOK {
		t.Errorf("the request in flight got %d, want 200", code)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the server still takes connections after shutdown")
	}
}
