// Package apidoc serves the contract's OpenAPI document and a page that
// renders it (Swagger UI), both from the binary and both public.
package apidoc

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"

	"github.com/flashpromo/flashpromo/docs"
)

// ui holds the page, its start script, and Swagger UI's files as npm's
// swagger-ui-dist ships them, with its licence.
//
//go:embed ui
var ui embed.FS

// document is docs/openapi.yaml as JSON, converted once: the YAML is the
// source people edit, and a test proves it converts.
var document = mustJSON(docs.OpenAPI)

// Register adds GET /openapi.json, GET /docs and GET /docs/{asset}; none
// of them needs a credential.
func Register(e *echo.Echo) {
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, document)
	})
	e.GET("/docs", func(c echo.Context) error { return asset(c, "index.html") })
	e.GET("/docs/:asset", func(c echo.Context) error { return asset(c, c.Param("asset")) })
}

// Document returns the OpenAPI document as JSON.
func Document() []byte { return bytes.Clone(document) }

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

func asset(c echo.Context, name string) error {
	data, err := fs.ReadFile(ui, "ui/"+name)
	if err != nil || name != path.Base(name) {
		return echo.ErrNotFound
	}
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		ct = "text/plain; charset=utf-8" // the licences
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, ct, data)
}

func mustJSON(src []byte) []byte {
	out, err := yamlToJSON(src)
	if err != nil {
		panic("apidoc: docs/openapi.yaml: " + err.Error())
	}
	return out
}

// yamlToJSON converts a YAML document to JSON keeping the order of keys,
// so that /openapi.json reads in the order the document was written.
func yamlToJSON(src []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var root, more yaml.Node
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, errors.New("want one YAML document")
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, &root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: want one document", n.Line)
		}
		return writeJSON(buf, n.Content[0])
	case yaml.AliasNode:
		return writeJSON(buf, n.Alias)
	case yaml.MappingNode:
		return writeObject(buf, n)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	var v any
	if n.Tag == "!!timestamp" { // a date stays the text it was written as
		v = n.Value
	} else if err := n.Decode(&v); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	buf.Write(data)
	return nil
}

func writeObject(buf *bytes.Buffer, n *yaml.Node) error {
	buf.WriteByte('{')
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return fmt.Errorf("line %d: keys must be plain scalars", k.Line)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: key %q twice", k.Line, k.Value)
		}
		seen[k.Value] = true
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(k.Value)
		buf.Write(key)
		buf.WriteByte(':')
		if err := writeJSON(buf, n.Content[i+1]); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}
