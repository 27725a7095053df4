// kstatus prints what sigs.k8s.io/cli-utils' kstatus computes for each object read as JSON on
// stdin: its status and message, one line each, as Flux and kpt would see them.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	dec := json.NewDecoder(os.Stdin)
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return
		} else if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// unstructured's own decoding keeps integers int64, as kstatus reads metadata.generation.
		var obj unstructured.Unstructured
		if err := obj.UnmarshalJSON(raw); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		res, err := status.Compute(&obj)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s\t%s\n", res.Status, res.Message)
	}
}
