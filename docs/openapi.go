// Package docs holds the HTTP contract as an OpenAPI 3.1 document, beside
// the guide (API.md) written from it, so that the binary serves the same
// file that people read and tests check.
package docs

import _ "embed"

// OpenAPI is openapi.yaml, the hand-written OpenAPI 3.1 document.
//
//go:embed openapi.yaml
var OpenAPI []byte
