package nunjucks

// Expression nodes. The evaluator switches on the concrete type.
type expr interface{ position() int }

type (
	litNode struct {
		pos int
		v   any
	}
	symNode struct {
		pos  int
		name string
	}
	lookupNode struct {
		pos      int
		obj, key expr
	}
	callNode struct {
		pos    int
		fn     expr
		args   []expr
		kwargs []kwArg
	}
	filterNode struct {
		pos    int
		name   string
		arg    expr
		args   []expr
		kwargs []kwArg
	}
	binNode struct {
		pos  int
		op   string
		l, r expr
	}
	notNode struct {
		pos int
		x   expr
	}
	negNode struct {
		pos int
		x   expr
	}
	posNode struct {
		pos int
		x   expr
	}
	isNode struct {
		pos  int
		x    expr
		test string
		args []expr
	}
	inlineIfNode struct {
		pos             int
		cond, body, els expr // els nil prints ""
	}
	arrayNode struct {
		pos   int
		items []expr
	}
	dictNode struct {
		pos  int
		keys []string
		vals []expr
	}
	groupNode struct {
		pos   int
		items []expr
	}
)

type kwArg struct {
	name string
	val  expr
}

func (n *litNode) position() int      { return n.pos }
func (n *symNode) position() int      { return n.pos }
func (n *lookupNode) position() int   { return n.pos }
func (n *callNode) position() int     { return n.pos }
func (n *filterNode) position() int   { return n.pos }
func (n *binNode) position() int      { return n.pos }
func (n *notNode) position() int      { return n.pos }
func (n *negNode) position() int      { return n.pos }
func (n *posNode) position() int      { return n.pos }
func (n *isNode) position() int       { return n.pos }
func (n *inlineIfNode) position() int { return n.pos }
func (n *arrayNode) position() int    { return n.pos }
func (n *dictNode) position() int     { return n.pos }
func (n *groupNode) position() int    { return n.pos }

// Statement nodes.
type stmt interface{ stmtPos() int }

type (
	dataNode struct {
		pos  int
		text string
	}
	outputNode struct {
		pos int
		x   expr
	}
	ifNode struct {
		pos  int
		cond expr
		body []stmt
		els  []stmt
	}
	forNode struct {
		pos   int
		names []string
		iter  expr
		body  []stmt
		els   []stmt
	}
	setNode struct {
		pos     int
		targets []string
		value   expr   // nil for a block set
		body    []stmt // {% set x %}...{% endset %}
	}
	filterBlockNode struct {
		pos  int
		call *filterNode // arg is a placeholder for the captured body
		body []stmt
	}
)

func (n *dataNode) stmtPos() int        { return n.pos }
func (n *outputNode) stmtPos() int      { return n.pos }
func (n *ifNode) stmtPos() int          { return n.pos }
func (n *forNode) stmtPos() int         { return n.pos }
func (n *setNode) stmtPos() int         { return n.pos }
func (n *filterBlockNode) stmtPos() int { return n.pos }

// capturedBody stands for the rendered body of a {% filter %} block.
type capturedBody struct{ pos int }

func (n *capturedBody) position() int { return n.pos }
