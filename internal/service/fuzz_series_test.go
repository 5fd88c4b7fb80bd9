package service

import "testing"

// FuzzSeriesBodies sends any body to POST /v1/promo-series: never a 5xx,
// and a refused request leaves the log as it was.
func FuzzSeriesBodies(f *testing.F) {
	for _, seed := range []string{
		`{"store":{"id":"techshop","name":"TechShop","location":{"lat":19.4326,"lng":-99.1332}},"product":{"id":"audifonos-xyz","name":"Audífonos XYZ"},"regular_price":{"amount":99900,"currency":"MXN"},"promo_price":{"amount":49900,"currency":"MXN"},"segments":["new_users"],"radius_m":2000,"stock":5,"time_zone":"America/Mexico_City","window":{"start":"17:00","end":"19:00"},"days":["mon","fri"],"from":"2026-11-27","until":"2026-12-27"}`,
		`{"store":{"id":"s","name":"S","location":{"lat":1,"lng":1}},"product":{"id":"p","name":"P"},"regular_price":{"amount":2,"currency":"MXN"},"promo_price":{"amount":1,"currency":"MXN"},"segments":["new_users"],"radius_m":1,"stock":1,"time_zone":"America/New_York","window":{"start":"02:00","end":"02:30"},"from":"2027-03-14","until":"2027-03-14"}`,
		`{"store":{"id":"s","name":"S","location":{"lat":1,"lng":1}},"product":{"id":"p","name":"P"},"regular_price":{"amount":2,"currency":"MXN"},"promo_price":{"amount":1,"currency":"MXN"},"segments":["new_users"],"radius_m":1,"stock":1,"window":{"start":"23:59","end":"00:00"},"from":"9998-12-31","until":"9998-12-31"}`,
		`{"time_zone":"Local"}`, `{"window":{"start":"25:00"}}`, `{"days":[]}`, `[]`, `null`, `{`, "",
	} {
		f.Add([]byte(seed))
	}
	svc := fuzzService(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzRequest(t, svc, "POST", "/v1/promo-series", "Bearer "+testToken, body)
	})
}
