package domain_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

func TestCreatePromoRecordsTheSpecInUTC(t *testing.T) {
	cdmx := time.FixedZone("CST", -6*3600)
	s := validSpec()
	s.StartsAt, s.EndsAt = startsAt.In(cdmx), endsAt.In(cdmx)

	p, err := domain.CreatePromo(promoID, s, before)

	then(t, p, err, nil, created(50))
	if p.ID() != promoID || p.Version() != 0 {
		t.Fatalf("id %q version %d, want %q 0", p.ID(), p.Version(), promoID)
	}
	p.Commit()
	if p.Version() != 1 || len(p.Changes()) != 0 {
		t.Fatalf("after Commit: version %d, %d changes", p.Version(), len(p.Changes()))
	}
	if !p.SameSpec(s) {
		t.Fatal("SameSpec of its own spec in another zone = false")
	}
}

func TestCreatePromoAllowsAPastStart(t *testing.T) {
	s := validSpec()
	s.StartsAt = during.Add(-24 * time.Hour)
	p, err := domain.CreatePromo(promoID, s, during)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Status(during); got != domain.PromoStatusActive {
		t.Fatalf("status %q, want active at once", got)
	}
}

func TestCreatePromoRejects(t *testing.T) {
	tests := []struct {
		name  string
		id    string
		edit  func(*domain.PromoSpec)
		field string
	}{
		{"empty id", "", nil, "id"},
		{"long id", strings.Repeat("a", 129), nil, "id"},
		{"id with a slash", "a/b", nil, "id"},
		{"no store id", "", func(s *domain.PromoSpec) { s.Store.ID = "" }, "store.id"},
		{"blank store name", "", func(s *domain.PromoSpec) { s.Store.Name = "  " }, "store.name"},
		{"store id not UTF-8", "", func(s *domain.PromoSpec) { s.Store.ID = "\xff" }, "store.id"},
		{"product name too long", "", func(s *domain.PromoSpec) { s.Product.Name = strings.Repeat("é", 257) }, "product.name"},
		{"currency of 4 letters", "", func(s *domain.PromoSpec) { s.RegularPrice.Currency = "MXNN" }, "regular_price.currency"},
		{"store lat", "", func(s *domain.PromoSpec) { s.Store.Location.Lat = 91 }, "store.location.lat"},
		{"store lng NaN", "", func(s *domain.PromoSpec) { s.Store.Location.Lng = math.NaN() }, "store.location.lng"},
		{"no product id", "", func(s *domain.PromoSpec) { s.Product.ID = "" }, "product.id"},
		{"no product name", "", func(s *domain.PromoSpec) { s.Product.Name = "" }, "product.name"},
		{"regular currency", "", func(s *domain.PromoSpec) { s.RegularPrice.Currency = "mxn" }, "regular_price.currency"},
		{"regular amount", "", func(s *domain.PromoSpec) { s.RegularPrice.Amount = 0 }, "regular_price.amount"},
		{"promo amount", "", func(s *domain.PromoSpec) { s.PromoPrice.Amount = -1 }, "promo_price.amount"},
		{"other currency", "", func(s *domain.PromoSpec) { s.PromoPrice.Currency = "USD" }, "promo_price.currency"},
		{"promo price equal", "", func(s *domain.PromoSpec) { s.PromoPrice = regular }, "promo_price.amount"},
		{"promo price above", "", func(s *domain.PromoSpec) { s.PromoPrice.Amount = 100000 }, "promo_price.amount"},
		{"no segments", "", func(s *domain.PromoSpec) { s.Segments = nil }, "segments"},
		{"unknown segment", "", func(s *domain.PromoSpec) { s.Segments = []domain.Segment{"vip"} }, "segments"},
		{"duplicate segment", "", func(s *domain.PromoSpec) {
			s.Segments = []domain.Segment{domain.SegmentNewUsers, domain.SegmentNewUsers}
		}, "segments"},
		{"radius 0", "", func(s *domain.PromoSpec) { s.RadiusM = 0 }, "radius_m"},
		{"radius over", "", func(s *domain.PromoSpec) { s.RadiusM = 50000.001 }, "radius_m"},
		{"radius NaN", "", func(s *domain.PromoSpec) { s.RadiusM = math.NaN() }, "radius_m"},
		{"no start", "", func(s *domain.PromoSpec) { s.StartsAt = time.Time{} }, "starts_at"},
		{"end at start", "", func(s *domain.PromoSpec) { s.EndsAt = s.StartsAt }, "ends_at"},
		{"end before start", "", func(s *domain.PromoSpec) { s.EndsAt = s.StartsAt.Add(-time.Second) }, "ends_at"},
		{"end passed", "", func(s *domain.PromoSpec) { s.StartsAt = before.Add(-2 * time.Hour); s.EndsAt = before }, "ends_at"},
		{"stock 0", "", func(s *domain.PromoSpec) { s.Stock = 0 }, "stock"},
		{"stock huge", "", func(s *domain.PromoSpec) { s.Stock = 1_000_001 }, "stock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, id := validSpec(), tt.id
			if tt.edit != nil {
				tt.edit(&s)
				id = promoID
			}
			p, err := domain.CreatePromo(id, s, before)
			if p != nil {
				t.Fatal("a refused create returned a promo")
			}
			wantField(t, err, tt.field)
		})
	}
}

