// Package nunjucks is the template language of Backstage software templates:
// nunjucks 3.2 as Backstage configures it (autoescape off, ${{ }} variable
// tags, or {{ }} plus Jinja compatibility for cookiecutterCompat), with
// JavaScript value semantics.
//
// # Why not an existing Go engine
//
// The issue asked for a maintained Jinja-family engine where one fits. We
// evaluated github.com/nikolalohinski/gonja/v2 (v2.9.1, configurable
// delimiters, custom filters) against the constructs the corpus templates
// use, and it does not fit without forking its value model:
//
//	${{ values.lombok }}           gonja "True"            nunjucks "true"
//	${{ 10 / 2 }}, float port      gonja "5.0", "8080.0"   nunjucks "5", "8080"
//	${{ x === 'y' }} (6 templates) gonja parse error       nunjucks strict equality
//	values.envs.replaceAll(',','-') gonja unknown method   JS String method
//	{% if [] %}                    gonja false             nunjucks true (JS)
//	${{ values.missing.deeper }}   gonja error             nunjucks prints nothing
//	${{ list }}                    gonja "['a', 'b']"      nunjucks "a,b"
//	{% include '/etc/passwd' %}    gonja reads the file    must be refused
//
// Those differences land in generated files (build.gradle with
// "lombok = True" does not build). github.com/flosch/pongo2 is Django syntax
// (filter:arg) and cannot parse nunjucks filter calls at all. So this package
// is a focused implementation of exactly the nunjucks surface Backstage
// templates use, checked against real nunjucks: every table test
// (cases_test.go) and every rendered corpus file is also rendered by npm
// nunjucks 3.2.4 when node is available (see ../bench/render.js).
//
// # What it supports
//
// Tags: if/elif/elseif/else, for (with loop.*, else, key/value and tuple
// unpacking), set (single, multiple targets, block capture), raw, verbatim,
// filter blocks, comments, whitespace control with "-" on every tag kind,
// trimBlocks and lstripBlocks. Expressions: nunjucks' operators and
// precedence including ===/!==, in, is tests, inline if, regex literals
// r/../g, array/object literals, calls of JavaScript String/Array/Number
// methods (split, replaceAll, startsWith, join, ...), range(). Filters: the
// nunjucks built-ins used in the wild (see filters.go); callers add more
// (Backstage's parseRepoUrl etc. live in the scaffolder package).
//
// Refused: include, import, from, extends (templates may not read files),
// and macro/call/block/switch/async tags (unsupported; a clear parse error).
//
// # Sandbox
//
// Templates can only read the variables they are given. Every render is
// bounded by Limits: evaluation steps, bytes produced, parse depth and wall
// time, plus the caller's context. Exceeding any returns an error wrapping
// ErrLimit; nothing panics (fuzzed; a recover at the API boundary is the
// last line of defence).
package nunjucks
