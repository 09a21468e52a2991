package compiler

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/seccompile/seccompile/arch"
)

// Normalization turns a Policy into, for each ABI, a list of contiguous
// syscall-number ranges covering the ABI's part of the number space, each
// with one decision (a return, or the root of an argument tree). It walks
// the ABI's sorted table once; rules are attached to table positions
// through the name index, so there is no per-number map.

// abiCtx is one ABI of the policy being compiled.
type abiCtx struct {
	a       *arch.Arch
	t       *abiTable
	wide    bool   // compares 64-bit arguments
	lo, hi  uint32 // the syscall numbers this ABI claims on its AUDIT_ARCH
	def     nodeID // default action leaf
	unknown nodeID // unknown-syscall action leaf
	hot     []hotNr
	ranges  []rng // the decision ranges over [lo, hi]
	index   int8  // in compiler.abis
}

type hotNr struct {
	nr uint32
	d  nodeID
}

// rng is a run of syscall numbers with one decision.
type rng struct {
	lo, hi uint32
	d      nodeID
	w      uint64 // weight for the search tree (see weigh)
}

// ruleCtx is a validated rule.
type ruleCtx struct {
	act   Action
	abis  uint32  // bit i set: applies to abis[i]
	ids   []int32 // global name ids, -1 for a name no table knows
	conds []Cond  // sorted by argument

	leaf    nodeID // the action's return node on ABI leafABI-1
	leafABI int8
}

// ruleRef links a rule into the list of a table position.
type ruleRef struct {
	rule int32
	next int32
}

type extraNr struct {
	nr   uint32
	rule int32
}

// compiler is the state of one Compile call.
type compiler struct {
	p        *Policy
	idx      *names
	abis     []abiCtx
	rules    []ruleCtx
	ids      []int32
	warnings []Warning
	g        graph
	badArch  nodeID

	heads   []int32
	refs    []ruleRef
	extra   []extraNr
	cand    []int32
	reports []warnKey
	secs    []section
	memos   []argMemo
	memoKey []uint64
	memoAt  map[uint64]int32 // key hash → last memo with it
	ab      argBuilder
	e       emitter
}

type warnKey struct {
	kind        WarningKind
	rule, other int
}

// UnknownAction returns the action for syscall numbers the table of a does
// not know: p.Unknown, or ERRNO(ENOSYS) with a's ENOSYS (89 on MIPS, 38
// elsewhere) when unset.
func (p *Policy) UnknownAction(a *arch.Arch) Action {
	if p.Unknown.IsSet() {
		return p.Unknown
	}
	if a != nil && strings.HasPrefix(a.Name, "mips") {
		return Errno(89)
	}
	return Errno(38)
}

// wideArgs reports whether a compares all 64 bits of an argument. 32-bit
// ABIs compare only the low word, as libseccomp does: their syscalls take
// 32-bit arguments and the kernel's compat entry truncates them, while
// seccomp_data may hold junk in the high half (int $0x80 from a 64-bit
// process passes the full registers). x32 is the exception: it runs the
// x86_64 syscall handlers on full 64-bit registers (a size_t count or an
// loff_t is a whole register), so its arguments are compared like
// x86_64's; use Low32 for int arguments there.
func wideArgs(a *arch.Arch) bool { return a.Bits == 64 || a.SyscallBit != 0 }

// claim returns the syscall numbers a owns among the ABIs sharing its
// AUDIT_ARCH: x32 owns the numbers with the x32 bit and above, x86_64 the
// ones below; other ABIs own every number.
func claim(a *arch.Arch, all []*arch.Arch) (lo, hi uint32) {
	if a.SyscallBit != 0 {
		return a.SyscallBit, fullMask
	}
	for _, b := range all {
		if b.AuditArch == a.AuditArch && b.SyscallBit != 0 {
			return 0, b.SyscallBit - 1
		}
	}
	return 0, fullMask
}

