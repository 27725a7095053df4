// Reads a JSON array of {"name","expr"} from stdin and prints one line per expression that
// Prometheus' own PromQL parser rejects; exits 1 if any does.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/prometheus/prometheus/promql/parser"
)

type query struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

func main() {
	var queries []query
	if err := json.NewDecoder(os.Stdin).Decode(&queries); err != nil {
		fmt.Fprintln(os.Stderr, "promql-check: stdin is not a JSON array of {name, expr}:", err)
		os.Exit(2)
	}
	failed := false
	for _, q := range queries {
		if _, err := parser.ParseExpr(q.Expr); err != nil {
			fmt.Printf("%s: %v\n", q.Name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
