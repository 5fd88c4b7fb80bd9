package domain_test

import (
	"math"
	"testing"

	"github.com/flashpromo/flashpromo/domain"
)

func TestLocationValidate(t *testing.T) {
	tests := []struct {
		loc   domain.Location
		field string
	}{
		{domain.Location{Lat: 19.4326, Lng: -99.1332}, ""},
		{domain.Location{Lat: 90, Lng: 180}, ""},
		{domain.Location{Lat: -90, Lng: -180}, ""},
		{domain.Location{Lat: 90.0001}, "lat"},
		{domain.Location{Lat: -90.0001}, "lat"},
		{domain.Location{Lng: 180.0001}, "lng"},
		{domain.Location{Lng: -180.0001}, "lng"},
		{domain.Location{Lat: math.NaN()}, "lat"},
		{domain.Location{Lng: math.NaN()}, "lng"},
		{domain.Location{Lat: math.Inf(1)}, "lat"},
		{domain.Location{Lng: math.Inf(-1)}, "lng"},
	}
	for _, tt := range tests {
		err := tt.loc.Validate()
		if tt.field == "" {
			if err != nil {
				t.Errorf("%v: %v", tt.loc, err)
			}
			continue
		}
		wantField(t, err, tt.field)
	}
}

func TestDistance(t *testing.T) {
	zocalo := domain.Location{Lat: 19.4326, Lng: -99.1332}
	tests := []struct {
		name     string
		a, b     domain.Location
		want, by float64
	}{
		{"same point", zocalo, zocalo, 0, 1e-9},
		{"0.01 degree of latitude", zocalo, domain.Location{Lat: 19.4426, Lng: -99.1332}, 1111.95, 0.01},
		{"0.01 degree of longitude at the equator", domain.Location{}, domain.Location{Lng: 0.01}, 1111.95, 0.01},
		{"pole to pole", domain.Location{Lat: 90}, domain.Location{Lat: -90}, math.Pi * 6371008.8, 1e-3},
		{"antipodes", domain.Location{Lng: 0}, domain.Location{Lng: 180}, math.Pi * 6371008.8, 1e-3},
		{"across the antimeridian", domain.Location{Lng: 179.995}, domain.Location{Lng: -179.995}, 1111.95, 0.01},
	}
	for _, tt := range tests {
		if got := domain.Distance(tt.a, tt.b); math.Abs(got-tt.want) > tt.by {
			t.Errorf("%s: %f m, want %f", tt.name, got, tt.want)
		}
		if d1, d2 := domain.Distance(tt.a, tt.b), domain.Distance(tt.b, tt.a); d1 != d2 {
			t.Errorf("%s: not symmetric %f %f", tt.name, d1, d2)
		}
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    domain.Money
		want string
	}{
		{domain.Money{Amount: 49900, Currency: "MXN"}, "499.00 MXN"},
		{domain.Money{Amount: 99999, Currency: "MXN"}, "999.99 MXN"},
		{domain.Money{Amount: 5, Currency: "USD"}, "0.05 USD"},
		{domain.Money{Amount: 0, Currency: "USD"}, "0.00 USD"},
		{domain.Money{Amount: -150, Currency: "EUR"}, "-1.50 EUR"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%#v: %q, want %q", tt.m, got, tt.want)
		}
	}
}