func validAction(a Action, field string, rule int, comment string) error {
	bad := func(err error) error {
		return &PolicyError{Rule: rule, Comment: comment, Field: field, Value: a.String(), Err: err}
	}
	if a.Kind < KindKillProcess || a.Kind > KindAllow {
		return bad(ErrInvalidAction)
	}
	if !a.Kind.HasData() && a.Data != 0 {
		return bad(fmt.Errorf("%w: %s takes no data", ErrInvalidAction, a.Kind))
	}
	if a.Kind == KindErrno && a.Data > MaxErrno {
		return bad(ErrErrnoRange)
	}
	return nil
}

// Validate reports whether Compile would accept p, without compiling: the
// first problem as a *PolicyError.
func (p *Policy) Validate() error {
	c := compiler{idx: index()}
	return c.resolve(p)
}

// resolve validates p and fills c.abis and c.rules.
func (c *compiler) resolve(p *Policy) error {
	c.p = p
	c.abis = c.abis[:0]
	c.rules = c.rules[:0]
	c.ids = c.ids[:0]
	c.warnings = nil
	c.reports = c.reports[:0]

	all := c.idx.arches
	if len(p.Arches) == 0 {
		a := arch.Native()
		if a == nil {
			return &PolicyError{Rule: -1, Field: "Arches", Err: ErrNoArch}
		}
		c.addABI(a, all)
	}
	for i, name := range p.Arches {
		a, err := arch.Lookup(name)
		if err != nil {
			return &PolicyError{Rule: -1, Field: "Arches[" + strconv.Itoa(i) + "]", Value: name, Err: err}
		}
		c.addABI(a, all)
	}
	for _, f := range []struct {
		name string
		a    Action
	}{{"Default", p.Default}, {"BadArch", p.BadArch}, {"Unknown", p.Unknown}} {
		if f.a.IsSet() {
			if err := validAction(f.a, f.name, -1, ""); err != nil {
				return err
			}
		}
	}

	for ri := range p.Rules {
		r := &p.Rules[ri]
		rc := ruleCtx{act: r.Action}
		if err := validAction(r.Action, "Action", ri, r.Comment); err != nil {
			if !r.Action.IsSet() {
				err.(*PolicyError).Err = fmt.Errorf("%w: rule has no action", ErrInvalidAction)
			}
			return err
		}
		if len(r.Syscalls) == 0 && len(r.Numbers) == 0 {
			return &PolicyError{Rule: ri, Comment: r.Comment, Field: "Syscalls", Err: ErrEmptyRule}
		}
		for ci, cd := range r.Conds {
			if cd.Arg < 0 || cd.Arg > 5 {
				return &PolicyError{Rule: ri, Comment: r.Comment, Field: "Conds[" + strconv.Itoa(ci) + "].Arg", Value: strconv.Itoa(cd.Arg), Err: ErrArgIndex}
			}
			if cd.Op < OpEQ || cd.Op > OpMaskedEQ {
				return &PolicyError{Rule: ri, Comment: r.Comment, Field: "Conds[" + strconv.Itoa(ci) + "].Op", Value: cd.Op.String(), Err: ErrInvalidOp}
			}
		}
		if len(r.Arches) == 0 {
			rc.abis = 1<<len(c.abis) - 1
		}
		for ai, name := range r.Arches {
			a, err := arch.Lookup(name)
			if err != nil {
				return &PolicyError{Rule: ri, Comment: r.Comment, Field: "Arches[" + strconv.Itoa(ai) + "]", Value: name, Err: err}
			}
			found := false
			for i := range c.abis {
				if c.abis[i].a == a {
					rc.abis |= 1 << i
					found = true
				}
			}
			if !found {
				c.warn(Warning{Kind: WarnArch, Rule: ri, Other: -1, Arch: a.Name, Msg: "the policy does not list this ABI; the rule is ignored there"})
			}
		}
		start := len(c.ids)
		for si, name := range r.Syscalls {
			id, ok := c.idx.ids.get(name)
			if !ok {
				id = -1
			}
			c.ids = append(c.ids, id)
			if rc.abis == 0 {
				continue
			}
			known := 0
			for i := range c.abis {
				if rc.abis&(1<<i) != 0 && id >= 0 && c.abis[i].t.slot[id] >= 0 {
					known |= 1 << i
				}
			}
			if known == 0 {
				return &PolicyError{Rule: ri, Comment: r.Comment, Field: "Syscalls[" + strconv.Itoa(si) + "]", Value: name, Err: ErrUnknownSyscall}
			}
			if known != int(rc.abis) {
				for i := range c.abis {
					if rc.abis&(1<<i) != 0 && known&(1<<i) == 0 {
						c.warnings = append(c.warnings, Warning{Kind: WarnUnknownName, Rule: ri, Other: -1, Arch: c.abis[i].a.Name, Syscall: name, Msg: "not a syscall of this ABI; skipped there"})
					}
				}
			}
		}
		rc.ids = c.ids[start:len(c.ids):len(c.ids)]
		rc.conds = r.Conds
		if len(r.Conds) > 1 && !slices.IsSortedFunc(r.Conds, condOrder) {
			rc.conds = slices.Clone(r.Conds)
			slices.SortStableFunc(rc.conds, condOrder)
		}
		for i := range c.abis {
			if rc.abis&(1<<i) == 0 {
				continue
			}
			ab := &c.abis[i]
			for _, nr := range r.Numbers {
				if nr < ab.lo || nr > ab.hi {
					c.warn(Warning{Kind: WarnNumberRange, Rule: ri, Other: -1, Arch: ab.a.Name, Syscall: "#" + strconv.FormatUint(uint64(nr), 10), Msg: fmt.Sprintf("this ABI owns numbers %#x..%#x only; ignored there", ab.lo, ab.hi)})
				}
			}
			if !ab.wide {
				for _, cd := range r.Conds {
					if !cd.Low32 && (cd.Value>>32 != 0 || (cd.Op == OpMaskedEQ && cd.Mask>>32 != 0)) {
						c.warn(Warning{Kind: WarnTruncated, Rule: ri, Other: -1, Arch: ab.a.Name, Msg: fmt.Sprintf("%v: a 32-bit ABI compares only the low word", cd)})
					}
				}
			}
		}
		c.rules = append(c.rules, rc)
	}
	return nil
}

