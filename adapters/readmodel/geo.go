package readmodel

import (
	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"

	"github.com/flashpromo/flashpromo/domain"
)

// The geo index. Promos are filed under the S2 cells that cover their circle
// at promoLevel, users under the cell of their location at userLevel. Cells
// only narrow the search: whether a user sees a promo is still decided by
// domain.Reaches (segments, and strictly less than the radius).
const (
	// promoLevel: level-12 cells are about 2.3 km across, the order of a
	// typical radius: a finer level files a large circle under many more
	// cells, a coarser one meets many more candidates (BENCHMARKS.md,
	// section 6). The cells are computed once, when the promo is created.
	promoLevel = 12
	// userLevel: level-14 cells are about 570 m across, so the search of a
	// circle visits few users outside it (BENCHMARKS.md, section 6).
	userLevel = 14

	// coverRadiusM turns metres into an angle for covering. It is the
	// earth's polar radius, the smallest it has: whatever radius
	// domain.Distance uses, the circle covered is never smaller than the
	// one it measures.
	coverRadiusM = 6_356_752.0
	// coverMarginM widens the circle covered by a metre more, far beyond the
	// rounding of the haversine and of S2, so a point the exact check puts
	// just inside the radius is never in a cell left out.
	coverMarginM = 1.0
)

func cellAt(loc domain.Location, level int) s2.CellID {
	return s2.CellIDFromLatLng(s2.LatLngFromDegrees(loc.Lat, loc.Lng)).Parent(level)
}

// circle is the cap holding every point less than radiusM from center.
func circle(center domain.Location, radiusM float64) s2.Cap {
	if !(radiusM >= 0) { // NaN or negative: nothing is less than it away
		radiusM = 0
	}
	return s2.CapFromCenterAngle(s2.PointFromLatLng(s2.LatLngFromDegrees(center.Lat, center.Lng)),
		s1.Angle((radiusM+coverMarginM)/coverRadiusM))
}

// promoCells are the promoLevel cells a promo's circle touches.
func promoCells(center domain.Location, radiusM float64) []s2.CellID {
	rc := &s2.RegionCoverer{MinLevel: promoLevel, MaxLevel: promoLevel, MaxCells: 1 << 20}
	cu := rc.Covering(circle(center, radiusM))
	cu.Denormalize(promoLevel, 1) // a no-op unless the coverer merged cells
	return cu
}

// userCover is a coarse covering of a circle, for visiting the users in it:
// a few dozen cells of any level down to userLevel, cheap to compute for the
// largest circle, whose userLevel descendants the search then visits.
func userCover(c s2.Cap) s2.CellUnion {
	rc := &s2.RegionCoverer{MaxLevel: userLevel, MaxCells: 32}
	return rc.Covering(c)
}

// descendants is the number of userLevel cells under c.
func descendants(c s2.CellID) int {
	return 1 << (2 * (userLevel - c.Level()))
}
