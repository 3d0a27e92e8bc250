package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
)

// searchAttribute is a custom search attribute to register in every namespace.
type searchAttribute struct {
	Name string
	Type enumspb.IndexedValueType
}

// searchAttributeTypes maps accepted type names (matched case-insensitively)
// to Temporal's indexed value types.
var searchAttributeTypes = map[string]enumspb.IndexedValueType{
	"Keyword":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Text":        enumspb.INDEXED_VALUE_TYPE_TEXT,
	"Int":         enumspb.INDEXED_VALUE_TYPE_INT,
	"Double":      enumspb.INDEXED_VALUE_TYPE_DOUBLE,
	"Bool":        enumspb.INDEXED_VALUE_TYPE_BOOL,
	"Datetime":    enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"KeywordList": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

var searchAttributeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// defaultSearchAttributes are always registered: Rigger's own attributes.
func defaultSearchAttributes() []searchAttribute {
	return []searchAttribute{
		{Name: "RiggerTenant", Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		{Name: "RiggerKind", Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		{Name: "RiggerStage", Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	}
}

func defaultSearchAttributesText() string {
	var parts []string
	for _, sa := range defaultSearchAttributes() {
		parts = append(parts, sa.Name+"="+typeName(sa.Type))
	}
	return strings.Join(parts, ", ")
}

func searchAttributeTypeNames() string {
	names := make([]string, 0, len(searchAttributeTypes))
	for n := range searchAttributeTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// typeName is the short name of an indexed value type, e.g. "Keyword".
func typeName(t enumspb.IndexedValueType) string {
	for n, v := range searchAttributeTypes {
		if v == t {
			return n
		}
	}
	return t.String()
}

// parseSearchAttribute parses "Name=Type".
func parseSearchAttribute(s string) (searchAttribute, error) {
	name, typ, ok := strings.Cut(s, "=")
	name, typ = strings.TrimSpace(name), strings.TrimSpace(typ)
	if !ok || name == "" || typ == "" {
		return searchAttribute{}, fmt.Errorf("--search-attribute %q: want Name=Type", s)
	}
	if !searchAttributeName.MatchString(name) || strings.HasPrefix(name, "Temporal") {
		return searchAttribute{}, fmt.Errorf("--search-attribute %q: invalid name %q", s, name)
	}
	for n, v := range searchAttributeTypes {
		if strings.EqualFold(n, typ) {
			return searchAttribute{Name: name, Type: v}, nil
		}
	}
	return searchAttribute{}, fmt.Errorf("--search-attribute %q: unknown type %q (want one of %s)", s, typ, searchAttributeTypeNames())
}

// mergeSearchAttributes adds the flag values to the base set; a flag naming
// an existing attribute replaces its type.
func mergeSearchAttributes(base []searchAttribute, flags []string) ([]searchAttribute, error) {
	out := append([]searchAttribute(nil), base...)
	for _, f := range flags {
		sa, err := parseSearchAttribute(f)
		if err != nil {
			return nil, err
		}
		replaced := false
		for i := range out {
			if out[i].Name == sa.Name {
				out[i], replaced = sa, true
			}
		}
		if !replaced {
			out = append(out, sa)
		}
	}
	return out, nil
}

// searchAttributeMap converts the list into the form the server helpers want.
func searchAttributeMap(attrs []searchAttribute) map[string]enumspb.IndexedValueType {
	m := make(map[string]enumspb.IndexedValueType, len(attrs))
	for _, sa := range attrs {
		m[sa.Name] = sa.Type
	}
	return m
}