func condOrder(a, b Cond) int { return a.Arg - b.Arg }

func (c *compiler) addABI(a *arch.Arch, all []*arch.Arch) {
	for i := range c.abis {
		if c.abis[i].a == a {
			return
		}
	}
	lo, hi := claim(a, all)
	ab := abiCtx{a: a, t: c.idx.table(a), wide: wideArgs(a), lo: lo, hi: hi, index: int8(len(c.abis))}
	if n := len(c.abis); n < cap(c.abis) {
		// A pooled compiler keeps the slices of the ABI it compiled last.
		prev := c.abis[:n+1][n]
		ab.hot, ab.ranges = prev.hot[:0], prev.ranges[:0]
	}
	c.abis = append(c.abis, ab)
}

// warn records w once per (kind, rule, other): the same overlap on three
// ABIs and forty syscalls is one warning.
func (c *compiler) warn(w Warning) {
	k := warnKey{w.Kind, w.Rule, w.Other}
	if slices.Contains(c.reports, k) {
		return
	}
	c.reports = append(c.reports, k)
	c.warnings = append(c.warnings, w)
}

// decide computes the decision ranges of ABI i.
func (c *compiler) decide(i int) error {
	ab := &c.abis[i]
	t := ab.t
	bit := uint32(1) << i

	ab.def = c.g.leaf(c.p.DefaultAction().Ret(), org{role: RoleDefault, abi: int8(i), rule: -1})
	ab.unknown = c.g.leaf(c.p.UnknownAction(ab.a).Ret(), org{role: RoleUnknown, abi: int8(i), rule: -1})

	// Attach rules to table positions, each list in rule order: walk the
	// rules backwards and push at the front.
	c.heads = slices.Grow(c.heads[:0], len(t.nrs))[:len(t.nrs)]
	for j := range c.heads {
		c.heads[j] = -1
	}
	c.refs = c.refs[:0]
	c.extra = c.extra[:0]
	for ri := len(c.rules) - 1; ri >= 0; ri-- {
		r := &c.rules[ri]
		if r.abis&bit == 0 {
			continue
		}
		for j := len(r.ids) - 1; j >= 0; j-- {
			if id := r.ids[j]; id >= 0 {
				if s := t.slot[id]; s >= 0 {
					c.push(int(s), int32(ri))
				}
			}
		}
		nums := c.p.Rules[ri].Numbers
		for j := len(nums) - 1; j >= 0; j-- {
			nr := nums[j]
			if nr < ab.lo || nr > ab.hi {
				continue
			}
			if s := t.find(nr); s >= 0 {
				c.push(s, int32(ri))
			} else {
				c.extra = append(c.extra, extraNr{nr, int32(ri)})
			}
		}
	}
	if len(c.extra) > 1 {
		slices.SortFunc(c.extra, func(a, b extraNr) int {
			if a.nr != b.nr {
				if a.nr < b.nr {
					return -1
				}
				return 1
			}
			return int(a.rule - b.rule)
		})
	}

	// Hot syscalls of this ABI, in the policy's order. x32 sharing its
	// section with x86_64 has none: its tests would cost every x86_64 call.
	ab.hot = ab.hot[:0]
	var hotSlots []int
	hot := c.p.Hot
	if ab.a.SyscallBit != 0 && c.sharesSection(ab) {
		hot = nil
	}
	for _, name := range hot {
		if id, ok := c.idx.ids.get(name); ok {
			if s := t.slot[id]; s >= 0 && !slices.Contains(hotSlots, int(s)) && t.nrs[s] >= ab.lo && t.nrs[s] <= ab.hi {
				hotSlots = append(hotSlots, int(s))
			}
		}
	}

	// Walk the table and the extra numbers in order.
	ab.ranges = ab.ranges[:0]
	next := ab.lo // first number not yet covered
	cover := func(hi uint32, d nodeID) {
		if n := len(ab.ranges); n > 0 && ab.ranges[n-1].d == d {
			ab.ranges[n-1].hi = hi
		} else {
			ab.ranges = append(ab.ranges, rng{lo: next, hi: hi, d: d})
		}
		next = hi + 1
	}
	e := 0
	for s := 0; s < len(t.nrs) || e < len(c.extra); {
		var nr uint32
		var list int32 = -1
		var extras []extraNr
		fromTable := s < len(t.nrs) && (e >= len(c.extra) || t.nrs[s] <= c.extra[e].nr)
		if fromTable {
			nr = t.nrs[s]
			list = c.heads[s]
		} else {
			nr = c.extra[e].nr
		}
		e0 := e
		for e < len(c.extra) && c.extra[e].nr == nr {
			e++
		}
		extras = c.extra[e0:e]
		slot := s
		if fromTable {
			s++
		}
		if nr < ab.lo || nr > ab.hi {
			continue
		}
		d, err := c.decideNr(ab, nr, slot, fromTable, list, extras)
		if err != nil {
			return err
		}
		if nr > next {
			cover(nr-1, ab.unknown)
		}
		if fromTable && slices.Contains(hotSlots, slot) {
			ab.hot = append(ab.hot, hotNr{nr, d})
			next = nr + 1 // a hole: the search never sees it
			if nr == ab.hi {
				break
			}
			continue
		}
		cover(nr, d)
		if nr == ab.hi {
			break
		}
	}
	if len(ab.ranges) == 0 || ab.ranges[len(ab.ranges)-1].hi < ab.hi {
		if next <= ab.hi || len(ab.ranges) == 0 {
			cover(ab.hi, ab.unknown)
		}
	}
	// Hot entries in the policy's order, not the table's.
	if len(ab.hot) > 1 {
		slices.SortStableFunc(ab.hot, func(a, b hotNr) int {
			return hotRank(c, t, a.nr) - hotRank(c, t, b.nr)
		})
	}
	c.weigh(ab)
	return nil
}

