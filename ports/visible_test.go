package ports

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
		{ID: "p1", Spec: &domain.PromoSpec{Store: store, Product: domain.Product{ID: "xyz", Name: "Audífonos XYZ"},
			RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"},
			EndsAt: time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)}, Available: 7, DistanceM: 442.92369656934073},
		{ID: "p2", Spec: &domain.PromoSpec{Store: store, Product: domain.Product{ID: "abc", Name: "ABC"},
			RegularPrice: domain.Money{Amount: 100, Currency: "USD"}, PromoPrice: domain.Money{Amount: 1, Currency: "USD"},
			EndsAt: time.Date(2026, 11, 28, 1, 0, 0, 5, time.UTC)}, Available: 0, DistanceM: 1e-7},
	}
	var v visibleEncoder
	for round := range 2 { // the second time with p1's fixed part from the read model (p2 has none)
		if round == 1 {
			ps[0].Fixed = VisibleFixed(ps[0].ID, ps[0].Spec)
		}
		got, err := v.encode([]byte("left over"), ps)
		got = got[len("left over"):]
		if err != nil {
			t.Fatal(err)
		}
		out := make([]visibleJSON, len(ps))
		for i, p := range ps {
			s := p.Spec
			out[i] = visibleJSON{p.ID, s.Store, s.Product, s.RegularPrice, s.PromoPrice, s.EndsAt, p.Available, p.DistanceM}
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
	if got, _ := v.encode(nil, nil); string(got) != "{\"promos\":[]}\n" {
		t.Errorf("no promos: %q", got)
	}
}

// BenchmarkVisibleEncode encodes a reply of 58 promos out of 10,000 known,
// the size of a reply in BENCHMARKS.md's reads scenario.
func BenchmarkVisibleEncode(b *testing.B) {
	var v visibleEncoder
	all := make([]app.VisiblePromo, 10_000)
	for i := range all {
		all[i] = app.VisiblePromo{ID: fmt.Sprintf("q1-q%05d", i), Spec: &domain.PromoSpec{Store: domain.Store{ID: "store", Name: "Bench store"},
			Product: domain.Product{ID: "product", Name: "Audífonos XYZ"}, RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"},
			PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"}, EndsAt: time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)}, Available: 10, DistanceM: 1234.5}
		all[i].Fixed = VisibleFixed(all[i].ID, all[i].Spec)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r, reply, buf := rand.New(rand.NewPCG(1, 2)), make([]app.VisiblePromo, 58), []byte(nil)
		for pb.Next() {
			for i := range reply {
				reply[i] = all[r.IntN(len(all))]
			}
			var err error
			if buf, err = v.encode(buf[:0], reply); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
