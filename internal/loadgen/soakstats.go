package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// soakStats sorts the answers of a soak into windows (a minute each) and
// endpoints: their latencies, their statuses, the server's resident memory.
type soakStats struct {
	start  time.Time
	window time.Duration
	last   int // the last window: a step of the load that ends after the run counts in it

	mu       sync.Mutex
	lat      []map[string]*latencies // by window, by endpoint
	rss      []float64               // the most resident bytes seen in each window
	load     []float64               // the highest load average of this machine seen in each window
	codes    map[string]map[int]int  // by endpoint, by status (0: no answer)
	failures []string                // the first 5xx and unanswered requests, to show
}

func newSoakStats(start time.Time, window, duration time.Duration) *soakStats {
	last := int((duration+window-1)/window) - 1
	return &soakStats{start: start, window: window, last: max(0, last), codes: map[string]map[int]int{}}
}

// at is the window of t, growing the lists to hold it.
func (s *soakStats) at(t time.Time) int {
	w := min(s.last, max(0, int(t.Sub(s.start)/s.window)))
	for len(s.lat) <= w {
		s.lat = append(s.lat, map[string]*latencies{})
		s.rss = append(s.rss, 0)
		s.load = append(s.load, 0)
	}
	return w
}

// record counts one request to endpoint that started at t and took d.
func (s *soakStats) record(endpoint string, t time.Time, d time.Duration, code int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.at(t)
	if s.lat[w][endpoint] == nil {
		s.lat[w][endpoint] = &latencies{}
	}
	s.lat[w][endpoint].ds = append(s.lat[w][endpoint].ds, d)
	if s.codes[endpoint] == nil {
		s.codes[endpoint] = map[int]int{}
	}
	s.codes[endpoint][code]++
	if (code == 0 || code >= 500) && len(s.failures) < 10 {
		s.failures = append(s.failures, fmt.Sprintf("%s: status %d: %v", endpoint, code, err))
	}
}

// resident notes a sample of the server's resident memory taken at t.
func (s *soakStats) resident(t time.Time, bytes float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.at(t)
	s.rss[w] = max(s.rss[w], bytes)
}

// loaded notes this machine's load average at t (the server's too, when it
// runs here): the figures of a shared machine mean little without it.
func (s *soakStats) loaded(t time.Time) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	var load float64
	if _, err := fmt.Sscan(string(data), &load); err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.at(t)
	s.load[w] = max(s.load[w], load)
}

// failed counts the 5xx answers and the requests that got no answer.
func (s *soakStats) failed() (fivexx, unanswered int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, byCode := range s.codes {
		for code, n := range byCode {
			switch {
			case code == 0:
				unanswered += n
			case code >= 500:
				fivexx += n
			}
		}
	}
	return fivexx, unanswered
}

// windowFigures is one window's latencies: per endpoint and all together.
type windowFigures struct {
	endpoints []string
	of        map[string]*latencies
	all       *latencies
	rss, load float64
}

func (s *soakStats) figures(w int) windowFigures {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := windowFigures{of: map[string]*latencies{}, all: &latencies{}}
	if w >= len(s.lat) {
		return f
	}
	for e, lat := range s.lat[w] {
		f.endpoints = append(f.endpoints, e)
		f.of[e] = &latencies{ds: slices.Clone(lat.ds)}
		f.all.ds = append(f.all.ds, lat.ds...)
	}
	slices.Sort(f.endpoints)
	f.rss, f.load = s.rss[w], s.load[w]
	return f
}

// printWindow writes window w's rows: each endpoint's requests, p50 and
// p99, then all of them and the resident memory.
func (s *soakStats) printWindow(out io.Writer, w int) {
	f := s.figures(w)
	fmt.Fprintf(out, "minute %d\n", w+1)
	for _, e := range f.endpoints {
		lat := f.of[e]
		fmt.Fprintf(out, "  %-42s %7d  p50 %9s  p99 %9s\n", e, len(lat.ds), ms(lat.quantile(0.5)), ms(lat.quantile(0.99)))
	}
	fmt.Fprintf(out, "  %-42s %7d  p50 %9s  p99 %9s  resident %.1f MiB, load average up to %.1f\n", "all", len(f.all.ds),
		ms(f.all.quantile(0.5)), ms(f.all.quantile(0.99)), f.rss/(1<<20), f.load)
}

// printStatuses writes each endpoint's answers by status.
func (s *soakStats) printStatuses(out io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	endpoints := make([]string, 0, len(s.codes))
	for e := range s.codes {
		endpoints = append(endpoints, e)
	}
	slices.Sort(endpoints)
	fmt.Fprintln(out, "statuses (0: no answer)")
	for _, e := range endpoints {
		codes := make([]int, 0, len(s.codes[e]))
		for c := range s.codes[e] {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		parts := make([]string, len(codes))
		for i, c := range codes {
			parts[i] = fmt.Sprintf("%d×%d", c, s.codes[e][c])
		}
		fmt.Fprintf(out, "  %-42s %s\n", e, strings.Join(parts, " "))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// residentBytes reads process_resident_memory_bytes from the server's
// /metrics, with the status of the answer.
func (l *Loader) residentBytes(ctx context.Context) (int, float64, error) {
	return l.metric(ctx, "process_resident_memory_bytes")
}

// metric reads a gauge or counter from the server's /metrics, the sum of its
// samples over all labels, with the status of the answer.
func (l *Loader) metric(ctx context.Context, name string) (int, float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(l.Server, "/")+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	res, err := l.Client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, 0, fmt.Errorf("GET /metrics: %s", res.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		return res.StatusCode, 0, fmt.Errorf("GET /metrics: %w", err)
	}
	f, ok := families[name]
	if !ok || len(f.GetMetric()) == 0 {
		return res.StatusCode, 0, fmt.Errorf("GET /metrics: no %s", name)
	}
	sum := 0.0
	for _, m := range f.GetMetric() {
		sum += m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	return res.StatusCode, sum, nil
}
