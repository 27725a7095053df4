// Reads {"queries": [{"name","expr"}], "scrapes": [{"instance", "atMs", "text"}]} from stdin. Each expression is
// parsed by Prometheus' own parser and, when scrapes are given, evaluated by Prometheus' own engine
// as an instant query at the last scrape's time, over a storage holding the scraped samples (the
// text exposition format of /metrics). Prints a JSON array of {"name", "error", "series"}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/teststorage"
)

type query struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

type scrape struct {
	// The target's instance label, as Prometheus adds it: it keeps two targets' series apart.
	Instance string `json:"instance"`
	AtMs     int64  `json:"atMs"`
	Text     string `json:"text"`
}

type result struct {
	Name   string `json:"name"`
	Error  string `json:"error,omitempty"`
	Series int    `json:"series"`
}

func main() {
	var input struct {
		Queries []query  `json:"queries"`
		Scrapes []scrape `json:"scrapes"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		fail("stdin is not {queries: [{name, expr}], scrapes: [{atMs, text}]}: %v", err)
	}
	var store *teststorage.TestStorage
	var at time.Time
	if len(input.Scrapes) > 0 {
		var err error
		if store, err = teststorage.NewWithError(); err != nil {
			fail("%v", err)
		}
		defer store.Close()
		for _, s := range input.Scrapes {
			if err := load(store, s); err != nil {
				fail("scrape at %d: %v", s.AtMs, err)
			}
			at = time.UnixMilli(s.AtMs)
		}
	}
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1_000_000, Timeout: 30 * time.Second, LookbackDelta: 5 * time.Minute})
	results := []result{}
	for _, q := range input.Queries {
		r := result{Name: q.Name}
		if _, err := parser.ParseExpr(q.Expr); err != nil {
			r.Error = err.Error()
		} else if store != nil {
			r.Series, r.Error = evaluate(engine, store, q.Expr, at)
		}
		results = append(results, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fail("%v", err)
	}
}

func evaluate(engine *promql.Engine, store storage.Queryable, expr string, at time.Time) (int, string) {
	q, err := engine.NewInstantQuery(context.Background(), store, nil, expr, at)
	if err != nil {
		return 0, err.Error()
	}
	defer q.Close()
	res := q.Exec(context.Background())
	if res.Err != nil {
		return 0, res.Err.Error()
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return len(v), ""
	case promql.Matrix:
		return len(v), ""
	case promql.Scalar:
		return 1, ""
	default:
		return 0, fmt.Sprintf("unexpected result type %s", res.Value.Type())
	}
}

// load appends every sample of one scrape at its time, as Prometheus' scrape loop would.
func load(store storage.Appendable, s scrape) error {
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(strings.NewReader(s.Text))
	if err != nil {
		return err
	}
	app := store.Appender(context.Background())
	add := func(name string, m *dto.Metric, extra map[string]string, value float64) error {
		b := labels.NewBuilder(labels.EmptyLabels())
		b.Set(model.MetricNameLabel, name)
		b.Set(model.InstanceLabel, s.Instance)
		for _, l := range m.GetLabel() {
			b.Set(l.GetName(), l.GetValue())
		}
		for k, v := range extra {
			b.Set(k, v)
		}
		if _, err := app.Append(0, b.Labels(), s.AtMs, value); err != nil {
			return fmt.Errorf("%s: %w", b.Labels(), err)
		}
		return nil
	}
	for name, family := range families {
		for _, m := range family.GetMetric() {
			switch family.GetType() {
			case dto.MetricType_COUNTER:
				err = add(name, m, nil, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				err = add(name, m, nil, m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				err = add(name, m, nil, m.GetUntyped().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					if err = add(name+"_bucket", m, map[string]string{"le": formatLe(b.GetUpperBound())}, float64(b.GetCumulativeCount())); err != nil {
						return err
					}
				}
				if err = add(name+"_bucket", m, map[string]string{"le": "+Inf"}, float64(h.GetSampleCount())); err != nil {
					return err
				}
				if err = add(name+"_sum", m, nil, h.GetSampleSum()); err == nil {
					err = add(name+"_count", m, nil, float64(h.GetSampleCount()))
				}
			case dto.MetricType_SUMMARY:
				sm := m.GetSummary()
				for _, q := range sm.GetQuantile() {
					if err = add(name, m, map[string]string{"quantile": fmt.Sprint(q.GetQuantile())}, q.GetValue()); err != nil {
						return err
					}
				}
				if err = add(name+"_sum", m, nil, sm.GetSampleSum()); err == nil {
					err = add(name+"_count", m, nil, float64(sm.GetSampleCount()))
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return app.Commit()
}

func formatLe(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprint(v)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "promql-check: "+format+"\n", args...)
	os.Exit(2)
}
