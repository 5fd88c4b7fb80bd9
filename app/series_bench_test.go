package app_test

// Creating a series of 366 occurrences (a year of daily windows) on
// Postgres, through the application with the real repository and read
// models: the series, its 366 promos and their claims go in one append,
// and the command waits for the read models to see them.
//
//	go test ./app/ -run '^$' -bench 'SeriesOfAYear' -benchtime 3x

import (
	"context"
	"fmt"
	"testing"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

func BenchmarkSeriesOfAYearPostgres(b *testing.B) {
	url := pgtest.Schema(b)
	pool, err := postgres.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	a, _ := benchApp(b, postgres.New(pool), fixedClock{crowdNow})
	n := 0
	for b.Loop() {
		n++
		id := fmt.Sprintf("year-%d", n)
		out, err := a.Commands.CreateSeries.Handle(context.Background(), yearSeries(id))
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Occurrences) != 366 {
			b.Fatalf("%d occurrences, want 366", len(out.Occurrences))
		}
		p, err := a.Queries.Promo.Handle(context.Background(), app.GetPromo{ID: out.Occurrences[365].PromoID})
		if err != nil || p.SeriesID != id {
			b.Fatalf("the last occurrence read back: %+v %v", p.SeriesID, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "ms/series")
}

// BenchmarkCancelSeriesOfAYearPostgres cancels such a series: its 366
// promos are loaded one by one, then cancelled in one append.
func BenchmarkCancelSeriesOfAYearPostgres(b *testing.B) {
	url := pgtest.Schema(b)
	pool, err := postgres.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	a, _ := benchApp(b, postgres.New(pool), fixedClock{crowdNow})
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		id := fmt.Sprintf("year-%d", n)
		if _, err := a.Commands.CreateSeries.Handle(context.Background(), yearSeries(id)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		out, err := a.Commands.CancelSeries.Handle(context.Background(), app.CancelSeries{ID: id})
		if err != nil || out.Status != domain.SeriesStatusCancelled {
			b.Fatalf("cancel: %v %v", out.Status, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "ms/cancel")
}

// yearSeries is a series of 366 daily occurrences from the day after crowdNow.
func yearSeries(id string) app.CreateSeries {
	from, _ := domain.ParseDate("from", "2026-11-28")
	return app.CreateSeries{ID: id, TimeZone: "America/Mexico_City",
		Spec: domain.SeriesSpec{
			Promo: domain.PromoSpec{
				Store:        domain.Store{ID: "store-" + id, Name: "Loja", Location: storeLocation},
				Product:      domain.Product{ID: "product-1", Name: "Café"},
				RegularPrice: domain.Money{Amount: 1000, Currency: "BRL"},
				PromoPrice:   domain.Money{Amount: 500, Currency: "BRL"},
				Segments:     []domain.Segment{domain.SegmentNewUsers}, RadiusM: 2000, Stock: 100,
			},
			Start: domain.TimeOfDay{Hour: 17}, End: domain.TimeOfDay{Hour: 19}, Days: domain.AllDays(), From: from, Until: from.AddDays(365),
		}}
}