func (c *compiler) sharesSection(ab *abiCtx) bool {
	for i := range c.abis {
		if o := &c.abis[i]; o != ab && o.a.AuditArch == ab.a.AuditArch {
			return true
		}
	}
	return false
}

func hotRank(c *compiler, t *abiTable, nr uint32) int {
	for i, name := range c.p.Hot {
		if id, ok := c.idx.ids.get(name); ok {
			if s := t.slot[id]; s >= 0 && t.nrs[s] == nr {
				return i
			}
		}
	}
	return len(c.p.Hot)
}

func (c *compiler) push(slot int, rule int32) {
	h := c.heads[slot]
	if h >= 0 && c.refs[h].rule == rule {
		return // the same rule twice (a repeated name, or an alias)
	}
	c.refs = append(c.refs, ruleRef{rule: rule, next: h})
	c.heads[slot] = int32(len(c.refs) - 1)
}

// decideNr returns the decision for syscall nr of ABI ab: the rules naming
// it (list, a chain in c.refs, plus extras) in precedence order, the most
// restrictive action first and the first rule among equals, each taken when
// its conditions hold; the default if none does.
func (c *compiler) decideNr(ab *abiCtx, nr uint32, slot int, fromTable bool, list int32, extras []extraNr) (nodeID, error) {
	c.cand = c.cand[:0]
	for h := list; h >= 0; h = c.refs[h].next {
		c.cand = append(c.cand, c.refs[h].rule)
	}
	for _, x := range extras {
		if !slices.Contains(c.cand, x.rule) {
			c.cand = append(c.cand, x.rule)
		}
	}
	if len(c.cand) == 0 {
		if !fromTable {
			return ab.unknown, nil
		}
		return ab.def, nil
	}
	name := ""
	if fromTable {
		name = ab.t.name[slot]
	}
	if len(c.cand) == 1 {
		r := c.cand[0]
		if len(c.rules[r].conds) == 0 {
			return c.ruleLeaf(ab, int(r), nr, name), nil
		}
	}
	// Precedence order: kind, then rule index (insertion sort; lists are short).
	cand := c.cand
	for i := 1; i < len(cand); i++ {
		for j := i; j > 0 && c.before(cand[j], cand[j-1]); j-- {
			cand[j], cand[j-1] = cand[j-1], cand[j]
		}
	}
	// Nothing after the first unconditional rule can decide.
	end := len(cand)
	for i, r := range cand {
		if len(c.rules[r].conds) == 0 {
			end = i + 1
			break
		}
	}
	c.overlaps(ab, nr, name, cand, end)
	cand = cand[:end]
	if len(c.rules[cand[0]].conds) == 0 {
		return c.ruleLeaf(ab, int(cand[0]), nr, name), nil
	}
	return c.argTree(ab, nr, name, cand)
}