func TestCreatePromoAcceptsTheBounds(t *testing.T) {
	s := validSpec()
	s.RadiusM, s.Stock, s.Segments = 50000, 1_000_000, []domain.Segment{domain.SegmentFrequentBuyers}
	if _, err := domain.CreatePromo("A.b_c:d-"+strings.Repeat("9", 120), s, endsAt.Add(-time.Nanosecond)); err != nil {
		t.Fatal(err)
	}
}

func TestSameSpec(t *testing.T) {
	p := domain.LoadPromo(given(50))
	tests := []struct {
		name string
		edit func(*domain.PromoSpec)
		want bool
	}{
		{"same", func(*domain.PromoSpec) {}, true},
		{"segments reordered", func(s *domain.PromoSpec) {
			s.Segments = []domain.Segment{domain.SegmentFrequentBuyers, domain.SegmentNewUsers}
		}, true},
		{"times in another zone", func(s *domain.PromoSpec) { s.StartsAt = s.StartsAt.In(time.FixedZone("", 3600)) }, true},
		{"more segments", func(s *domain.PromoSpec) { s.Segments = append(s.Segments, "vip") }, false},
		{"fewer segments", func(s *domain.PromoSpec) { s.Segments = s.Segments[:1] }, false},
		{"other stock", func(s *domain.PromoSpec) { s.Stock = 49 }, false},
		{"other end", func(s *domain.PromoSpec) { s.EndsAt = s.EndsAt.Add(time.Second) }, false},
		{"other store name", func(s *domain.PromoSpec) { s.Store.Name = "Other" }, false},
		{"other location", func(s *domain.PromoSpec) { s.Store.Location.Lat += 1e-9 }, false},
		{"other price", func(s *domain.PromoSpec) { s.PromoPrice.Amount++ }, false},
		{"other radius", func(s *domain.PromoSpec) { s.RadiusM++ }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.edit(&s)
			if got := p.SameSpec(s); got != tt.want {
				t.Fatalf("SameSpec = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSpecIsACopy(t *testing.T) {
	p := domain.LoadPromo(given(50))
	s := p.Spec()
	s.Segments[0] = "changed"
	if p.Spec().Segments[0] != domain.SegmentNewUsers {
		t.Fatal("Spec leaked the promo's segments slice")
	}
}

func TestPromoStatus(t *testing.T) {
	tests := []struct {
		name    string
		history []domain.Event
		now     time.Time
		want    domain.PromoStatus
	}{
		{"before start", given(1), startsAt.Add(-time.Nanosecond), domain.PromoStatusScheduled},
		{"at start, not yet activated", given(1), startsAt, domain.PromoStatusActive},
		{"during", given(1, domain.PromoActivated{PromoID: promoID}), during, domain.PromoStatusActive},
		{"just before end", given(1), endsAt.Add(-time.Nanosecond), domain.PromoStatusActive},
		{"at end, not yet ended", given(1), endsAt, domain.PromoStatusEnded},
		{"ended recorded", given(1, domain.PromoEnded{PromoID: promoID}), endsAt, domain.PromoStatusEnded},
		{"cancelled before start", given(1, domain.PromoCancelled{PromoID: promoID}), before, domain.PromoStatusCancelled},
		{"cancelled after end", given(1, domain.PromoCancelled{PromoID: promoID}), endsAt.Add(time.Hour), domain.PromoStatusCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.LoadPromo(tt.history).Status(tt.now); got != tt.want {
				t.Fatalf("Status = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPromoLifecycle(t *testing.T) {
	activated := domain.PromoActivated{PromoID: promoID}
	ended := domain.PromoEnded{PromoID: promoID}
	cancelled := domain.PromoCancelled{PromoID: promoID}
	activate := func(now time.Time) func(*domain.Promo) error {
		return func(p *domain.Promo) error { return p.Activate(now) }
	}
	end := func(now time.Time) func(*domain.Promo) error {
		return func(p *domain.Promo) error { return p.End(now) }
	}
	cancel := func(now time.Time) func(*domain.Promo) error {
		return func(p *domain.Promo) error { return p.Cancel(now) }
	}
	tests := []struct {
		name    string
		given   []domain.Event
		when    func(*domain.Promo) error
		wantErr error
		want    []domain.Event
	}{
		{"activate at start", given(1), activate(startsAt), nil, []domain.Event{activated}},
		{"activate late, still in window", given(1), activate(during), nil, []domain.Event{activated}},
		{"activate twice is a no-op", given(1, activated), activate(during), nil, nil},
		{"activated then cancelled: no-op", given(1, activated, cancelled), activate(during), nil, nil},
		{"activate before start", given(1), activate(before), domain.ErrPromoNotActive, nil},
		{"activate after end", given(1), activate(endsAt), domain.ErrPromoNotActive, nil},
		{"activate cancelled", given(1, cancelled), activate(during), domain.ErrPromoNotActive, nil},
		{"end at end", given(1, activated), end(endsAt), nil, []domain.Event{ended}},
		{"end a never activated promo", given(1), end(endsAt.Add(time.Hour)), nil, []domain.Event{ended}},
		{"end twice is a no-op", given(1, ended), end(endsAt), nil, nil},
		{"end before end", given(1, activated), end(endsAt.Add(-time.Nanosecond)), domain.ErrPromoNotActive, nil},
		{"end cancelled", given(1, cancelled), end(endsAt), domain.ErrPromoNotActive, nil},
		{"cancel scheduled", given(1), cancel(before), nil, []domain.Event{cancelled}},
		{"cancel active", given(1, activated), cancel(during), nil, []domain.Event{cancelled}},
		{"cancel twice is a no-op", given(1, cancelled), cancel(during), nil, nil},
		{"cancel at end", given(1), cancel(endsAt), domain.ErrPromoNotActive, nil},
		{"cancel ended", given(1, ended), cancel(during), domain.ErrPromoNotActive, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := domain.LoadPromo(tt.given)
			then(t, p, tt.when(p), tt.wantErr, tt.want...)
		})
	}
}

func TestPromoFlags(t *testing.T) {
	p := domain.LoadPromo(given(1, domain.PromoActivated{PromoID: promoID}, domain.PromoCancelled{PromoID: promoID}))
	if !p.Activated() || p.Ended() || !p.Cancelled() {
		t.Fatalf("flags activated=%v ended=%v cancelled=%v", p.Activated(), p.Ended(), p.Cancelled())
	}
	if p.Version() != 3 || p.ID() != promoID {
		t.Fatalf("version %d id %q", p.Version(), p.ID())
	}
}

func TestSummary(t *testing.T) {
	got := domain.LoadPromo(given(5)).Summary()
	want := domain.PromoSummary{ID: promoID, Store: techShop, Product: xyz, RegularPrice: regular, PromoPrice: price, StartsAt: startsAt, EndsAt: endsAt}
	if got != want {
		t.Fatalf("Summary = %#v", got)
	}
}
