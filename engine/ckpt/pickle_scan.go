package ckpt

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// maxPickleSize bounds the data.pkl record read into memory: a state_dict's
// pickle holds names and shapes only (a few hundred KiB for InternImage-S).
const maxPickleSize = 256 << 20

// pickleArg is how an opcode's argument is laid out in the stream.
type pickleArg int8

const (
	argNone  pickleArg = iota
	argFixed           // a fixed number of bytes (pickleOps' n)
	argLine            // one newline-terminated line
	argLines           // two newline-terminated lines (GLOBAL, INST)
	argLen1            // a 1-byte length, then that many bytes
	argLen4            // a 4-byte little-endian length, then that many bytes
	argLen8            // an 8-byte little-endian length, then that many bytes
	argFrame           // FRAME: an 8-byte length of the frame that follows
)

// pickleOps lists every opcode of pickle protocols 0-5 with its argument.
var pickleOps = func() map[byte]struct {
	arg pickleArg
	n   int
} {
	type op = struct {
		arg pickleArg
		n   int
	}
	m := map[byte]op{}
	for _, c := range []byte("(.0123NQRabde}l]ost)u\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98") {
		m[c] = op{argNone, 0}
	}
	for c, n := range map[byte]int{'K': 1, 'q': 1, 'h': 1, 0x80: 1, 0x82: 1, 'M': 2, 0x83: 2, 'J': 4, 'r': 4, 'j': 4, 0x84: 4, 'G': 8} {
		m[c] = op{argFixed, n}
	}
	for _, c := range "ILFSVPgp" {
		m[byte(c)] = op{argLine, 0}
	}
	m['c'], m['i'] = op{argLines, 0}, op{argLines, 0}
	for _, c := range []byte{'U', 'C', 0x8c, 0x8a} {
		m[c] = op{argLen1, 0}
	}
	for _, c := range []byte{'T', 'X', 'B', 0x8b} {
		m[c] = op{argLen4, 0}
	}
	for _, c := range []byte{0x8d, 0x8e, 0x96} {
		m[c] = op{argLen8, 0}
	}
	m[0x95] = op{argFrame, 0}
	return m
}()

// scanPickle walks the opcodes of a pickle up to STOP and checks that every
// length it declares (strings, bytes, frames) fits in what is left of the
// stream. The unpickler allocates a declared length before reading it, so
// without this check a few bytes claiming a terabyte-long frame exhaust the
// memory of the process. An unknown opcode is an error too.
func scanPickle(b []byte) error {
	for i := 0; i < len(b); {
		code := b[i]
		op, ok := pickleOps[code]
		if !ok {
			return fmt.Errorf("unknown pickle opcode 0x%02x at byte %d", code, i)
		}
		i++
		rest := len(b) - i
		var hdr int // bytes of the length field
		switch op.arg {
		case argNone:
			if code == '.' {
				return nil
			}
			continue
		case argFixed:
			if op.n > rest {
				return fmt.Errorf("pickle truncated at byte %d", len(b))
			}
			i += op.n
			continue
		case argLine, argLines:
			lines := 1
			if op.arg == argLines {
				lines = 2
			}
			for range lines {
				j := bytes.IndexByte(b[i:], '\n')
				if j < 0 {
					return fmt.Errorf("pickle opcode %q at byte %d: line not terminated", code, i-1)
				}
				i += j + 1
			}
			continue
		case argLen1:
			hdr = 1
		case argLen4:
			hdr = 4
		case argLen8, argFrame:
			hdr = 8
		}
		if rest < hdr {
			return fmt.Errorf("pickle truncated at byte %d", len(b))
		}
		var l uint64
		switch hdr {
		case 1:
			l = uint64(b[i])
		case 4:
			l = uint64(binary.LittleEndian.Uint32(b[i:]))
			if code == 0x8b && int32(l) < 0 { // LONG4's length is signed
				return fmt.Errorf("pickle opcode LONG4 at byte %d: negative length", i-1)
			}
		case 8:
			l = binary.LittleEndian.Uint64(b[i:])
		}
		if l > uint64(rest-hdr) {
			return fmt.Errorf("pickle opcode 0x%02x at byte %d declares %d bytes, but only %d follow", code, i-1, l, rest-hdr)
		}
		i += hdr
		if op.arg != argFrame { // a frame's contents are opcodes, scanned next
			i += int(l)
		}
	}
	return fmt.Errorf("pickle ends without a STOP opcode")
}
