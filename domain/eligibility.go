package domain

// Reaches is the eligibility rule, and the only place it is written: a
// user in one of the promo's segments and less than its radius from its
// store ("less than", as the contract words it) sees the promo, may hold a
// unit, and is notified of it. It returns the distance in metres when the
// user is reached. Queries and the fan-out call it for every candidate, so
// it stays small enough to inline and allocates nothing.
func Reaches(promo SegmentSet, store Location, radiusM float64, user SegmentSet, at Location) (distanceM float64, ok bool) {
	if promo&user == 0 { // first: a bit test, where the distance costs trigonometry
		return 0, false
	}
	d := Distance(store, at)
	return d, d < radiusM
}
