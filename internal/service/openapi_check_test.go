package service

// Every request and reply of the contract tests is checked against the
// OpenAPI document (docs/openapi.yaml), so that the document cannot drift
// from the service: testServer.raw calls conform on each
// exchange, and the mismatches fail the test that made them.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/flashpromo/flashpromo/ports/apidoc"
)

// contract is the document, loaded once for every test. openapi3filter
// checks parameters, statuses, headers and content types; JSON bodies are
// checked against the document's schemas compiled once each (JSON Schema
// 2020-12), as openapi3filter would compile a schema again on every call.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer into the document
}

const contractURL = "mem://openapi.json"

var loadContract = sync.OnceValues(func() (*contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(apidoc.Document())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(apidoc.Document()))
	if err != nil {
		return nil, err
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	compiler.AssertFormat()
	if err := compiler.AddResource(contractURL, raw); err != nil {
		return nil, err
	}
	return &contract{doc: doc, router: router, compiler: compiler, schemas: map[string]*jsonschema.Schema{},
		opts: &openapi3filter.Options{
			// The server checks credentials; the document only says which
			// schemes an operation takes.
			AuthenticationFunc:    func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
			IncludeResponseStatus: true, // a status the document does not list is a mismatch
			ExcludeRequestBody:    true, // JSON bodies: checkRequestBody and checkResponseBody
			ExcludeResponseBody:   true,
		}}, nil
})

