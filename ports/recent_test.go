package ports

import (
	"fmt"
	"testing"
)

func TestRecentSetForgetsTheOldestFirst(t *testing.T) {
	r := newRecentSet(3)
	for _, id := range []string{"a", "b", "a", "c"} { // a again: still one place
		r.add(id)
	}
	for _, id := range []string{"a", "b", "c"} {
		if !r.has(id) {
			t.Errorf("%s forgotten among the last 3", id)
		}
	}
	r.add("d")
	if r.has("a") {
		t.Error("a remembered after 3 newer ids")
	}
	for _, id := range []string{"b", "c", "d"} {
		if !r.has(id) {
			t.Errorf("%s forgotten among the last 3", id)
		}
	}
	for i := range 10 {
		r.add(fmt.Sprint(i))
	}
	if len(r.ids) != 3 {
		t.Errorf("%d ids remembered, want the bound of 3", len(r.ids))
	}
}

func TestRecentSetTakesNoEmptyID(t *testing.T) {
	r := newRecentSet(2)
	r.add("")
	if r.has("") {
		t.Error("an empty id (a message without a UUID) counts as finished")
	}
}
