package vm

import "encoding/binary"

// auditArchLE is __AUDIT_ARCH_LE. populate_seccomp_data leaves
// seccomp_data in the kernel's native byte order, so this bit of the
// AUDIT_ARCH value is what decides how a 64-bit field splits into the two
// 32-bit words a filter can load.
const auditArchLE = 0x40000000

// Data is struct seccomp_data, the input of a seccomp filter.
//
// Nr is the number as the filter sees it: x32 calls include 0x40000000, and
// syscall(-1) is 0xffffffff. Arch is an AUDIT_ARCH_* value; its
// __AUDIT_ARCH_LE bit (0x40000000) selects the byte order of the layout,
// exactly as the kernel of that ABI would lay it out.
type Data struct {
	Nr                 uint32 // @0
	Arch               uint32 // @4
	InstructionPointer uint64 // @8, the address after the syscall instruction
	Args               [6]uint64
}

// LittleEndian reports whether d is laid out little-endian, which follows
// from the __AUDIT_ARCH_LE bit of d.Arch.
func (d Data) LittleEndian() bool { return d.Arch&auditArchLE != 0 }

// Bytes returns the 64 bytes a filter reads, in the byte order of d.Arch:
// on a big-endian ABI the high word of each 64-bit field comes first.
func (d Data) Bytes() [SizeofData]byte {
	var b [SizeofData]byte
	var order binary.ByteOrder = binary.BigEndian
	if d.LittleEndian() {
		order = binary.LittleEndian
	}
	order.PutUint32(b[0:], d.Nr)
	order.PutUint32(b[4:], d.Arch)
	order.PutUint64(b[8:], d.InstructionPointer)
	for i, a := range d.Args {
		order.PutUint64(b[16+8*i:], a)
	}
	return b
}

// word returns the native-endian u32 at byte offset 4*w of Bytes(), which is
// what `ld [4*w]` loads. Verify guarantees w < 16 for every load.
func (d *Data) word(w uint32) uint32 {
	switch w {
	case 0:
		return d.Nr
	case 1:
		return d.Arch
	}
	var v uint64
	if w < 4 {
		v = d.InstructionPointer
	} else {
		v = d.Args[(w-4)>>1]
	}
	// On a little-endian ABI the odd word is the high half; on big-endian
	// the even one is.
	if (w&1 == 1) == (d.Arch&auditArchLE != 0) {
		return uint32(v >> 32)
	}
	return uint32(v)
}