func (c *compiler) before(a, b int32) bool {
	ka, kb := c.rules[a].act.Kind, c.rules[b].act.Kind
	if ka != kb {
		return ka < kb
	}
	return a < b
}

// ruleLeaf returns the return node of a rule's action, made once per rule
// and ABI.
func (c *compiler) ruleLeaf(ab *abiCtx, rule int, nr uint32, name string) nodeID {
	r := &c.rules[rule]
	i := c.abiIndex(ab)
	if r.leafABI == i+1 {
		return r.leaf
	}
	r.leaf = c.g.leaf(r.act.Ret(), org{role: RoleReturn, abi: i, rule: int32(rule)})
	r.leafABI = i + 1
	return r.leaf
}

func (c *compiler) abiIndex(ab *abiCtx) int8 {
	return ab.index
}

func syscallLabel(name string, nr uint32) string {
	if name != "" {
		return name
	}
	return "#" + strconv.FormatUint(uint64(nr), 10)
}

// overlaps warns about rules of one syscall whose actions differ, and about
// conditional rules that an unconditional one ranking before them hides.
func (c *compiler) overlaps(ab *abiCtx, nr uint32, name string, cand []int32, end int) {
	for i := 1; i < len(cand); i++ {
		for j := 0; j < i; j++ {
			a, b := cand[j], cand[i]
			if c.rules[a].act == c.rules[b].act {
				continue
			}
			lo, hi := min(a, b), max(a, b)
			c.warn(Warning{Kind: WarnOverlap, Rule: int(lo), Other: int(hi), Arch: ab.a.Name, Syscall: syscallLabel(name, nr),
				Msg: fmt.Sprintf("%s and %s both apply; where both match, %s wins", c.rules[lo].act, c.rules[hi].act, c.rules[a].act)})
		}
	}
	for i := end; i < len(cand); i++ {
		if len(c.rules[cand[i]].conds) > 0 {
			c.warn(Warning{Kind: WarnShadowed, Rule: int(cand[i]), Other: int(cand[end-1]), Arch: ab.a.Name, Syscall: syscallLabel(name, nr),
				Msg: "the conditions can never decide: an unconditional rule ranks before them"})
		}
	}
}

