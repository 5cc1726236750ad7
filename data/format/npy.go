package format

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Npy is a NumPy array as stored in a .npy file.
type Npy struct {
	// DType is the header's descr: a byte order ('<', '>', '|' or '=') and
	// one of b1, i1, u1, i2, u2, i4, u4, i8, u8, f2, f4, f8.
	DType string
	// Shape is the array's shape; empty for a 0-d scalar.
	Shape []int
	// FortranOrder says Data holds the array in column-major order. The
	// accessors always return row-major (C) order.
	FortranOrder bool
	// Data holds the raw element bytes, in the file's byte order.
	Data []byte
}

// Len returns the number of elements.
func (n *Npy) Len() int {
	k := 1
	for _, d := range n.Shape {
		k *= d
	}
	return k
}

// ReadNpy reads a .npy file of format version 1.0, 2.0 or 3.0 holding a
// plain (non-structured) array of one of the dtypes listed at Npy.DType.
func ReadNpy(path string) (*Npy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeNpy(path, b)
}

const npyMagic = "\x93NUMPY"

// DecodeNpy is ReadNpy on the bytes of a file; name labels errors.
func DecodeNpy(name string, b []byte) (*Npy, error) {
	if len(b) < 10 || string(b[:6]) != npyMagic {
		return nil, fmt.Errorf("%s: not a .npy file: expected the magic %q, found %q", name, npyMagic, b[:min(len(b), 6)])
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, fmt.Errorf("%s: truncated .npy header: %d bytes", name, len(b))
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return nil, fmt.Errorf("%s: .npy format version %d.%d: expected 1.0, 2.0 or 3.0", name, b[6], b[7])
	}
	if hlen > len(b)-start {
		return nil, fmt.Errorf("%s: truncated .npy header: it declares %d bytes, the file has %d after the preamble", name, hlen, len(b)-start)
	}
	n, err := parseNpyHeader(string(b[start : start+hlen]))
	if err != nil {
		return nil, fmt.Errorf("%s: bad .npy header %q: %v", name, strings.TrimSpace(string(b[start:start+hlen])), err)
	}
	size, err := dtypeSize(n.DType)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	data := b[start+hlen:]
	// The element count; nothing is allocated from it, the data must match.
	count := 1
	for _, d := range n.Shape {
		if d == 0 {
			count = 0
			break
		}
	}
	for _, d := range n.Shape {
		if count == 0 {
			break
		}
		if count > math.MaxInt/size/d {
			return nil, fmt.Errorf("%s: shape %v of %s needs more than the %d data bytes the file has", name, n.Shape, n.DType, len(data))
		}
		count *= d
	}
	if count*size != len(data) {
		return nil, fmt.Errorf("%s: shape %v of %s needs %d data bytes, the file has %d", name, n.Shape, n.DType, count*size, len(data))
	}
	n.Data = data
	return n, nil
}

// dtypeSize returns the element size of a supported descr.
func dtypeSize(d string) (int, error) {
	if len(d) == 3 && strings.ContainsRune("<>|=", rune(d[0])) {
		switch d[1:] {
		case "b1", "i1", "u1":
			return 1, nil
		case "i2", "u2", "f2":
			return 2, nil
		case "i4", "u4", "f4":
			return 4, nil
		case "i8", "u8", "f8":
			return 8, nil
		}
	}
	return 0, fmt.Errorf("dtype %q: expected one of b1 i1 u1 i2 u2 f2 i4 u4 f4 i8 u8 f8 with a byte order", d)
}

// parseNpyHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseNpyHeader(h string) (*Npy, error) {
	p := &pyLit{s: h}
	if !p.eat('{') {
		return nil, fmt.Errorf("expected '{'")
	}
	n := &Npy{}
	seen := map[string]bool{}
	for !p.eat('}') {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if !p.eat(':') {
			return nil, fmt.Errorf("expected ':' after %q", key)
		}
		switch key {
		case "descr":
			if p.peek() == '[' {
				return nil, fmt.Errorf("structured dtypes are not supported")
			}
			n.DType, err = p.str()
		case "fortran_order":
			n.FortranOrder, err = p.boolean()
		case "shape":
			n.Shape, err = p.tuple()
		default:
			return nil, fmt.Errorf("unexpected key %q", key)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", key, err)
		}
		seen[key] = true
		if !p.eat(',') && p.peek() != '}' {
			return nil, fmt.Errorf("expected ',' or '}' after %s", key)
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, fmt.Errorf("missing key %q", k)
		}
	}
	return n, nil
}

// pyLit scans the few Python literals a .npy header uses.
type pyLit struct {
	s string
	i int
}

func (p *pyLit) skip() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyLit) peek() byte {
	p.skip()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyLit) eat(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

func (p *pyLit) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("expected a string at offset %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at offset %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *pyLit) boolean() (bool, error) {
	p.skip()
	for _, w := range []string{"True", "False"} {
		if strings.HasPrefix(p.s[p.i:], w) {
			p.i += len(w)
			return w == "True", nil
		}
	}
	return false, fmt.Errorf("expected True or False at offset %d", p.i)
}

// tuple parses a tuple of non-negative ints, e.g. (), (5,), (2, 3) or the
// Python 2 form (2L, 3L).
func (p *pyLit) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("expected '(' at offset %d", p.i)
	}
	dims := []int{}
	for !p.eat(')') {
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		d, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil || d > 1<<62 {
			return nil, fmt.Errorf("expected a non-negative dimension at offset %d", p.i)
		}
		p.i = j
		if p.i < len(p.s) && p.s[p.i] == 'L' {
			p.i++
		}
		dims = append(dims, int(d))
		if !p.eat(',') && p.peek() != ')' {
			return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
		}
	}
	return dims, nil
}
