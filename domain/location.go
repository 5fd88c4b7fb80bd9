package domain

import "math"

// earthRadiusM is the mean earth radius (IUGG), in metres.
const earthRadiusM = 6371008.8

// Location is a WGS84 point in degrees.
type Location struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Validate refuses coordinates off the globe, and NaN or infinities, which
// would make every distance comparison false.
func (l Location) Validate() error {
	if math.IsNaN(l.Lat) || l.Lat < -90 || l.Lat > 90 {
		return invalid("lat", "must be a number in [-90, 90]")
	}
	if math.IsNaN(l.Lng) || l.Lng < -180 || l.Lng > 180 {
		return invalid("lng", "must be a number in [-180, 180]")
	}
	return nil
}

// Distance is the great-circle distance in metres (haversine). A sphere is
// within 0.5% of the ellipsoid, plenty for a radius of a few kilometres.
func Distance(a, b Location) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLng := (b.Lng - a.Lng) * rad
	h := sq(math.Sin(dLat/2)) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*sq(math.Sin(dLng/2))
	return 2 * earthRadiusM * math.Asin(math.Sqrt(math.Min(1, h)))
}

func sq(x float64) float64 { return x * x }
