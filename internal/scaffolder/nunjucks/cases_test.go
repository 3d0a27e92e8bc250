package nunjucks

// renderCases are the table tests of the template language. Every case is
// also run through real nunjucks by TestCasesMatchNunjucks (when node and
// bench/node_modules are present), so the expectations are nunjucks' own
// behaviour, not ours; the few deliberate differences set node=false and say
// why in testdata/README.md.
type renderCase struct {
	name         string
	src          string
	want         string
	wantErr      string // substring of the error; want is ignored
	cookiecutter bool
	trimBlocks   bool
	lstripBlocks bool
	noNode       bool // a deliberate difference from nunjucks
}

var caseVars = map[string]any{
	"name":    "Payments API",
	"slug":    "payments-api",
	"port":    8080.0,
	"ratio":   0.25,
	"on":      true,
	"off":     false,
	"nul":     nil,
	"empty":   "",
	"list":    []any{"a", "b", "c"},
	"nums":    []any{3.0, 1.0, 2.0},
	"nested":  []any{1.0, []any{2.0, 3.0}, nil},
	"nothing": []any{},
	"obj":     map[string]any{"b": 2.0, "a": 1.0},
	"envs":    "build,dev,qa,prod",
	"spaced":  "  padded text \n",
	"html":    `<a href="x">&</a>`,
	"repo":    map[string]any{"owner": "acme", "repo": "shop"},
	"pairs":   []any{[]any{"k1", "v1"}, []any{"k2", "v2"}},
}

