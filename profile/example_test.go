package profile_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
)

func ExampleParse() {
	p, err := profile.Parse([]byte(`{
		"defaultAction": "SCMP_ACT_ERRNO",
		"architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.DefaultAction, p.Architectures, p.Syscalls[0].Names)

	// Errors say where and what.
	_, err = profile.Parse([]byte(`{"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ALLOW",
		              "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}]}`))
	fmt.Println(err)
	// Output:
	// SCMP_ACT_ERRNO [SCMP_ARCH_X86_64] [read write exit_group]
	// profile: line 3:57: syscalls[0].args[0].op: unknown operator "SCMP_CMP_FOO"
}

func ExampleProfile_Policy() {
	p, err := profile.Parse([]byte(`{
		"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [
			{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
			 "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
			{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
			{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
			{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
		]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	pol, _, err := p.Policy(profile.Options{
		Arches: []string{"amd64", "386", "x32"},
		Caps:   nil, // Docker's default capabilities: no CAP_SYS_ADMIN
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("default", pol.Default, "on", pol.Arches)
	for _, r := range pol.Rules {
		fmt.Println(r.Action, r.Syscalls, r.Conds, r.Arches)
	}
	// Output:
	// default ERRNO(1) on [x86_64 i386 x32]
	// ALLOW [read write] [] []
	// ALLOW [personality] [a0 == 0x0] []
	// ALLOW [personality] [a0 == 0x8] []
	// ALLOW [arch_prctl] [] [x86_64 x32]
	// ERRNO(38) [clone3] [] []
}

func ExampleDockerDefault() {
	pol, _, err := profile.DockerDefault().Policy(profile.Options{
		Arches: []string{"amd64"},
		Kernel: "6.1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("default", pol.Default)
	for _, r := range pol.Rules {
		if r.Action != compiler.Allow {
			fmt.Println(r.Action, r.Syscalls, r.Comment)
		}
	}
	// Output:
	// default ERRNO(1)
	// ERRNO(38) [clone3] syscalls[47]
}

func ExampleFromPolicy() {
	pol := &compiler.Policy{
		Arches:  []string{"x86_64"},
		Default: compiler.Errno(1),
		Rules: []compiler.Rule{
			{Syscalls: []string{"read", "write"}, Action: compiler.Allow},
			{Syscalls: []string{"socket"}, Action: compiler.Allow, Conds: []compiler.Cond{compiler.Arg(0).EQ(1)}},
		},
	}
	p, err := profile.FromPolicy(pol)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.MarshalIndent(p, "", "  ")
	os.Stdout.Write(append(out, '\n'))
	// Output:
	// {
	//   "defaultAction": "SCMP_ACT_ERRNO",
	//   "defaultErrnoRet": 1,
	//   "architectures": [
	//     "SCMP_ARCH_X86_64"
	//   ],
	//   "syscalls": [
	//     {
	//       "names": [
	//         "read",
	//         "write"
	//       ],
	//       "action": "SCMP_ACT_ALLOW"
	//     },
	//     {
	//       "names": [
	//         "socket"
	//       ],
	//       "action": "SCMP_ACT_ALLOW",
	//       "args": [
	//         {
	//           "index": 0,
	//           "value": 1,
	//           "op": "SCMP_CMP_EQ"
	//         }
	//       ]
	//     }
	//   ]
	// }
}
