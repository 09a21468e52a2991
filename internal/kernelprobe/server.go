package kernelprobe

import (
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"

	"golang.org/x/net/bpf"
)

// childEnv marks the re-executed test binary as the prober server.
const childEnv = "SECCOMPILE_KERNELPROBE_SERVER"

// ErrUnsupported is returned where the prober cannot run: not linux/amd64,
// or a kernel without seccomp filters.
var ErrUnsupported = errors.New("kernelprobe: unsupported")

// Main turns the process into the prober server when it was started by
// Start, and returns at once otherwise. Call it first thing in TestMain:
//
//	func TestMain(m *testing.M) {
//		kernelprobe.Main()
//		os.Exit(m.Run())
//	}
func Main() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	in, out := os.NewFile(3, "requests"), os.NewFile(4, "responses")
	if err := serve(in, out); err != nil {
		fmt.Fprintln(os.Stderr, "kernelprobe server:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// wireJob is a Job on the pipe: each filter as the bytes of its struct
// sock_filter array (host order), which gob sends as one block.
type wireJob struct {
	Filters [][]byte
	Probes  []Probe
}

func sockFilterBytes(prog []bpf.RawInstruction) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, ins := range prog {
		b = binary.NativeEndian.AppendUint16(b, ins.Op)
		b = append(b, ins.Jt, ins.Jf)
		b = binary.NativeEndian.AppendUint32(b, ins.K)
	}
	return b
}

type wireResult struct {
	Install  []int64
	Outcomes []Outcome
}

type response struct {
	Results []wireResult
	Err     string
}

// hello is the server's first message: whether it can run, and where its
// probe sites are (the test binary may be position-independent, so the
// parent's addresses are not necessarily the server's).
type hello struct {
	IP  [3]uint64 // instruction_pointer per Entry
	Err string
}

func serve(in io.Reader, out io.Writer) error {
	dec, enc := gob.NewDecoder(in), gob.NewEncoder(out)
	s, err := newServer()
	if err != nil {
		// Report the reason to the parent rather than dying silently.
		return enc.Encode(hello{Err: err.Error()})
	}
	if err := enc.Encode(hello{IP: [3]uint64{siteIP(EntrySyscall), siteIP(EntryInt80), siteIP(EntryX32)}}); err != nil {
		return err
	}
	for {
		var jobs []wireJob
		if err := dec.Decode(&jobs); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		var resp response
		resp.Results, err = s.run(jobs)
		if err != nil {
			resp.Err = err.Error()
		}
		if err := enc.Encode(resp); err != nil {
			return err
		}
	}
}

// Prober is a running prober server: a re-executed copy of the current
// binary (which must call Main from TestMain) that runs jobs in the live
// kernel. Its methods are safe for concurrent use.
type Prober struct {
	mu   sync.Mutex
	cmd  *exec.Cmd
	enc  *gob.Encoder
	dec  *gob.Decoder
	reqW *os.File
	resR *os.File
	ip   [3]uint64
}

// InstructionPointer returns seccomp_data.instruction_pointer of probes
// through entry e: the address after the prober's syscall instruction.
func (p *Prober) InstructionPointer(e Entry) uint64 {
	if int(e) < len(p.ip) {
		return p.ip[e]
	}
	return 0
}

// Start starts a prober server and checks that it works: it installs an
// allow-all filter and probes getpid through it. The error wraps
// ErrUnsupported when the platform cannot host the prober.
func Start() (*Prober, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("kernelprobe: %w", err)
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("kernelprobe: %w", err)
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("kernelprobe: %w", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{reqR, resW}
	err = cmd.Start()
	reqR.Close()
	resW.Close()
	if err != nil {
		reqW.Close()
		resR.Close()
		return nil, fmt.Errorf("kernelprobe: start server: %w", err)
	}
	p := &Prober{cmd: cmd, enc: gob.NewEncoder(reqW), dec: gob.NewDecoder(resR), reqW: reqW, resR: resR}
	var h hello
	if err := p.dec.Decode(&h); err != nil {
		p.Close()
		return nil, fmt.Errorf("kernelprobe: server did not start (is kernelprobe.Main called from TestMain?): %w", err)
	}
	if h.Err != "" {
		p.Close()
		return nil, fmt.Errorf("kernelprobe: server: %s", h.Err)
	}
	p.ip = h.IP
	if err := p.selfTest(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Prober) selfTest() error {
	allow := []bpf.RawInstruction{{Op: 0x06, K: 0x7fff0000}}
	res, err := p.Run([]Job{{Filters: [][]bpf.RawInstruction{allow}, Probes: []Probe{{Nr: 39}}}})
	if err != nil {
		return fmt.Errorf("kernelprobe: self-test: %w", err)
	}
	r := res[0]
	if !r.Accepted() || r.Outcomes[0].Kind != Returned || r.Outcomes[0].Ret <= 0 {
		return fmt.Errorf("kernelprobe: self-test: allow-all filter gave install %v, getpid %v", r.Install, r.Outcomes[0])
	}
	return nil
}

// Run runs the jobs in order and returns one Result per job. Every probe
// must pass Probe.Check.
func (p *Prober) Run(jobs []Job) ([]Result, error) {
	wire := make([]wireJob, len(jobs))
	for i, j := range jobs {
		for _, pr := range j.Probes {
			if err := pr.Check(); err != nil {
				return nil, fmt.Errorf("job %d: %w", i, err)
			}
		}
		wire[i].Probes = j.Probes
		for _, f := range j.Filters {
			wire[i].Filters = append(wire[i].Filters, sockFilterBytes(f))
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.enc.Encode(wire); err != nil {
		return nil, fmt.Errorf("kernelprobe: send: %w", err)
	}
	var resp response
	if err := p.dec.Decode(&resp); err != nil {
		return nil, fmt.Errorf("kernelprobe: receive: %w", err)
	}
	if resp.Err != "" {
		return nil, fmt.Errorf("kernelprobe: server: %s", resp.Err)
	}
	if len(resp.Results) != len(jobs) {
		return nil, fmt.Errorf("kernelprobe: server returned %d results for %d jobs", len(resp.Results), len(jobs))
	}
	out := make([]Result, len(jobs))
	for i, w := range resp.Results {
		out[i].Outcomes = w.Outcomes
		for _, ret := range w.Install {
			out[i].Install = append(out[i].Install, installErr(ret))
		}
	}
	return out, nil
}

// Close stops the server.
func (p *Prober) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqW.Close()
	err := p.cmd.Wait()
	p.resR.Close()
	return err
}