// argTree expands the argument rules cand (in precedence order, the last
// possibly unconditional) into a decision tree.
func (c *compiler) argTree(ab *abiCtx, nr uint32, name string, cand []int32) (nodeID, error) {
	b := &c.ab
	b.g = &c.g
	b.rules = b.rules[:0]
	b.conds = b.conds[:0]
	b.fallback = ab.def
	b.org = org{role: RoleArg, abi: c.abiIndex(ab), rule: -1, hasNr: true, nr: nr}
	b.steps = 0
	for _, r := range cand {
		rc := &c.rules[r]
		ar := argRule{rule: int(r), leaf: c.ruleLeaf(ab, int(r), nr, name), c0: len(b.conds)}
		for _, cd := range rc.conds {
			b.conds = append(b.conds, condToProg(cd, ab.wide, ab.a.BigEndian))
		}
		ar.c1 = len(b.conds)
		b.rules = append(b.rules, ar)
	}
	// ABIs that compare alike (x86_64 and x32) and neighbouring syscalls
	// with the same rules build the same tree: hash-consing would return
	// the same nodes, so reuse the result.
	m := argMemo{wide: ab.wide, bigEndian: ab.a.BigEndian, def: ab.def, start: len(c.memoKey), next: -1}
	h := uint64(uint32(ab.def))<<2 | uint64(len(b.rules))<<40
	if m.wide {
		h |= 1
	}
	if m.bigEndian {
		h |= 2
	}
	for _, r := range b.rules {
		k := uint64(r.rule)<<32 | uint64(uint32(r.leaf))
		c.memoKey = append(c.memoKey, k)
		h = (h ^ k) * 0x100000001b3
	}
	m.end = len(c.memoKey)
	key := c.memoKey[m.start:m.end]
	if c.memoAt == nil {
		c.memoAt = make(map[uint64]int32)
	}
	if i, ok := c.memoAt[h]; ok {
		m.next = i
		for ; i >= 0; i = c.memos[i].next {
			old := &c.memos[i]
			if old.wide == m.wide && old.bigEndian == m.bigEndian && old.def == m.def && slices.Equal(c.memoKey[old.start:old.end], key) {
				c.memoKey = c.memoKey[:m.start]
				return old.d, nil
			}
		}
	}
	cur := make([]int8, len(b.conds))
	for i := range b.conds {
		cur[i] = b.conds[i].root
	}
	b.stack = b.stack[:0]
	d := b.build(cur, newKnow())
	if b.steps > maxArgSteps {
		return 0, &PolicyError{Rule: int(cand[0]), Comment: c.p.Rules[cand[0]].Comment, Field: "Conds", Value: syscallLabel(name, nr) + " on " + ab.a.Name, Err: ErrTooComplex}
	}
	m.d = d
	c.memoAt[h] = int32(len(c.memos))
	c.memos = append(c.memos, m)
	return d, nil
}

// argMemo is one argTree result: for the ABI properties that shape the
// tree and the candidate rules with their return leaves (memoKey[start:end],
// rule<<32 | leaf), the tree's root.
type argMemo struct {
	wide, bigEndian bool
	def             nodeID
	start, end      int
	d               nodeID
	next            int32 // the memo before it with the same hash, -1 none
}