// check returns what is wrong with one exchange, or nil.
func (c *contract) check(req *http.Request, status int, header http.Header, body []byte) error {
	ctx := context.Background()
	req = req.Clone(ctx)
	var sent []byte
	if req.GetBody != nil { // the client consumed the body: read it again
		b, err := req.GetBody()
		if err != nil {
			return err
		}
		if sent, err = io.ReadAll(b); err != nil {
			return err
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(sent))
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return c.checkUnrouted(err, status, header, body)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.opts}
	// A request the server refused may be one the document refuses too (the
	// tests send bad input on purpose): only an accepted one must conform.
	if status < 400 {
		err := openapi3filter.ValidateRequest(ctx, in)
		if err == nil {
			err = c.checkRequestBody(route, req.Header, sent)
		}
		if err != nil {
			return fmt.Errorf("the document refuses the request, yet the server answered %d: %w", status, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: c.opts}
	out.SetBodyBytes(body)
	err = openapi3filter.ValidateResponse(ctx, out)
	if err == nil {
		err = c.checkResponseBody(route, status, header, body)
	}
	if err != nil {
		return fmt.Errorf("reply %d does not conform: %w", status, err)
	}
	return nil
}

func (c *contract) checkRequestBody(route *routers.Route, header http.Header, body []byte) error {
	rb := route.Operation.RequestBody
	if rb == nil {
		if len(body) > 0 {
			return errors.New("a body where the operation takes none")
		}
		return nil
	}
	if len(body) == 0 {
		if rb.Value.Required {
			return errors.New("no body where the operation needs one")
		}
		return nil
	}
	at := rb.Ref
	if at == "" {
		at = "#/paths/" + pointerEscape(route.Path) + "/" + strings.ToLower(route.Method) + "/requestBody"
	}
	return c.checkBody(at, rb.Value.Content, header.Get("Content-Type"), body)
}

func (c *contract) checkResponseBody(route *routers.Route, status int, header http.Header, body []byte) error {
	code := strconv.Itoa(status)
	res := route.Operation.Responses.Value(code)
	if res == nil {
		return fmt.Errorf("status %d is not listed", status)
	}
	at := res.Ref
	if at == "" {
		at = "#/paths/" + pointerEscape(route.Path) + "/" + strings.ToLower(route.Method) + "/responses/" + code
	}
	return c.checkBody(at, res.Value.Content, header.Get("Content-Type"), body)
}

// checkBody validates a JSON body against the schema of its media type in
// content, which sits at the pointer at; other media types are left to
// openapi3filter, which has checked the content type.
func (c *contract) checkBody(at string, content openapi3.Content, contentType string, body []byte) error {
	for key, media := range content {
		if key != "application/json" || content.Get(contentType) != media || media.Schema == nil {
			continue
		}
		return c.validate(at+"/content/"+pointerEscape(key)+"/schema", body)
	}
	return nil
}

// validate checks a JSON body against the schema at a pointer of the document.
func (c *contract) validate(at string, body []byte) error {
	schema, err := c.compiled(at)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the body is not JSON: %w", err)
	}
	return schema.Validate(v)
}

// compiled returns the schema at a pointer of the document, compiled once.
func (c *contract) compiled(at string) (*jsonschema.Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.schemas[at]; ok {
		return s, nil
	}
	s, err := c.compiler.Compile(contractURL + at)
	if err != nil {
		return nil, err
	}
	c.schemas[at] = s
	return s, nil
}

// pointerEscape escapes a key for a JSON pointer (RFC 6901).
func pointerEscape(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// checkUnrouted holds a request the document has no operation for: an
// unknown path must be 404 not_found, a known path's other method 405
// method_not_allowed, each with the error body of the document.
func (c *contract) checkUnrouted(routeErr error, status int, header http.Header, body []byte) error {
	want, schema := http.StatusNotFound, "ErrorNotFound"
	if errors.Is(routeErr, routers.ErrMethodNotAllowed) {
		want, schema = http.StatusMethodNotAllowed, "ErrorMethodNotAllowed"
	}
	if status != want {
		return fmt.Errorf("undocumented (%v), yet the server answered %d, not %d", routeErr, status, want)
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("%d with Content-Type %q", status, ct)
	}
	return c.validate("#/components/schemas/"+schema, body)
}

// mismatches collects what conform found for one test server; the reply may
// arrive on any goroutine, and the test learns of it at its end.
type mismatches struct {
	mu   sync.Mutex
	list []string
}

func (m *mismatches) add(msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = append(m.list, msg)
}

// report fails t with each mismatch: a cleanup of the test that started
// the server.
func (m *mismatches) report(t testing.TB) func() {
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, msg := range m.list {
			t.Errorf("OpenAPI: %s", msg)
		}
	}
}

// conform checks one exchange of s against the document; the test that
// started s fails when it does not conform.
func (s *testServer) conform(req *http.Request, res *http.Response, body []byte) {
	c, err := loadContract()
	if err == nil {
		err = c.check(req, res.StatusCode, res.Header, body)
	}
	if err != nil {
		s.drift.add(fmt.Sprintf("%s %s: %v", req.Method, req.URL.RequestURI(), err))
	}
}

// openapiDecoded is the document as the validator sees it, for the tests
// of the check itself.
func openapiDecoded(t *testing.T) *contract {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	return c
}

// TestOpenAPICheckCatchesDrift proves the check can fail: a reply with a
// field the document does not list, a status it does not list, an
// undocumented path answered 200, and a request it refuses that the server
// accepted.
func TestOpenAPICheckCatchesDrift(t *testing.T) {
	c := openapiDecoded(t)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	get := func(path string) *http.Request {
		r, _ := http.NewRequest("GET", "http://127.0.0.1:1"+path, nil)
		return r
	}
	health := `{"status":"ok"}`
	for path, reply := range map[string]string{
		"/healthz": health,
		"/v1/events": `{"events":[{"id":"e","stream_id":"promo-p1","version":1,"position":1,"type":"PromoEnded",` +
			`"occurred_at":"2026-11-27T22:00:00Z","data":{"promo_id":"p1"},"metadata":{"actor":"system"}}],"next_after":1}`,
		"/v1/reservations/r1": `{"id":"r1","promo_id":"p1","user_id":"ana","status":"held",` +
			`"price":{"amount":1,"currency":"MXN"},"expires_at":"2026-11-27T22:01:00.5Z"}`,
	} {
		if err := c.check(get(path), 200, jsonCT, []byte(reply)); err != nil {
			t.Fatalf("a conforming reply of %s fails: %v", path, err)
		}
	}
	post, _ := http.NewRequest("POST", "http://127.0.0.1:1/v1/promos/p1/reservations", strings.NewReader(`{"user_id":"ana","extra":1}`))
	post.Header.Set("Content-Type", "application/json")
	for name, err := range map[string]error{
		"a drifting field":    c.check(get("/healthz"), 200, jsonCT, []byte(`{"status":"ok","uptime":1}`)),
		"an unlisted status":  c.check(get("/healthz"), 201, jsonCT, []byte(health)),
		"an undocumented 200": c.check(get("/v1/nothing"), 200, jsonCT, []byte(health)),
		"an unknown field accepted": c.check(post, 201, jsonCT, []byte(
			`{"id":"r1","promo_id":"p1","user_id":"ana","status":"held","price":{"amount":1,"currency":"MXN"},"expires_at":"2026-11-27T22:01:00Z"}`)),
		"an error code of another status": c.check(get("/v1/promos/p1"), 404, jsonCT, []byte(`{"error":{"code":"sold_out","message":"x"}}`)),
		"event data of another type": c.check(get("/v1/events"), 200, jsonCT, []byte(
			`{"events":[{"id":"e","stream_id":"promo-p1","version":1,"position":1,"type":"PromoEnded","occurred_at":"2026-11-27T22:00:00Z","data":{"promo_id":"p1","user_id":"ana"}}],"next_after":1}`)),
		"a time without a zone": c.check(get("/v1/reservations/r1"), 200, jsonCT, []byte(
			`{"id":"r1","promo_id":"p1","user_id":"ana","status":"held","price":{"amount":1,"currency":"MXN"},"expires_at":"2026-11-27 22:01"}`)),
	} {
		if err == nil {
			t.Errorf("%s passes the check", name)
		}
	}
}

// TestOpenAPIDocumentsEveryRoute: every route the server registers is an
// operation of the document, and every operation is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	c := openapiDecoded(t)
	s := startServer(t, newFakeClock(t0))
	documented := map[string]bool{}
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	param := regexp.MustCompile(`:([a-z_]+)`)
	for _, r := range s.svc.Handler().(*echo.Echo).Routes() {
		path := strings.Replace(param.ReplaceAllString(r.Path, "{$1}"), "/*", "/{profile}", 1)
		served[r.Method+" "+path] = true
	}
	for op := range served {
		if !documented[op] {
			t.Errorf("%s is served but not in docs/openapi.yaml", op)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("%s is in docs/openapi.yaml but not served", op)
		}
	}
}

// TestContractServesItsOpenAPIDocument: v1.1's /openapi.json and /docs
// answer without a credential, the document being the one the tests check.
func TestContractServesItsOpenAPIDocument(t *testing.T) {
	a := ctStart(t)
	r := a.expect(http.StatusOK, "GET", "/openapi.json", nil, "")
	if r.Body["openapi"] != "3.1.0" || !bytes.Equal(r.Raw, apidoc.Document()) {
		t.Errorf("/openapi.json is not the document the tests check: %.60s", r.Raw)
	}
	page, err := a.raw("GET", "/docs", nil, "")
	if err != nil || page.Status != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Errorf("/docs: %d %q %v", page.Status, page.Header.Get("Content-Type"), err)
	}
	a.refuse(http.StatusNotFound, "not_found", "GET", "/docs/no-such-file.js", nil, "")
	a.refuse(http.StatusMethodNotAllowed, "method_not_allowed", "POST", "/openapi.json", nil, "")
}
