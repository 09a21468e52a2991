package record

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The eBPF backend scopes a recording with a cgroup v2 directory of its own:
// the command is started inside it (clone3 with CLONE_INTO_CGROUP, so there
// is no window in which it runs outside), every process it forks stays in it
// unless moved out by a privileged process, and the program counts calls
// from tasks in it or below it (bpf_current_task_under_cgroup). Afterwards
// cgroup.kill ends what the command left behind, and the directory is
// removed.

// cgroup2Dir returns the directory of the calling process's cgroup in the
// cgroup v2 hierarchy (on a hybrid host /sys/fs/cgroup/unified/...), and the
// hierarchy's mount point.
func cgroup2Dir() (dir, mount string, err error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	var root string
	sc := bufio.NewScanner(bytes.NewReader(mi))
	for sc.Scan() {
		// 41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
		f := strings.Fields(sc.Text())
		sep := -1
		for i, s := range f {
			if s == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(f) || len(f) < 5 || f[sep+1] != "cgroup2" {
			continue
		}
		root, mount = unescapeMount(f[3]), unescapeMount(f[4])
		break
	}
	if mount == "" {
		return "", "", errors.New("no cgroup2 hierarchy is mounted")
	}
	own := "/"
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err == nil {
		for _, line := range strings.Split(string(cg), "\n") {
			if p, ok := strings.CutPrefix(line, "0::"); ok {
				own = p
			}
		}
	}
	rel, err := filepath.Rel(root, own)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = "."
	}
	return filepath.Join(mount, rel), mount, nil
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var cgroupSeq atomic.Uint64

// scopeCgroup is the cgroup a recording runs the command in.
type scopeCgroup struct {
	path string
	dir  *os.File // directory fd, for CLONE_INTO_CGROUP and the cgroup array
}

// newScopeCgroup creates a fresh cgroup below the caller's own (or, if that
// is not writable, below the hierarchy's root).
func newScopeCgroup() (*scopeCgroup, error) {
	own, mount, err := cgroup2Dir()
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("seccompile-record-%d-%d", os.Getpid(), cgroupSeq.Add(1))
	var errs []error
	for _, parent := range []string{own, mount} {
		p := filepath.Join(parent, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			errs = append(errs, err)
			continue
		}
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			os.Remove(p)
			return nil, fmt.Errorf("open cgroup %s: %w", p, err)
		}
		return &scopeCgroup{path: p, dir: os.NewFile(uintptr(fd), p)}, nil
	}
	return nil, fmt.Errorf("create a cgroup: %w", errors.Join(errs...))
}

// kill ends every process still in the cgroup (cgroup.kill, Linux 5.14;
// before that, SIGKILL to each pid in cgroup.procs until none is left) and
// waits until the cgroup is empty, at most timeout.
func (c *scopeCgroup) kill(timeout time.Duration) error {
	if c.populated() == 0 {
		return nil
	}
	killErr := os.WriteFile(filepath.Join(c.path, "cgroup.kill"), []byte("1"), 0)
	deadline := time.Now().Add(timeout)
	for {
		if killErr != nil {
			c.killProcs()
		}
		if c.populated() == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup %s still has processes after %v", c.path, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (c *scopeCgroup) killProcs() {
	b, _ := os.ReadFile(filepath.Join(c.path, "cgroup.procs"))
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// populated reads "populated" from cgroup.events: 1 while a process is in
// the cgroup or below; -1 if unreadable.
func (c *scopeCgroup) populated() int {
	b, err := os.ReadFile(filepath.Join(c.path, "cgroup.events"))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "populated "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return -1
}

// remove removes the cgroup and the sub-cgroups the command created.
func (c *scopeCgroup) remove() error {
	c.dir.Close()
	var dirs []string
	filepath.WalkDir(c.path, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	var err error
	for i := len(dirs) - 1; i >= 0; i-- {
		if e := unix.Rmdir(dirs[i]); e != nil && !errors.Is(e, unix.ENOENT) {
			err = fmt.Errorf("remove cgroup %s: %w", dirs[i], e)
		}
	}
	return err
}
