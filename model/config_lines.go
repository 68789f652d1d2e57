package model

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// configLines records where the items of a config document sit, so that
// errors found after decoding (a duplicate name, a missing ca: file) point
// at a line as decoding errors do. The strict decode goes into Config;
// this second, tolerant pass over the same bytes only reads positions.
type configLines struct {
	top, defaults               itemLines
	endpoints, bundles, reloads []itemLines
}

// itemLines is one mapping: its own line and the line of each key's value.
type itemLines struct {
	line int
	keys map[string]int
}

// lines locates the items of c.src on first use (see Config.src).
func (c *Config) lines() *configLines {
	if c.located == nil {
		l := locateItems(c.src)
		c.located = &l
	}
	return c.located
}

// locateItems reads positions from data; a document it cannot read yields
// no positions (the strict decode has reported it already).
func locateItems(data []byte) configLines {
	var doc yaml.Node
	var out configLines
	if yaml.Unmarshal(data, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return out
	}
	root := doc.Content[0]
	out.top = mappingLines(root)
	forEachPair(root, func(k, v *yaml.Node) {
		switch k.Value {
		case "defaults":
			out.defaults = mappingLines(v)
		case "endpoints", "bundles", "reloads":
			if v.Kind != yaml.SequenceNode {
				return
			}
			items := make([]itemLines, 0, len(v.Content))
			for _, it := range v.Content {
				items = append(items, mappingLines(it))
			}
			switch k.Value {
			case "endpoints":
				out.endpoints = items
			case "bundles":
				out.bundles = items
			default:
				out.reloads = items
			}
		}
	})
	return out
}

// mappingLines records the mapping's keys, and one level of nested keys
// as "parent.key" (a reload's ssh.port, http.url).
func mappingLines(n *yaml.Node) itemLines {
	il := itemLines{line: n.Line, keys: map[string]int{}}
	forEachPair(n, func(k, v *yaml.Node) {
		il.keys[k.Value] = v.Line
		forEachPair(v, func(k2, v2 *yaml.Node) { il.keys[k.Value+"."+k2.Value] = v2.Line })
	})
	return il
}

func forEachPair(n *yaml.Node, f func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f(n.Content[i], n.Content[i+1])
	}
}

func (c configLines) endpoint(i int) itemLines {
	if i >= 0 && i < len(c.endpoints) {
		return c.endpoints[i]
	}
	return itemLines{}
}

func (c configLines) reload(i int) itemLines {
	if i >= 0 && i < len(c.reloads) {
		return c.reloads[i]
	}
	return itemLines{}
}

func (c configLines) bundle(i int) itemLines {
	if i >= 0 && i < len(c.bundles) {
		return c.bundles[i]
	}
	return itemLines{}
}

// lineOf is the line of key's value, else (for "parent.key") the
// parent's, else the item's line, else 0.
func (il itemLines) lineOf(key string) int {
	if n, ok := il.keys[key]; ok && key != "" {
		return n
	}
	if parent, _, nested := strings.Cut(key, "."); nested {
		return il.lineOf(parent)
	}
	return il.line
}

// at prefixes err with the line of key ("line 7: …"), when known.
func (il itemLines) at(key string, err error) error {
	if n := il.lineOf(key); n > 0 {
		return fmt.Errorf("line %d: %w", n, err)
	}
	return err
}

// wrap names the item ("endpoint 3 (web)") and points at the line of the
// key the error is about (see keyErr).
func (il itemLines) wrap(item string, err error) error {
	key := ""
	var ke *keyError
	if errors.As(err, &ke) {
		key = ke.key
	}
	return il.at(key, fmt.Errorf("%s: %w", item, err))
}

// onLine is " on line N", or "" when the line is unknown.
func (il itemLines) onLine() string {
	if il.line > 0 {
		return fmt.Sprintf(" on line %d", il.line)
	}
	return ""
}

// keyError marks which config key an item's error is about.
type keyError struct {
	key string
	err error
}

func (e *keyError) Error() string { return e.err.Error() }
func (e *keyError) Unwrap() error { return e.err }

func keyErr(key string, err error) error { return &keyError{key: key, err: err} }
