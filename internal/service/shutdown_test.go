package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"
)

// TestShutdownFinishesRequestsInFlight cancels Serve's context (what SIGTERM
// does) while a large batch is being registered: the batch is answered, new
// connections are refused, and serve returns cleanly.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := DefaultConfig()
	cfg.HTTPAddr, cfg.AdminToken = addr, testToken
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
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
	// The body waits for the server's 100 Continue, which it sends when the
	// handler starts reading: the request is in flight when serve is
	// stopped, and the body goes only after the listener has closed.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+"/v1/users/batch", pr)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Expect", "100-continue")
	handling := make(chan struct{})
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		Got100Continue: func() { close(handling) },
	}))
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	answered := make(chan int, 1)
	go func() {
		res, err := client.Do(req)
		if err != nil {
			t.Logf("the request in flight: %v", err)
			answered <- 0
			return
		}
		res.Body.Close()
		answered <- res.StatusCode
	}()
	select {
	case <-handling:
	case code := <-answered:
		t.Fatalf("answered %d before the body was sent", code)
	}
	stop()
	eventually(t, "the listener is closed", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	go func() {
		pw.Write(body)
		pw.Close()
	}()

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
