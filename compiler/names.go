package compiler

import (
	"sync"

	"github.com/seccompile/seccompile/arch"
)

// names is a precomputed index over every ABI's syscall table, so that
// Compile resolves a name once (one map lookup) for all ABIs of a policy
// instead of a binary search per ABI and name. It is built on first use and
// read-only afterwards.
type names struct {
	ids    nameTable    // every name of every table → a global id
	arches []*arch.Arch // arch.All(), the order of tables
	tables []abiTable
}

// nameTable is an open-addressing hash table from syscall names to ids.
// Compile looks up every name of every rule; a Go map costs three times as
// much for these short keys.
type nameTable struct {
	keys []string
	ids  []int32 // -1: empty slot
	mask uint32
	n    int32
}

// hashName mixes the length and the first and last eight bytes, which
// tell syscall names apart (sched_getattr, sched_setattr...).
func hashName(s string) uint32 {
	var x uint64
	n := len(s)
	if n >= 8 {
		x = le64(s[:8]) ^ le64(s[n-8:])*0x9e3779b97f4a7c15
	} else {
		for i := 0; i < n; i++ {
			x = x<<8 | uint64(s[i])
		}
	}
	x ^= uint64(n) * 0xff51afd7ed558ccd
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 29
	return uint32(x)
}

func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func (t *nameTable) init(size int) {
	n := 1
	for n < 4*size {
		n <<= 1
	}
	t.keys = make([]string, n)
	t.ids = make([]int32, n)
	for i := range t.ids {
		t.ids[i] = -1
	}
	t.mask = uint32(n - 1)
}

// add gives s the next id unless it has one, and returns its id.
func (t *nameTable) add(s string) int32 {
	i := hashName(s) & t.mask
	for ; t.ids[i] >= 0; i = (i + 1) & t.mask {
		if t.keys[i] == s {
			return t.ids[i]
		}
	}
	t.keys[i], t.ids[i] = s, t.n
	t.n++
	return t.ids[i]
}

func (t *nameTable) get(s string) (int32, bool) {
	for i := hashName(s) & t.mask; t.ids[i] >= 0; i = (i + 1) & t.mask {
		if t.keys[i] == s {
			return t.ids[i], true
		}
	}
	return -1, false
}

// abiTable is one ABI's table in the form the compiler walks: the distinct
// numbers in order, and each global name id's position among them.
type abiTable struct {
	nrs   []uint32 // distinct syscall numbers as the filter sees them, ascending
	name  []string // a name for each entry of nrs (the table's first)
	slot  []int16  // global id → index into nrs, -1 when the ABI lacks the name
	dense uint32   // the end of the dense part of nrs (see weightLimit)
}

var (
	namesOnce sync.Once
	nameIdx   *names
)

func index() *names {
	namesOnce.Do(func() {
		n := &names{arches: arch.All()}
		total := 0
		for _, a := range n.arches {
			total += len(a.Syscalls())
		}
		n.ids.init(total)
		for _, a := range n.arches {
			for _, s := range a.Syscalls() {
				n.ids.add(s.Name)
			}
		}
		n.tables = make([]abiTable, len(n.arches))
		for i, a := range n.arches {
			t := &n.tables[i]
			t.slot = make([]int16, n.ids.n)
			for j := range t.slot {
				t.slot[j] = -1
			}
			for _, s := range a.Syscalls() {
				if len(t.nrs) == 0 || t.nrs[len(t.nrs)-1] != s.Nr {
					t.nrs = append(t.nrs, s.Nr)
					t.name = append(t.name, s.Name)
				}
				id, _ := n.ids.get(s.Name)
				t.slot[id] = int16(len(t.nrs) - 1)
			}
			t.dense = denseEnd(t.nrs)
		}
		nameIdx = n
	})
	return nameIdx
}

// denseEnd returns the last number of the table's main run: numbers after a
// jump of more than 1024 (ARM's private calls at 0x0f0000) are outliers
// that should not make the gap before them weigh a million in the search
// tree (see weights in layout.go).
func denseEnd(nrs []uint32) uint32 {
	if len(nrs) == 0 {
		return 0
	}
	end := nrs[0]
	for _, nr := range nrs[1:] {
		if nr-end > 1024 {
			break
		}
		end = nr
	}
	return end
}

// table returns the index's table for a.
func (n *names) table(a *arch.Arch) *abiTable {
	for i, b := range n.arches {
		if b == a {
			return &n.tables[i]
		}
	}
	return nil
}

// find returns the position of nr in t.nrs, or -1.
func (t *abiTable) find(nr uint32) int {
	lo, hi := 0, len(t.nrs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.nrs[m] < nr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t.nrs) && t.nrs[lo] == nr {
		return lo
	}
	return -1
}
