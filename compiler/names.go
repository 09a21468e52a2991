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
	ids    map[string]int32 // every name of every table → a global id
	arches []*arch.Arch     // arch.All(), the order of tables
	tables []abiTable
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
		n := &names{ids: make(map[string]int32, 1024), arches: arch.All()}
		for _, a := range n.arches {
			for _, s := range a.Syscalls() {
				if _, ok := n.ids[s.Name]; !ok {
					n.ids[s.Name] = int32(len(n.ids))
				}
			}
		}
		n.tables = make([]abiTable, len(n.arches))
		for i, a := range n.arches {
			t := &n.tables[i]
			t.slot = make([]int16, len(n.ids))
			for j := range t.slot {
				t.slot[j] = -1
			}
			for _, s := range a.Syscalls() {
				if len(t.nrs) == 0 || t.nrs[len(t.nrs)-1] != s.Nr {
					t.nrs = append(t.nrs, s.Nr)
					t.name = append(t.name, s.Name)
				}
				t.slot[n.ids[s.Name]] = int16(len(t.nrs) - 1)
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