var renderCases = []renderCase{
	// Output of values: JS String() rules.
	{name: "string", src: "${{ name }}", want: "Payments API"},
	{name: "integer", src: "${{ port }}", want: "8080"},
	{name: "float", src: "${{ ratio }}", want: "0.25"},
	{name: "division", src: "${{ 10 / 4 }} ${{ 10 / 2 }} ${{ 1 / 3 }}", want: "2.5 5 0.3333333333333333"},
	{name: "bool", src: "${{ on }} ${{ off }}", want: "true false"},
	{name: "null and undefined print nothing", src: "[${{ nul }}][${{ missing }}][${{ missing.deep.path }}]", want: "[][][]"},
	{name: "array prints joined", src: "${{ list }}|${{ nested }}|${{ nothing }}", want: "a,b,c|1,2,3,|"},
	{name: "object prints tag", src: "${{ obj }}", want: "[object Object]"},
	{name: "plain braces pass through", src: "{{ name }} ${ name } $${{ slug }}", want: "{{ name }} ${ name } $payments-api"},

	// Lookups.
	{name: "dot and bracket", src: "${{ repo.owner }}/${{ repo['repo'] }}/${{ list[1] }}/${{ list.length }}/${{ slug[0] }}", want: "acme/shop/b/3/p"},
	{name: "string length property", src: "${{ slug.length }}", want: "12"},

	// Operators.
	{name: "strict equality", src: "${{ port === 8080 }} ${{ port === '8080' }} ${{ port !== 8080 }}", want: "true false false"},
	{name: "loose equality", src: "${{ port == '8080' }} ${{ nul == missing }} ${{ nul != 0 }}", want: "true true true"},
	{name: "comparison", src: "${{ port > 80 }} ${{ 'b' < 'a' }} ${{ 2 >= 2 }}", want: "true false true"},
	{name: "plus concatenates strings", src: "${{ repo.owner + '/' + repo.repo }} ${{ 1 + 2 }} ${{ '1' + 2 }}", want: "acme/shop 3 12"},
	{name: "tilde concatenates", src: "${{ 1 ~ 2 }}${{ slug ~ '-x' }}", want: "12payments-api-x"},
	{name: "arithmetic", src: "${{ 7 % 3 }} ${{ 7 // 2 }} ${{ 2 ** 10 }} ${{ -port }} ${{ 2 + 3 * 4 }} ${{ 10 - 2 - 3 }}", want: "1 3 1024 -8080 14 5"},
	{name: "and or return operands", src: "${{ empty or 'fallback' }} ${{ name and port }} ${{ off or nul or 'z' }}", want: "fallback 8080 z"},
	{name: "not", src: "${{ not on }} ${{ not empty }}", want: "false true"},
	{name: "not binds like JS !", src: "${{ not slug == 'x' }}", want: "false"},
	{name: "in", src: "${{ 'b' in list }} ${{ 'z' in list }} ${{ 'pay' in slug }} ${{ 'a' in obj }} ${{ 'q' not in list }}", want: "true false true true true"},
	{name: "inline if", src: "${{ 'yes' if on else 'no' }}|${{ 'yes' if off }}|${{ 'x' if missing else 'y' }}", want: "yes||y"},
	{name: "is tests", src: "${{ missing is defined }} ${{ name is defined }} ${{ missing is undefined }} ${{ nul is null }} ${{ port is number }} ${{ name is string }} ${{ 4 is divisibleby(2) }} ${{ 3 is odd }} ${{ port is not even }}", want: "false true true true true true true true false"},
	{name: "literals", src: "${{ [1, 'a', true, none] | dump }} ${{ {a: 1, 'b': [2]} | dump }} ${{ null === none }}", want: `[1,"a",true,null] {"a":1,"b":[2]} true`},
	{name: "group", src: "${{ (1 + 2) * 3 }}", want: "9"},

	// JavaScript methods used in the wild.
	{name: "split", src: "${{ envs.split(',') | join('|') }} ${{ envs.split(',').length }} ${{ envs.split(',', 2) }}", want: "build|dev|qa|prod 4 build,dev"},
	{name: "replaceAll", src: "${{ envs.replaceAll(',', '-') }}", want: "build-dev-qa-prod"},
	{name: "replace method replaces first", src: "${{ envs.replace(',', '-') }}", want: "build-dev,qa,prod"},
	{name: "string methods", src: "${{ slug.toUpperCase() }} ${{ name.toLowerCase() }} ${{ slug.startsWith('pay') }} ${{ slug.endsWith('x') }} ${{ slug.includes('-') }} ${{ slug.indexOf('-') }}", want: "PAYMENTS-API payments api true false true 8"},
	{name: "slice substring padStart", src: "${{ slug.slice(0, 8) }} ${{ slug.slice(-3) }} ${{ slug.substring(9) }} ${{ '7'.padStart(3, '0') }} ${{ spaced.trim() }}", want: "payments api api 007 padded text"},
	{name: "array methods", src: "${{ list.join('+') }} ${{ list.includes('c') }} ${{ list.indexOf('b') }} ${{ list.slice(1) }} ${{ list.concat(['d']) }}", want: "a+b+c true 1 b,c a,b,c,d"},
	{name: "regex replace", src: "${{ slug | replace(r/[aeiou]/g, '') }} ${{ slug.replace(r/-(\\w+)/, '_$1') }}", want: "pymnts-p payments_api"},
	{name: "calling undefined fails", src: "${{ missing.split(',') }}", wantErr: "Unable to call `missing[\"split\"]`, which is undefined or falsey"},

	// Built-in filters.
	{name: "dump", src: "${{ name | dump }} ${{ obj | dump }} ${{ list | dump(2) }}", want: "\"Payments API\" {\"a\":1,\"b\":2} [\n  \"a\",\n  \"b\",\n  \"c\"\n]"},
	{name: "dump escapes like JSON.stringify", src: `${{ html | dump }}`, want: `"<a href=\"x\">&</a>"`},
	{name: "dump of undefined prints nothing", src: "[${{ missing | dump }}]", want: "[]"},
	{name: "replace", src: "${{ slug | replace('-', '_') }} ${{ 'aaa' | replace('a', 'b', 2) }} ${{ 'ab' | replace('', '.') }} ${{ port | replace('80', '90') }}", want: "payments_api bba .a.b. 9090"},
	{name: "lower upper", src: "${{ name | lower }} ${{ name | upper }}", want: "payments api PAYMENTS API"},
	{name: "title capitalize", src: "${{ 'hello big-world' | title }} ${{ 'hELLO world' | capitalize }}", want: "Hello Big-world Hello world"},
	{name: "string", src: "${{ port | string }}${{ (port | string).length }} ${{ list | string }} ${{ on | string }}", want: "80804 a,b,c true"},
	{name: "default", src: "${{ missing | default('d1') }} ${{ nul | default('d2') }} ${{ empty | default('d3') }} ${{ empty | default('d4', true) }} ${{ missing | d('d5') }}", want: "d1   d4 d5"},
	{name: "join", src: "${{ list | join }} ${{ list | join(', ') }} ${{ [repo, repo] | join('/', 'owner') }}", want: "abc a, b, c acme/acme"},
	{name: "length", src: "${{ slug | length }} ${{ list | length }} ${{ obj | length }} ${{ missing | length }} ${{ 'héllo' | length }}", want: "12 3 2 0 5"},
	{name: "trim", src: "[${{ spaced | trim }}]", want: "[padded text]"},
	{name: "first last", src: "${{ list | first }}${{ list | last }} ${{ slug | first }}${{ slug | last }} [${{ nothing | first }}]", want: "ac pi []"},
	{name: "more filters", src: "${{ -3 | abs }} ${{ nums | sort | join }} ${{ nums | sum }} ${{ list | reverse | join }} ${{ 2.567 | round(2) }} ${{ '42px' | int }} ${{ '2.5' | float }} ${{ html | escape }}", want: "3 123 6 cba 2.57 42 2.5 &lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"},
	{name: "indent truncate wordcount urlencode", src: "${{ 'a\nb' | indent(2) }}|${{ 'one two three' | truncate(7) }}|${{ 'one two three' | wordcount }}|${{ 'a b&c' | urlencode }}", want: "a\n  b|one two...|3|a%20b%26c"},
	{name: "filter chain with args", src: "${{ name | lower | replace(' ', '-') | upper }}", want: "PAYMENTS-API"},
	{name: "filter binds tighter than plus", src: "${{ 'a' + 'b' | upper }}", want: "aB"},
	{name: "unknown filter", src: "${{ name | nosuch }}", wantErr: "filter not found: nosuch"},

	// Tags.
	{name: "if elif else", src: "{% if port < 80 %}low{% elif port < 9000 %}mid{% else %}high{% endif %}", want: "mid"},
	{name: "elseif alias", src: "{% if off %}a{% elseif on %}b{% endif %}", want: "b"},
	{name: "empty array is truthy", src: "{% if nothing %}T{% else %}F{% endif %}{% if obj %}T{% endif %}", want: "TT"},
	{name: "none is a literal", src: "${{ none === null }}", want: "true"},
	{name: "for with loop", src: "{% for x in list %}${{ loop.index }}${{ x }}${{ ',' if not loop.last }}{% endfor %}", want: "1a,2b,3c"},
	{name: "for loop vars", src: "{% for x in list %}${{ loop.index0 }}${{ loop.revindex }}${{ loop.first }}{% endfor %} ${{ loop }}", want: "03true12false21false "},
	{name: "for else", src: "{% for x in nothing %}x{% else %}empty{% endfor %}", want: "empty"},
	{name: "for over object", src: "{% for k, v in obj %}${{ k }}=${{ v }};{% endfor %}", want: "a=1;b=2;"},
	{name: "for unpacks arrays", src: "{% for k, v in pairs %}${{ k }}:${{ v }} {% endfor %}", want: "k1:v1 k2:v2 "},
	{name: "for over string", src: "{% for c in 'abc' %}[${{ c }}]{% endfor %}", want: "[a][b][c]"},
	{name: "for over split", src: "{% for e in envs.split(',') %}${{ e }}-{% endfor %}", want: "build-dev-qa-prod-"},
	{name: "range", src: "{% for i in range(3) %}${{ i }}{% endfor %}{% for i in range(1, 10, 4) %}${{ i }}{% endfor %}", want: "012159"},
	{name: "set", src: "{% set greeting = 'hi ' + name %}${{ greeting }}", want: "hi Payments API"},
	{name: "set block", src: "{% set block %}${{ slug }}!{% endset %}${{ block | upper }}", want: "PAYMENTS-API!"},
	{name: "set multiple targets", src: "{% set a, b = 5 %}${{ a }}${{ b }}", want: "55"},
	{name: "set in if is visible after", src: "{% if on %}{% set x = 1 %}{% else %}{% set x = 2 %}{% endif %}${{ x }}", want: "1"},
	{name: "set in for updates outer", src: "{% set n = 0 %}{% for i in list %}{% set n = n + 1 %}{% endfor %}${{ n }}", want: "3"},
	{name: "set in for without outer stays inside", src: "{% for i in list %}{% set inner = i %}{% endfor %}[${{ inner }}]", want: "[]"},
	{name: "raw", src: "{% raw %}${{ not rendered }} {% if %}{% endraw %}", want: "${{ not rendered }} {% if %}"},
	{name: "verbatim", src: "{% verbatim %}${{ x }}{% endverbatim %}", want: "${{ x }}"},
	{name: "filter block", src: "{% filter upper %}a ${{ slug }}{% endfilter %}", want: "A PAYMENTS-API"},
	{name: "comment", src: "a{# ${{ name }} #}b", want: "ab"},
	{name: "whitespace control", src: "a  \n  {%- if on -%}  \n  b  \n  {%- endif %}\nc", want: "ab\nc"},
	{name: "whitespace control on variables", src: "x   ${{- slug -}}   y", want: "xpayments-apiy"},
	{name: "whitespace control on comments", src: "x \n {#- c -#} \n y", want: "xy"},
	{name: "trailing newline kept", src: "${{ slug }}\n", want: "payments-api\n"},
	{name: "no trimBlocks by default", src: "{% if on %}\nyes\n{% endif %}\n", want: "\nyes\n\n"},
	{name: "trimBlocks", src: "{% if on %}\nyes\n{% endif %}\n", want: "yes\n", trimBlocks: true},
	{name: "lstripBlocks", src: "a\n    {% if on %}yes{% endif %}\n", want: "a\nyes\n", lstripBlocks: true},
	{name: "unclosed if", src: "{% if on %}x", wantErr: "unexpected end of file"},
	{name: "unknown tag", src: "{% frobnicate %}", wantErr: "unknown block tag: frobnicate"},
	{name: "include is refused", src: "{% include '/etc/passwd' %}", wantErr: "not allowed"},
	{name: "stray comment end", src: "a #} b", wantErr: "unexpected end of comment"},
	{name: "unclosed comment", src: "a {# b", wantErr: "expected end of comment"},
	{name: "unclosed variable", src: "${{ name ", wantErr: "expected variable end"},

	// cookiecutterCompat: {{ }} tags, jsonify, Jinja names.
	{name: "cookiecutter", src: "{{ cookiecutter.name }} {{ cookiecutter.name | jsonify }} ${{ x }}", want: "Payments API \"Payments API\" $", cookiecutter: true},
	{name: "cookiecutter True and items", src: "{{ True }} {% for k, v in cookiecutter.obj.items() %}{{ k }}{{ v }}{% endfor %} {{ cookiecutter.list.count('a') }}", want: "true a1b2 1", cookiecutter: true},
}
