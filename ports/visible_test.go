package ports

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// The hand-built reply must say what encoding/json says of visibleJSON.
func TestVisibleEncoderSaysWhatEncodingJSONSays(t *testing.T) {
	store := domain.Store{ID: "tech\"shop", Name: "TechShop <Centro> ñ", Location: domain.Location{Lat: 19.4326, Lng: -99.1332}}
	ps := []app.VisiblePromo{
		{ID: "p1", Store: store, Product: domain.Product{ID: "xyz", Name: "Audífonos XYZ"},
			RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"},
			EndsAt: time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC), Available: 7, DistanceM: 442.92369656934073},
		{ID: "p2", Store: store, Product: domain.Product{ID: "abc", Name: "ABC"},
			RegularPrice: domain.Money{Amount: 100, Currency: "USD"}, PromoPrice: domain.Money{Amount: 1, Currency: "USD"},
			EndsAt: time.Date(2026, 11, 28, 1, 0, 0, 5, time.UTC), Available: 0, DistanceM: 1e-7},
	}
	var v visibleEncoder
	for range 2 { // the second time from the cache
		got, err := v.encode(ps)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]visibleJSON, len(ps))
		for i, p := range ps {
			out[i] = visibleJSON{p.ID, p.Store, p.Product, p.RegularPrice, p.PromoPrice, p.EndsAt, p.Available, p.DistanceM}
		}
		want, _ := json.Marshal(map[string][]visibleJSON{"promos": out})
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("not JSON: %s: %v", got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
	if got, _ := v.encode(nil); string(got) != "{\"promos\":[]}\n" {
		t.Errorf("no promos: %q", got)
	}
}
