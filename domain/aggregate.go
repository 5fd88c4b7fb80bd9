package domain

import (
	"slices"
	"time"
	"unicode/utf8"
)

// root is the bookkeeping every aggregate shares: its id, the version it was
// loaded or last committed at (the expected version of the next append) and
// the events recorded since.
type root struct {
	id      string
	version int64
	changes []Event
}

// ID is the aggregate's stream id.
func (r *root) ID() string { return r.id }

// Version is the number of events loaded or committed; Changes are not
// counted until Commit.
func (r *root) Version() int64 { return r.version }

// Changes are the events recorded and not yet committed, oldest first.
func (r *root) Changes() []Event { return slices.Clone(r.changes) }

// Commit marks Changes as stored: call it after a successful append.
func (r *root) Commit() {
	r.version += int64(len(r.changes))
	r.changes = nil
}

// loaded sets the version after a rehydration of n events.
func (r *root) loaded(n int) { r.version = int64(n) }

// maxIDLen bounds client-chosen ids so they stay cheap as stream ids and keys.
const maxIDLen = 128

// validateID applies the rules of promo and user ids: non-empty, at most 128
// characters of [A-Za-z0-9._:-], safe in URLs, logs and stream ids.
func validateID(field, id string) error {
	if id == "" {
		return invalid(field, "must not be empty")
	}
	if len(id) > maxIDLen {
		return invalid(field, "must be at most 128 characters")
	}
	for i := range len(id) {
		if !idChar(id[i]) {
			return invalid(field, "may contain only letters, digits and . _ : -")
		}
	}
	return nil
}

func idChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '.' || c == '_' || c == ':' || c == '-'
}

// maxTextLen bounds free text such as names, in characters.
const maxTextLen = 256

// validateText requires some non-blank text of a sane length.
func validateText(field, s string) error {
	if isBlank(s) {
		return invalid(field, "must not be empty")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxTextLen {
		return invalid(field, "must be valid UTF-8 of at most 256 characters")
	}
	return nil
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// clockSkew is how far in the future a reported time may be: the marketplace
// clock and ours are not the same clock.
const clockSkew = time.Minute

// validatePast requires a set time not after now (give or take clockSkew).
func validatePast(field string, t, now time.Time) error {
	if t.IsZero() {
		return invalid(field, "must be set")
	}
	if t.After(now.Add(clockSkew)) {
		return invalid(field, "must not be in the future")
	}
	return nil
}
