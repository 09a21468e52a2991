package compiler

import "slices"

// Layout builds the dispatch part of the graph: the arch test of each
// section, then in each section the hot syscalls' jeq chain, then a binary
// search over the section's decision ranges.
//
// A section is one AUDIT_ARCH value. x86_64 and x32 share
// AUDIT_ARCH_X86_64, so they share a section whose number space is split
// at the x32 bit: the ranges of both ABIs, and of the bad-arch action where
// the policy lists only one of them, are one list and one search. The x32
// guard costs nothing on the x86_64 paths: it is just another range.

// section is one AUDIT_ARCH value's part of the program.
type section struct {
	audit  uint32
	abis   []int // indexes into compiler.abis, by claimed numbers
	ranges []rng
	abi    []int8 // ABI (index in compiler.abis) of each range, -1 for bad-arch fill
	hot    []hotNr
	hotABI []int8
	prefix []uint64 // prefix sums of range weights
}

// weigh sets each range's weight: how many of the ABI's real numbers
// (the table's span up to its dense end, where the benchmark and most
// traffic are) it covers, plus the outlier table entries, plus one so no
// range is free to push arbitrarily deep.
func (c *compiler) weigh(ab *abiCtx) {
	t := ab.t
	var wlo, whi uint32
	if len(t.nrs) > 0 {
		wlo, whi = t.nrs[0], t.dense
	}
	for i := range ab.ranges {
		r := &ab.ranges[i]
		w := uint64(1)
		if lo, hi := max(r.lo, wlo), min(r.hi, whi); lo <= hi && len(t.nrs) > 0 {
			w += uint64(hi-lo) + 1
		}
		if r.hi > whi {
			// outliers (ARM private calls): count the table entries
			from := max(r.lo, whi+1)
			for _, nr := range t.nrs {
				if nr >= from && nr <= r.hi {
					w++
				}
			}
		}
		if !c.g.nodes[r.d].isRet {
			// A syscall with argument tests pays for them on top of the
			// search; pulling it up keeps the worst path short.
			w *= argWeight
		}
		if ab.a.SyscallBit != 0 {
			// x32 shares x86_64's search and is rarely used (most kernels
			// leave CONFIG_X86_X32_ABI off): keep it out of x86_64's way.
			w = max(w/x32Divisor, 1)
		}
		r.w = w
	}
}

// argWeight multiplies the weight of ranges whose decision tests arguments.
const argWeight = 16

// x32Divisor scales down the weight of x32's ranges.
const x32Divisor = 16

// sections groups the ABIs by AUDIT_ARCH, in the policy's order.
func (c *compiler) sections() []section {
	secs := c.secs[:0]
	for i := range c.abis {
		ab := &c.abis[i]
		k := slices.IndexFunc(secs, func(s section) bool { return s.audit == ab.a.AuditArch })
		if k < 0 {
			// A pooled compiler keeps the slices of its last sections.
			s := section{audit: ab.a.AuditArch}
			if n := len(secs); n < cap(secs) {
				prev := secs[:n+1][n]
				s.abis, s.ranges, s.abi = prev.abis[:0], prev.ranges[:0], prev.abi[:0]
				s.hot, s.hotABI, s.prefix = prev.hot[:0], prev.hotABI[:0], prev.prefix[:0]
			}
			secs = append(secs, s)
			k = len(secs) - 1
		}
		secs[k].abis = append(secs[k].abis, i)
	}
	for k := range secs {
		s := &secs[k]
		slices.SortFunc(s.abis, func(a, b int) int {
			if c.abis[a].lo < c.abis[b].lo {
				return -1
			}
			return 1
		})
		n := 2
		for _, i := range s.abis {
			n += len(c.abis[i].ranges) + 1
		}
		s.ranges = slices.Grow(s.ranges, n)
		s.abi = slices.Grow(s.abi, n)
		var next uint64
		add := func(r rng, abi int8) {
			if n := len(s.ranges); n > 0 && s.ranges[n-1].d == r.d {
				s.ranges[n-1].hi = r.hi
				s.ranges[n-1].w += r.w
				return
			}
			s.ranges = append(s.ranges, r)
			s.abi = append(s.abi, abi)
		}
		for _, i := range s.abis {
			ab := &c.abis[i]
			if uint64(ab.lo) > next {
				add(rng{lo: uint32(next), hi: ab.lo - 1, d: c.badArch, w: 1}, -1)
			}
			for _, r := range ab.ranges {
				add(r, int8(i))
			}
			next = uint64(ab.hi) + 1
			for _, h := range ab.hot {
				s.hot = append(s.hot, h)
				s.hotABI = append(s.hotABI, int8(i))
			}
		}
		if next <= fullMask {
			add(rng{lo: uint32(next), hi: fullMask, d: c.badArch, w: 1}, -1)
		}
		s.prefix = append(s.prefix, 0)
		for i, r := range s.ranges {
			s.prefix = append(s.prefix, s.prefix[i]+r.w)
		}
	}
	c.secs = secs
	return secs
}

// layout builds the whole dispatch and returns the program's root.
func (c *compiler) layout() nodeID {
	secs := c.sections()
	root := c.badArch
	for k := len(secs) - 1; k >= 0; k-- {
		s := &secs[k]
		body := c.search(s, 0, len(s.ranges)-1)
		for h := len(s.hot) - 1; h >= 0; h-- {
			body = c.g.add(atom{op: opJeqK, off: offNr, mask: fullMask, k: s.hot[h].nr}, s.hot[h].d, body,
				org{role: RoleHot, abi: s.hotABI[h], rule: -1})
		}
		root = c.g.add(atom{op: opJeqK, off: offArch, mask: fullMask, k: s.audit}, body, root,
			org{role: RoleArch, abi: int8(s.abis[0]), rule: -1})
	}
	return root
}

// search returns a binary search over s.ranges[i..j] by jge on range starts.
// The split is the one that best balances the weights on each side, which
// keeps the expected depth within two of the optimum for the weights; a
// lone number between two ranges of one decision is a single jeq.
func (c *compiler) search(s *section, i, j int) nodeID {
	if i == j {
		return s.ranges[i].d
	}
	if j == i+2 && s.ranges[i].d == s.ranges[j].d && s.ranges[i+1].lo == s.ranges[i+1].hi {
		m := s.ranges[i+1]
		return c.g.add(atom{op: opJeqK, off: offNr, mask: fullMask, k: m.lo}, m.d, s.ranges[i].d,
			org{role: RoleSearch, abi: s.abi[i+1], rule: -1})
	}
	// The split m in (i, j] where the left weight first reaches half.
	lo, total := s.prefix[i], s.prefix[j+1]-s.prefix[i]
	m := i + 1
	a, b := i+1, j
	for a < b {
		mid := int(uint(a+b) >> 1)
		if 2*(s.prefix[mid]-lo) < total {
			a = mid + 1
		} else {
			b = mid
		}
	}
	m = a
	// a is the first split whose left side holds at least half; the split
	// before it may balance better.
	if m > i+1 {
		l1 := s.prefix[m] - lo
		l0 := s.prefix[m-1] - lo
		if diff(2*l0, total) < diff(2*l1, total) {
			m--
		}
	}
	right := c.search(s, m, j)
	left := c.search(s, i, m-1)
	return c.g.add(atom{op: opJgeK, off: offNr, mask: fullMask, k: s.ranges[m].lo}, right, left,
		org{role: RoleSearch, abi: s.abi[m], rule: -1})
}

func diff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
