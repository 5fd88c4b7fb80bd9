package apidoc

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"

	"github.com/flashpromo/flashpromo/docs"
)

// TestDocumentIsValidOpenAPI31 loads what /openapi.json serves and
// validates it as an OpenAPI 3.1 document, examples included.
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(Document())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// TestJSONIsTheYAML: the conversion keeps every value (json.Unmarshal of
// both sides compares them as data).
func TestJSONIsTheYAML(t *testing.T) {
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal(docs.OpenAPI, &fromYAML); err != nil {
		t.Fatal(err)
	}
	viaJSON, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(viaJSON, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(Document(), &fromJSON); err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	if !reflect.DeepEqual(fromYAML, fromJSON) {
		t.Fatal("/openapi.json differs from docs/openapi.yaml")
	}
	if !strings.HasPrefix(string(Document()), `{"openapi":"3.1.0","info":`) {
		t.Errorf("/openapi.json does not keep the document's order: %.40s", Document())
	}
}

func TestYAMLToJSONRefusesWhatJSONCannotSay(t *testing.T) {
	for _, src := range []string{"a: 1\na: 2\n", "? [1, 2]\n: x\n", "a: 1\n---\nb: 2\n"} {
		if out, err := yamlToJSON([]byte(src)); err == nil {
			t.Errorf("%q converted to %s, want an error", src, out)
		}
	}
	out, err := yamlToJSON([]byte("d: 2026-12-01\nn: 1.5\nb: true\nz: null\nl: [x, 2]\n"))
	if err != nil || string(out) != `{"d":"2026-12-01","n":1.5,"b":true,"z":null,"l":["x",2]}` {
		t.Errorf("got %s, %v", out, err)
	}
}

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// TestServedWithoutCredentialOrCDN: the document, the page and every file
// the page loads come from the binary, and the page names no other host.
func TestServedWithoutCredentialOrCDN(t *testing.T) {
	e := echo.New()
	Register(e)
	res, body := get(t, e, "/openapi.json")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || body != string(Document()) {
		t.Fatalf("/openapi.json: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, page := get(t, e, "/docs")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, ref := range []struct{ path, ct string }{
		{"/docs/swagger-ui.css", "text/css"}, {"/docs/swagger-ui-bundle.js", "text/javascript"},
		{"/docs/init.js", "text/javascript"}, {"/docs/LICENSE", "text/plain"},
	} {
		if ref.path != "/docs/LICENSE" && !strings.Contains(page, `"`+ref.path+`"`) {
			t.Errorf("/docs does not load %s", ref.path)
		}
		res, body := get(t, e, ref.path)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ref.ct) || len(body) == 0 {
			t.Errorf("%s: %d %q", ref.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	if strings.Contains(page, "://") {
		t.Errorf("/docs names another host: %s", page)
	}
	_, init := get(t, e, "/docs/init.js")
	if !strings.Contains(init, `url: "/openapi.json"`) || !strings.Contains(init, "validatorUrl: null") {
		t.Errorf("init.js does not render this service's document alone: %s", init)
	}
	for _, p := range []string{"/docs/nothing.js", "/docs/..%2Fapidoc.go", "/docs/%2e%2e"} {
		if res, _ := get(t, e, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
}

// TestEveryOperationNamesItsRoles: an operation that needs a credential
// lists the roles of API.md v1.1 that may call it (what the console offers
// depends on it); a public one has security: [] and no roles.
func TestEveryOperationNamesItsRoles(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(Document())
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"client": true, "store": true, "marketplace": true, "analyst": true, "admin": true}
	public := map[string]bool{"/healthz": true, "/livez": true, "/readyz": true, "/metrics": true, "/openapi.json": true, "/docs": true, "/docs/{asset}": true,
		"/console": true, "/console/": true, "/console/{asset}": true}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			roles, _ := op.Extensions["x-roles"].([]any)
			if public[path] {
				if op.Security == nil || len(*op.Security) != 0 || roles != nil {
					t.Errorf("%s is public: want security: [] and no x-roles", name)
				}
				continue
			}
			if op.Security != nil || len(roles) == 0 {
				t.Errorf("%s: want the document's bearer schemes and x-roles", name)
			}
			listed := map[string]bool{}
			for _, r := range roles {
				if s, _ := r.(string); !known[s] {
					t.Errorf("%s: unknown role %v", name, r)
				} else {
					listed[s] = true
				}
			}
			if !listed["admin"] {
				t.Errorf("%s: the admin token has every role", name)
			}
			limits, _ := op.Extensions["x-role-limits"].(map[string]any)
			for r := range limits {
				if !listed[r] {
					t.Errorf("%s: x-role-limits names %s, which x-roles does not", name, r)
				}
			}
		}
	}
}
