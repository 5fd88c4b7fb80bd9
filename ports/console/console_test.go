package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"

	"github.com/flashpromo/flashpromo/docs"
)

func get(t *testing.T, e *echo.Echo, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// ours are the console's own scripts and styles (not the vendored uPlot).
func ours(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(Files(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(name, "uPlot") {
			return err
		}
		data, err := fs.ReadFile(Files(), name)
		files[name] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestServedFromTheBinary: the page, every file it loads and every module
// those import answer without a credential, with the page's policy, and
// nothing names another host.
func TestServedFromTheBinary(t *testing.T) {
	e := echo.New()
	Register(e)
	res, _ := get(t, e, "/console")
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != "/console/" {
		t.Errorf("/console: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, page := get(t, e, "/console/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/console/: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("/console/ policy: %q", csp)
	}
	loaded := regexp.MustCompile(`(?:href|src)="/console/([^"]+)"`).FindAllStringSubmatch(page, -1)
	imported := regexp.MustCompile(`from '\./([^']+)'`)
	want := map[string]string{}
	for _, m := range loaded {
		want[m[1]] = ""
	}
	for name, text := range ours(t) {
		for _, m := range imported.FindAllStringSubmatch(text, -1) {
			want[m[1]] = name
		}
		if strings.Contains(text, "://") {
			t.Errorf("%s names another host", name)
		}
	}
	if len(want) < 8 {
		t.Fatalf("the page loads only %v", want)
	}
	for name, by := range want {
		res, body := get(t, e, "/console/"+name)
		if res.StatusCode != 200 || len(body) == 0 {
			t.Errorf("/console/%s (loaded by %q): %d", name, by, res.StatusCode)
		}
	}
	if res, _ := get(t, e, "/console/uPlot.LICENSE"); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("uPlot's licence: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, p := range []string{"/console/nothing.js", "/console/..%2Fconsole.go", "/console/%2e%2e"} {
		if res, _ := get(t, e, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
}

// document is the part of docs/openapi.yaml these tests read.
type document struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas map[string]struct {
			Enum []string `yaml:"enum"`
		} `yaml:"schemas"`
	} `yaml:"components"`
}

func openapi(t *testing.T) document {
	t.Helper()
	var d document
	if err := yaml.Unmarshal(docs.OpenAPI, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// documented says whether the document has an operation method on a path
// like path, where {} stands for one segment.
func (d document) documented(method, path string) bool {
	param := regexp.MustCompile(`\{[^/}]*\}`)
	for p, ops := range d.Paths {
		if param.ReplaceAllString(p, "{}") != path {
			continue
		}
		if _, ok := ops[strings.ToLower(method)]; ok {
			return true
		}
	}
	return false
}

var (
	callSite = regexp.MustCompile("call\\('([A-Z]+)', `([^`]*)`")
	interp   = regexp.MustCompile(`\$\{[^}]*\}`)
)

// calls lists the API calls of the console's scripts as "METHOD /path",
// a path parameter written {}.
func calls(files map[string]string) []string {
	var out []string
	for _, text := range files {
		for _, m := range callSite.FindAllStringSubmatch(text, -1) {
			out = append(out, m[1]+" "+interp.ReplaceAllString(m[2], "{}"))
		}
	}
	slices.Sort(out)
	return out
}

// TestConsoleCallsOnlyDocumentedOperations: every call the console's
// scripts can make is an operation of docs/openapi.yaml. The scripts reach
// the network only through api.js's call, which the check reads.
func TestConsoleCallsOnlyDocumentedOperations(t *testing.T) {
	d := openapi(t)
	files := ours(t)
	found := calls(files)
	if len(found) < 10 {
		t.Fatalf("found only %d calls: %v", len(found), found)
	}
	for _, c := range found {
		method, path, _ := strings.Cut(c, " ")
		if !d.documented(method, path) {
			t.Errorf("the console calls %s, which docs/openapi.yaml does not document", c)
		}
	}
	// The check can fail: calls it must refuse.
	for _, c := range []string{"GET /v1/nothing", "DELETE /v1/promos/{}", "GET /v1/promos/{}/stats"} {
		method, path, _ := strings.Cut(c, " ")
		if d.documented(method, path) {
			t.Errorf("%s passes the check", c)
		}
	}
	if got := calls(map[string]string{"x.js": "call('PUT', `/v1/users/${seg(id)}/x`)"}); !slices.Equal(got, []string{"PUT /v1/users/{}/x"}) {
		t.Errorf("calls reads %v", got)
	}
	// Nothing else reaches the network.
	doors := regexp.MustCompile(`\bfetch\(|XMLHttpRequest|EventSource|WebSocket|sendBeacon|import\(`)
	for name, text := range files {
		n := len(doors.FindAllString(text, -1))
		if name == "api.js" {
			n-- // call's one fetch
		}
		if n != 0 {
			t.Errorf("%s reaches the network outside api.js's call: %v", name, doors.FindAllString(text, -1))
		}
	}
	if strings.Count(files["api.js"], "fetch(") != 1 {
		t.Errorf("api.js fetches other than in call")
	}
}

// TestEventTypesAreTheDocuments: the event log's type filter offers the
// document's event types, no more and no fewer.
func TestEventTypesAreTheDocuments(t *testing.T) {
	src := ours(t)["events.js"]
	block := regexp.MustCompile(`(?s)export const TYPES = \[(.*?)\];`).FindStringSubmatch(src)
	if block == nil {
		t.Fatal("events.js has no TYPES")
	}
	var types []string
	for _, m := range regexp.MustCompile(`'(\w+)'`).FindAllStringSubmatch(block[1], -1) {
		types = append(types, m[1])
	}
	want := openapi(t).Components.Schemas["EventType"].Enum
	slices.Sort(types)
	want = slices.Clone(want)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(types, want) {
		t.Errorf("events.js offers %v, the document lists %v", types, want)
	}
}
