// Package abi makes system calls through entry points Go does not use, so
// tests can check that a filter closes them: the i386 compat entry
// (int $0x80) from a 64-bit process, whose calls the filter sees with
// arch AUDIT_ARCH_I386 and i386 numbers.
package abi
