package nunjucks

import (
	"fmt"
	"strings"
)

// Statement execution: output, if, for (with nunjucks' loop object and
// frame rules), set and filter blocks.

// ---- statements ----

func (s *state) execBody(body []stmt) error {
	for _, n := range body {
		if err := s.exec(n); err != nil {
			return err
		}
	}
	return nil
}

func (s *state) exec(n stmt) error {
	if err := s.step(n.stmtPos(), 1); err != nil {
		return err
	}
	switch n := n.(type) {
	case *dataNode:
		return s.write(n.pos, n.text)
	case *outputNode:
		v, err := s.eval(n.x)
		if err != nil {
			return err
		}
		return s.write(n.pos, outputString(v))
	case *ifNode:
		c, err := s.eval(n.cond)
		if err != nil {
			return err
		}
		if Truthy(c) {
			return s.execBody(n.body)
		}
		return s.execBody(n.els)
	case *forNode:
		return s.execFor(n)
	case *setNode:
		var v any
		if n.value != nil {
			var err error
			if v, err = s.eval(n.value); err != nil {
				return err
			}
		} else {
			str, err := s.capture(n.body)
			if err != nil {
				return err
			}
			v = str
		}
		for _, t := range n.targets {
			s.frame.set(t, v)
		}
		return nil
	case *filterBlockNode:
		body, err := s.capture(n.body)
		if err != nil {
			return err
		}
		v, err := s.callFilter(n.call, body)
		if err != nil {
			return err
		}
		return s.write(n.pos, outputString(v))
	}
	return &Error{Pos: n.stmtPos(), Msg: fmt.Sprintf("unknown statement %T", n)}
}

// capture renders a body into a string (block set, filter block).
func (s *state) capture(body []stmt) (string, error) {
	saved := s.out
	s.out = strings.Builder{}
	s.frame = &frame{parent: s.frame}
	err := s.execBody(body)
	s.frame = s.frame.parent
	res := s.out.String()
	s.out = saved
	return res, err
}

func (s *state) execFor(n *forNode) error {
	it, err := s.eval(n.iter)
	if err != nil {
		return err
	}
	s.frame = &frame{parent: s.frame, vars: map[string]any{}}
	defer func() { s.frame = s.frame.parent }()
	loop := map[string]any{}
	setLoop := func(i, length int) {
		loop["index"] = float64(i + 1)
		loop["index0"] = float64(i)
		loop["revindex"] = float64(length - i)
		loop["revindex0"] = float64(length - i - 1)
		loop["first"] = i == 0
		loop["last"] = i == length-1
		loop["length"] = float64(length)
		s.frame.vars["loop"] = loop
	}
	iterated := false
	if Truthy(it) {
		switch x := it.(type) {
		case []any:
			for i, item := range x {
				if err := s.step(n.pos, 1); err != nil {
					return err
				}
				iterated = true
				if len(n.names) == 1 {
					s.frame.vars[n.names[0]] = item
				} else {
					for k, name := range n.names {
						s.frame.vars[name] = memberLookup(item, float64(k), false)
					}
				}
				setLoop(i, len(x))
				if err := s.execBody(n.body); err != nil {
					return err
				}
			}
		case map[string]any:
			if len(n.names) >= 2 {
				keys := sortedKeys(x)
				for i, k := range keys {
					if err := s.step(n.pos, 1); err != nil {
						return err
					}
					iterated = true
					s.frame.vars[n.names[0]] = k
					s.frame.vars[n.names[1]] = x[k]
					setLoop(i, len(keys))
					if err := s.execBody(n.body); err != nil {
						return err
					}
				}
			}
		case string:
			if len(n.names) == 1 {
				units := utf16Units(x)
				for i, u := range units {
					if err := s.step(n.pos, 1); err != nil {
						return err
					}
					iterated = true
					s.frame.vars[n.names[0]] = fromUnits([]uint16{u})
					setLoop(i, len(units))
					if err := s.execBody(n.body); err != nil {
						return err
					}
				}
			}
		}
	}
	if !iterated {
		return s.execBody(n.els)
	}
	return nil
}
